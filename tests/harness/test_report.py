# The report as a reader meets it: a page in the spec's order (environment, validity banner,
# one section per experiment, what is missing, glossary, raw files), self-contained, that says
# what is wrong with a run before it shows a figure - on fake runs whose answers are known.
# The experiments are stubs defined here (their real analysis and plot modules are tested on
# their own), so a broken or missing experiment module cannot decide these tests.
"""Tests of `harness.report` and `netmodels report`."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from _fake_runs import FakeRun, trial
from matplotlib.figure import Figure

from harness import experiments, report
from harness.analysis.run import Run
from harness.analysis.stats import by_cell
from harness.plots import style
from harness.report import glossary, validity
from harness.report.format import compact, number, unit
from harness.results import TRIAL_COLUMNS

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
COMMITTED_V1 = REPO / "results" / "20261127T093927Z-1d3d108"


# --- stub experiments ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stub(experiments.Experiment):
    """A registry experiment with stub analysis, figure and findings; `broken` makes its analysis
    raise."""

    broken: bool = False

    def table(self, run: Run) -> pd.DataFrame:
        if self.broken:
            raise ModuleNotFoundError(f"No module named 'harness.analysis.{self.name}'")
        if self.key == "E7":
            probes = run.probes[run.probes["experiment"] == self.key]
            out = by_cell(probes, "value", ["variant", "param"])
            out.attrs["unit"] = "µs"
            return out
        trials = run.measured(self.key)
        out = by_cell(trials, "rps", ["impl", "connections"])
        out["trial_ids"] = [
            list(group["trial_id"])
            for _, group in trials.groupby(["impl", "connections"], sort=False)
        ]
        out.attrs["value"] = "rps"
        return out

    def figure(self, table: pd.DataFrame) -> Figure:
        fig, (ax,) = style.figure(self.title, {"cpu_model": "test CPU", "cpu_count": 2})
        x = "param" if self.key == "E7" else "connections"
        series = "variant" if self.key == "E7" else "impl"
        for name, group in table.groupby(series, sort=False):
            ax.errorbar(
                group[x],
                group["median"],
                yerr=[group["median"] - group["low"], group["high"] - group["median"]],
                label=str(name),
                capsize=3,
                **style.marker(str(name), flagged=bool(group["flagged"].any())),
            )
        ax.set_xscale("log")
        ax.set_xlabel("registered sockets" if self.key == "E7" else "connections")
        ax.set_ylabel("one wait (µs)" if self.key == "E7" else "throughput (req/s)")
        ax.legend(fontsize=8)
        return fig

    def shown(self, table: pd.DataFrame) -> pd.DataFrame:
        return table

    def findings(self, table: pd.DataFrame) -> list[str]:
        best = table.loc[table["median"].idxmax()]
        label = best.get("impl", best.get("variant"))
        return [f"{label} leads with a median of {number(float(best['median']))}."]


def _stub(key: str, name: str, *, broken: bool = False) -> Stub:
    real = experiments.BY_KEY[key]
    return Stub(key, name, real.title, real.question, real.claim, real.source, broken)


STUBS = (
    _stub("E1", "concurrency"),
    _stub("E2", "efficiency"),
    _stub("E3", "overload", broken=True),
    _stub("E5", "omission"),
    _stub("E7", "selectors"),
)


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> tuple[Stub, ...]:
    """The stub registry in place of the real one, for one test."""
    monkeypatch.setattr(experiments, "EXPERIMENTS", STUBS)
    return STUBS


# --- fake runs ------------------------------------------------------------------------------

IMPLS = {"threads": 9000.0, "eventloop": 21000.0, "actor": 6000.0, "function": 15000.0}
PROFILE = {
    "name": "lecture-test",
    "description": "a fake run for the report tests",
    "repetitions": 3,
    "matrix": [
        {"experiment": "E1"},
        {"experiment": "E2"},
        {"experiment": "E3"},
        {"experiment": "E4"},
    ],
    "probe": [{"kind": "selector_wait", "experiment": "E7"}],
}


def realistic_run(root: Path, *, complete: bool = True) -> Path:
    """E1: 4 impls x 3 connection counts x 3 repetitions (trial 0007 driver_bound, trial 0012
    with errors, the actor at 256 connections noisy); E2: one repetition per impl; E3: one
    trial (its analysis is broken); E7: selector probes, 3 repetitions."""
    run = FakeRun(root, profile=PROFILE)
    rng = np.random.default_rng(1)
    n = 0
    for repetition in (1, 2, 3):
        for impl, capacity in IMPLS.items():
            for connections in (16, 64, 256):
                n += 1
                scale = min(1.0, connections / 64) * capacity
                noise = 0.35 if (impl == "actor" and connections == 256) else 0.02
                rps = scale * (1 + noise * (repetition - 2))
                columns: dict[str, Any] = {}
                if n == 7:
                    columns = {"flags": "driver_bound", "driver_cpu": 0.95}
                if n == 12:
                    columns = {
                        "flags": "errors",
                        "errors": 17,
                        "error_kinds": json.dumps({"status_503": 12, "unfinished": 5}),
                    }
                p50 = 1e6 * connections / scale / 2
                run.add(
                    trial(
                        f"{n:04d}",
                        experiment="E1",
                        impl=impl,
                        connections=connections,
                        repetition=repetition,
                        rps=rps,
                        p50_us=p50,
                        p99_us=p50 * 4,
                        **columns,
                    ),
                    latencies=rng.exponential(p50, 200),
                )
    for impl, capacity in IMPLS.items():
        n += 1
        run.add(
            trial(
                f"{n:04d}",
                experiment="E2",
                impl=impl,
                mode="open",
                rate=3000.0,
                rps=3000.0,
                server_cpu_us_per_req=1e6 / capacity,
            )
        )
    n += 1
    run.add(trial(f"{n:04d}", experiment="E3", mode="open", rate=50000.0, rps=20000.0))
    for repetition in (1, 2, 3):
        rows = [
            {
                "experiment": "E7",
                "probe": "selector_wait",
                "variant": variant,
                "param": param,
                "repetition": repetition,
                "value": 1.0 + slope * param * (1 + 0.01 * repetition),
                "unit": "us",
                "count": 200,
            }
            for variant, slope in (("select", 0.02), ("poll", 0.015), ("epoll", 0.0))
            for param in (10, 100, 1000, 4000)
        ]
        run.probe(rows)
    return run.finish(complete=complete)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`realistic_run`, built once (42 atomic commits take a while); tests get copies."""
    return realistic_run(tmp_path_factory.mktemp("built"))


@pytest.fixture
def run_path(tmp_path: Path, built: Path) -> Path:
    """A fresh copy of the realistic run, at tmp_path/run."""
    path = tmp_path / "run"
    shutil.copytree(built, path)
    return path


class Page(HTMLParser):
    """What a test needs of an HTML page: section ids in order, images, links, scripts, text
    by section."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[str] = []
        self.urls: list[str] = []
        self.scripts = 0
        self.text: dict[str, str] = {}
        self._current = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self._current = values.get("id") or ""
            self.sections.append(self._current)
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(values[name] or "")

    def handle_data(self, data: str) -> None:
        self.text[self._current] = self.text.get(self._current, "") + data


# --- the page -------------------------------------------------------------------------------


def test_page_in_the_spec_order_self_contained(
    tmp_path: Path, run_path: Path, stubs: tuple[Stub, ...]
) -> None:
    path = run_path
    paths = report.write(path, tmp_path / "out")
    page = Page(paths.html.read_text())
    assert page.sections == [
        "run",
        "validity",
        "E1",
        "E2",
        "E3",
        "E7",
        "missing",
        "glossary",
        "raw",
    ]
    drawn = ["E1", "E2", "E7"]  # E3's analysis raises
    assert len(page.images) == len(drawn)
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    for src in page.images:
        pixels = matplotlib.image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 20  # not blank
    assert not any(url.startswith(("http://", "https://", "//")) for url in page.urls)
    assert page.scripts == 0
    assert "<link" not in paths.html.read_text()


def test_environment_says_what_ran_where(
    tmp_path: Path, run_path: Path, stubs: tuple[Stub, ...]
) -> None:
    path = run_path
    page = Page(report.write(path, tmp_path / "out").html.read_text())
    facts = page.text["run"]
    meta = json.loads((path / "manifest.json").read_text())
    for expected in (
        meta["git_sha"],
        meta["cpu_model"],
        meta["kernel"],
        meta["python"],
        f"uvloop {meta['packages']['uvloop']}",
        "server on CPU 0, driver on CPU 1",
        "lecture-test - a fake run for the report tests",
        "closed loop",
    ):
        assert expected in facts


def test_validity_banner_names_what_is_wrong(
    tmp_path: Path, run_path: Path, stubs: tuple[Stub, ...]
) -> None:
    path = run_path
    page = Page(report.write(path, tmp_path / "out").html.read_text())
    banner = page.text["validity"]
    assert "Check" in banner  # said in words, not only in amber
    assert "0007" in banner
    assert "driver_bound" in banner
    assert "0012" in banner
    assert "status_503 x12" in banner
    assert "fewer than 3 repetitions" in banner
    assert "comparisons not drawn" in banner
    assert "actor http ping closed c=256" in banner  # spread 35 % between repetitions


def test_sections_show_figure_table_findings_and_claim(
    tmp_path: Path, run_path: Path, stubs: tuple[Stub, ...]
) -> None:
    path = run_path
    page = Page(report.write(path, tmp_path / "out").html.read_text())
    e1 = page.text["E1"]
    assert experiments.BY_KEY["E1"].question in e1
    assert "eventloop leads with a median of 21,000." in e1
    assert f"Bears on: {experiments.BY_KEY['E1'].claim}" in e1
    assert "0001, 0013, 0025" in e1  # the trial ids of the first row
    assert "median (req/s)" in e1
    assert "In every row: n 3." in e1
    assert "Could not be analysed: ModuleNotFoundError" in page.text["E3"]
    assert "Bears on" in page.text["E3"]


def test_missing_experiments_and_incomplete_run(tmp_path: Path, stubs: tuple[Stub, ...]) -> None:
    path = realistic_run(tmp_path, complete=False)
    page = Page(report.write(path, tmp_path / "out").html.read_text())
    missing = page.text["missing"]
    assert "Not in this run: E5 (Coordinated omission)." in missing
    assert "incomplete" in missing
    assert f"netmodels sweep --resume {path}" in missing
    assert "asks for E4" in missing  # in the profile's matrices, no rows
    assert "Incomplete run" in page.text["validity"]


def test_markdown_links_its_figures(
    tmp_path: Path, run_path: Path, stubs: tuple[Stub, ...]
) -> None:
    path = run_path
    paths = report.write(path)
    assert paths.md == path / "report.md"
    text = paths.md.read_text()
    figures = [line.split("](", 1)[1].rstrip(")") for line in text.splitlines() if "![" in line]
    assert figures == ["report_files/E1.png", "report_files/E2.png", "report_files/E7.png"]
    for figure in figures:
        assert (path / figure).read_bytes().startswith(b"\x89PNG")
    assert "[trials.csv](trials.csv)" in text
    assert "Could not be analysed: ModuleNotFoundError" in text


def test_raw_links_are_relative_to_the_report(
    tmp_path: Path, run_path: Path, stubs: tuple[Stub, ...]
) -> None:
    path = run_path
    page = Page(report.write(path, tmp_path / "elsewhere").html.read_text())
    assert "../run/manifest.json" in page.urls
    assert "../run/histograms/" in page.urls
    assert "timeseries.csv" in page.text["raw"]  # named, though this run has none


def test_rewriting_drops_figures_no_longer_drawn(
    run_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = run_path
    monkeypatch.setattr(experiments, "EXPERIMENTS", STUBS)
    report.write(path)
    monkeypatch.setattr(experiments, "EXPERIMENTS", STUBS[:1])
    report.write(path)
    assert sorted(p.name for p in (path / "report_files").iterdir()) == ["E1.png"]


# --- validity checks on their own -----------------------------------------------------------


def test_ceiling_from_calibration(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    run.add(trial("0001", impl="eventloop", rps=95000.0))
    run.dir.finish(complete=True, calibration={"netmodels_ceiling_estimate": 100000.0})
    check = validity.checks(Run.load(run.path))[0]
    assert check.severity == "warn"
    assert "95 % of the driver's ceiling of 100,000 req/s" in check.text


def test_ceiling_from_bare_trials(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    run.add(trial("0001", impl="bare", rps=40000.0, driver_cpu=0.5))
    run.add(trial("0002", impl="eventloop", rps=20000.0))
    check = validity.checks(Run.load(run.finish()))[0]
    assert check.severity == "ok"
    assert "bare" in check.text
    assert "80,000 req/s" in check.text  # 40,000 req/s at half a CPU
    assert "50 %" in check.text  # bare itself is the fastest


def test_without_ceiling_the_busiest_driver_is_named(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    run.add(trial("0001", driver_cpu=0.4))
    run.add(trial("0002", driver_cpu=0.97, flags="driver_bound"))
    check = validity.checks(Run.load(run.finish()))[0]
    assert "97 % of a CPU (trial 0002)" in check.text
    assert "1 of 2 trials were driver_bound" in check.text


def test_clean_run_is_all_ok(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    for repetition in (1, 2, 3):
        run.add(trial(f"000{repetition}", repetition=repetition, rps=1000.0 + repetition))
    found = validity.checks(Run.load(run.finish()))
    assert [c.severity for c in found] == ["ok"] * 5
    assert validity.severity(found) == "ok"


def test_spread_with_two_repetitions_uses_the_range(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    run.add(trial("0001", repetition=1, rps=1000.0))
    run.add(trial("0002", repetition=2, rps=1300.0))
    spread = validity.checks(Run.load(run.finish()))[-1]
    assert spread.severity == "warn"
    assert spread.table is not None
    assert spread.table.rows[0][3] == "26 % (range)"


# --- formatting -----------------------------------------------------------------------------


def test_every_trial_column_and_flag_has_a_meaning() -> None:
    """The glossary explains every column of trials.csv and every flag docs/harness.md lists."""
    assert set(glossary.COLUMNS) == set(TRIAL_COLUMNS)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "harness.md").read_text()
    table = doc[doc.index("| flag | when |") :].split("\n\n", 1)[0]
    documented = set(re.findall(r"^\s*\| `(\w+)` \|", table, flags=re.MULTILINE))
    assert "idle_refused" in documented
    assert set(glossary.FLAGS) == documented


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("p99_us", "µs"),
        ("rps", "req/s"),
        ("server_rss_peak_kib", "KiB"),
        ("server_rss_growth_kib_s", "KiB/s"),
        ("duration_s", "s"),
        ("mb_s", "MB/s"),
        ("server_cpu_util", "% of a core"),
        ("connections", None),
    ],
)
def test_units_from_column_names(column: str, expected: str | None) -> None:
    assert unit(column) == expected


@pytest.mark.parametrize(
    ("value", "unit_name", "text"),
    [
        (21000.0, "req/s", "21,000"),
        (12.345, None, "12.3"),
        (0.5, "% of a core", "50"),
        (1.5, None, "1.50"),
    ],
)
def test_numbers(value: float, unit_name: str | None, text: str) -> None:
    assert number(value, unit_name) == text


def test_compact_table_folds_the_interval_and_ends_with_trial_ids() -> None:
    frame = pd.DataFrame(
        {
            "impl": ["a"],
            "n": [3],
            "median": [1000.0],
            "low": [900.0],
            "high": [1100.0],
            "flags": [""],
            "flagged": [False],
            "trial_ids": [["0001", "0002", "0003"]],
        }
    )
    frame.attrs["value"] = "p99_us"
    table = compact(frame)
    assert table.headers == ("impl", "n", "median (µs)", "trial_ids")
    assert table.rows[0] == ("a", "3", "1,000 [900 - 1,100]", "0001, 0002, 0003")
    assert "bootstrap 95 % interval" in table.note()


def test_compact_table_says_constant_columns_once() -> None:
    frame = pd.DataFrame(
        {
            "server": ["threads", "actor"],
            "impl": ["threads", "actor"],
            "protocol": ["http", "http"],
            "rps": [9000.0, 6000.0],
            "rps_low": [9000.0, 5000.0],
            "rps_high": [9000.0, 7000.0],
            "server_cpu_us_per_req": [50.0, 80.0],
        }
    )
    table = compact(frame)
    assert table.headers == ("server", "rps (req/s)", "server_cpu_us_per_req (µs)")
    assert table.rows == (("threads", "9,000", "50"), ("actor", "6,000 [5,000 - 7,000]", "80"))
    assert table.same == (("protocol", "http"),)


# --- the command ----------------------------------------------------------------------------


def netmodels_report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "report", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _empty_run(root: Path) -> Path:
    return FakeRun(root).finish()


def _garbled(root: Path) -> Path:
    path = _empty_run(root)
    (path / "manifest.json").write_text("{not json")
    return path


def _future(root: Path) -> Path:
    run = FakeRun(root)
    run.add(trial("0001"))
    path = run.finish()
    meta = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**meta, "schema_version": 99}))
    return path


def _no_manifest(root: Path) -> Path:
    path = root / "plain"
    path.mkdir()
    (path / "notes.txt").write_text("not a run")
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda root: root / "nowhere", "no such directory"),
        (_no_manifest, "no manifest.json"),
        (_empty_run, "empty run"),
        (_garbled, "unreadable"),
        (_future, "schema version 99"),
    ],
    ids=["missing", "no-manifest", "empty", "unreadable", "future-schema"],
)
def test_bad_runs_are_one_line_and_exit_2(tmp_path: Path, make: Any, says: str) -> None:
    path = make(tmp_path)
    before = sorted(p.name for p in path.iterdir()) if path.exists() else None
    out = tmp_path / "out"
    done = netmodels_report(str(path), "--out", str(out))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert says in lines[0]
    assert "Traceback" not in done.stderr
    assert not out.exists()
    after = sorted(p.name for p in path.iterdir()) if path.exists() else None
    assert after == before


@pytest.mark.skipif(not COMMITTED_V1.exists(), reason="the committed v1 run is not in this tree")
def test_a_committed_v1_run_reports_elsewhere(tmp_path: Path) -> None:
    before = sorted(p.name for p in COMMITTED_V1.iterdir())
    done = netmodels_report(str(COMMITTED_V1), "--out", str(tmp_path / "v1"))
    assert done.returncode == 0, done.stderr
    assert f"report: {tmp_path / 'v1' / 'report.html'}" in done.stdout
    page = Page((tmp_path / "v1" / "report.html").read_text())
    assert page.sections[:2] == ["run", "validity"]
    assert "schema version 1" in page.text["missing"]
    assert sorted(p.name for p in COMMITTED_V1.iterdir()) == before


def test_building_the_parser_stays_light() -> None:
    code = (
        "import sys, harness.cli; harness.cli.build_parser(); "
        "print(sorted(m for m in ('matplotlib', 'pandas', 'harness.report') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_sweep_keeps_the_run_when_the_report_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness import sweep

    def broken(path: Path) -> None:
        raise RuntimeError("plotting exploded\nsecond line")

    monkeypatch.setattr(report, "write", broken)
    sweep.write_report(tmp_path)  # must not raise
    captured = capsys.readouterr()
    assert "report: not written (RuntimeError: plotting exploded)" in captured.err
    assert "second line" not in captured.err


# --- in a browser ---------------------------------------------------------------------------


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")
def test_renders_in_headless_chromium(
    tmp_path: Path, run_path: Path, stubs: tuple[Stub, ...]
) -> None:
    path = run_path
    html = report.write(path).html
    shot = tmp_path / "shot.png"
    done = chromium(
        f"--screenshot={shot}", "--window-size=1280,2400", html.as_uri(), profile=tmp_path / "p1"
    )
    # The page has no script: any console message at all (an uncaught error, a resource the
    # browser refused to load) is a fault of the page.
    console = [
        line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
    ]
    assert not console, console
    assert shot.exists(), done.stderr[-2000:]
    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[0] > 1000
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50
    dom = chromium("--dump-dom", html.as_uri(), profile=tmp_path / "p2")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = Page(dom.stdout)
    assert len(page.images) == 3
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    shutil.rmtree(tmp_path / "p1", ignore_errors=True)
    shutil.rmtree(tmp_path / "p2", ignore_errors=True)
