# From a run directory to what the report says, before any HTML or Markdown: the environment,
# the validity checks, one section per experiment present, what the run lacks, the raw files.
# Both renderers read the same `Report`, so the HTML page and the Markdown file cannot disagree.
#
# Rules of this file: a bad run directory is a `ReportError` with one line a user can act on,
# raised before anything is written; an experiment whose analysis, figure or findings raise is
# a section that says so - one broken experiment never loses the others.
"""`load_run(path) -> Run` (checked) and `build(run, out) -> Report`."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from harness import experiments
from harness.analysis.run import Run
from harness.report.format import Table, compact
from harness.report.validity import Check, checks
from harness.results import manifest as manifest_io

PNG_DPI = 110
"""Figures are embedded as PNG at 110 dpi: sharp at the page's width, ~50 KB each."""

RAW_FILES = (
    ("manifest.json", "what ran, where, from which commit"),
    ("trials.csv", "one row per trial (columns in the glossary)"),
    ("timeseries.csv", "client windows once a second, server samples at 10 Hz"),
    ("kinds.csv", "one row per request kind of a mixed workload"),
    ("probes.csv", "measurements that are not load trials (e.g. one selector wait)"),
    ("histograms/", "one HdrHistogram per trial (and per kind), microseconds"),
)
"""The run's own files, linked from the end of the report."""

FIRST_WITH_EXPERIMENTS = 2
"""The schema version that added the `experiment` column (see harness/results/schema.py)."""

PACKAGES_FIRST = ("uvloop", "httptools", "h11")
"""The packages whose versions move the numbers most, named first."""


class ReportError(ValueError):
    """A run directory the report cannot be written for; the message is one line."""


@dataclass(frozen=True, slots=True)
class Section:
    """One experiment's part of the report. `error` set: its analysis raised (nothing else is
    shown); `figure_error` set: the table and findings are there, the figure is not."""

    key: str
    title: str
    question: str
    claim: str
    source: str
    png: bytes | None = None
    table: Table | None = None
    findings: tuple[str, ...] = ()
    error: str | None = None
    figure_error: str | None = None
    findings_error: str | None = None

    @property
    def alt(self) -> str:
        """The figure's text alternative."""
        return f"{self.key}: {self.title}. {self.question}"


@dataclass(frozen=True, slots=True)
class Link:
    """A raw file of the run: `href` relative to the report, `exists` in this run."""

    name: str
    href: str
    meaning: str
    exists: bool


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the report says, in the order it says it."""

    run_id: str
    title: str
    environment: tuple[tuple[str, str], ...]
    checks: tuple[Check, ...]
    sections: tuple[Section, ...]
    absent: tuple[str, ...]
    """Experiments of the registry with no data in the run: `E5 (Coordinated omission)`."""
    missing: tuple[str, ...]
    """Sentences on what an incomplete run (or a profile) lacks."""
    links: tuple[Link, ...]


def load_run(path: str | Path) -> Run:
    """The run at `path`, checked to be something a report can be written for.

    Raises:
        ReportError: no such directory, no manifest.json, an unreadable manifest or table, a
            schema version this code does not know, or no trials and no probes at all.
    """
    root = Path(path)
    if not root.exists():
        raise ReportError(f"{root}: no such directory")
    if not root.is_dir():
        raise ReportError(f"{root}: not a directory")
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise ReportError(f"{root}: not a run directory (no manifest.json)")
    try:
        meta = manifest_io.read(manifest_path)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{manifest_path}: unreadable ({exc.msg}, line {exc.lineno})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{manifest_path}: unreadable ({exc})") from exc
    except ValueError as exc:  # a schema version newer than this code knows
        raise ReportError(_one_line(exc)) from exc
    except AttributeError as exc:  # valid JSON, but not an object
        raise ReportError(f"{manifest_path}: unreadable (not a JSON object)") from exc
    if not isinstance(meta, dict):
        raise ReportError(f"{manifest_path}: unreadable (not a JSON object)")
    try:
        run = Run.load(root)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{root}: unreadable run ({_one_line(exc)})") from exc
    if run.trials.empty and run.probes.empty:
        raise ReportError(f"{root}: an empty run (no trials and no probes): nothing to report")
    return run


def build(run: Run, out: Path) -> Report:
    """What the report of `run` says; links are relative to the directory `out`."""
    meta = run.manifest
    profile = meta.get("profile") or {}
    name = profile.get("name") if isinstance(profile, dict) else None
    run_id = str(meta.get("run_id") or run.path.name)
    title = f"netmodels run {run_id}" + (f" (profile {name})" if name else "")
    present, absent = [], []
    for experiment in experiments.EXPERIMENTS:
        try:
            here = experiment.present(run)
        except Exception as exc:  # a broken registry entry must not stop the report
            present.append(_failed(experiment, exc))
            continue
        if here:
            present.append(section(experiment, run))
        else:
            absent.append(f"{experiment.key} ({experiment.title.split(':', 1)[0]})")
    return Report(
        run_id=run_id,
        title=title,
        environment=tuple(environment(run)),
        checks=tuple(checks(run)),
        sections=tuple(present),
        absent=tuple(absent),
        missing=tuple(missing(run)),
        links=tuple(links(run.path, out)),
    )


def section(experiment: Any, run: Run) -> Section:
    """One experiment's section: its table, figure (as PNG) and findings, each caught."""
    try:
        table = experiment.table(run)
    except Exception as exc:  # say it in the report, go on with the next one
        return _failed(experiment, exc)
    png = figure_error = None
    try:
        png = png_of(experiment.figure(table))
    except Exception as exc:
        figure_error = _one_line(exc)
    findings: tuple[str, ...] = ()
    findings_error = None
    try:
        findings = tuple(str(s) for s in experiment.findings(table))
    except Exception as exc:
        findings_error = _one_line(exc)
    shown = None
    try:
        brief = experiment.shown(table) if hasattr(experiment, "shown") else table
        shown = compact(brief) if isinstance(brief, pd.DataFrame) and not brief.empty else None
    except Exception as exc:
        findings_error = findings_error or f"table could not be shown: {_one_line(exc)}"
    return _section_of(
        experiment,
        png=png,
        table=shown,
        findings=findings,
        figure_error=figure_error,
        findings_error=findings_error,
    )


def _failed(experiment: Any, exc: BaseException) -> Section:
    return _section_of(experiment, error=_one_line(exc))


def _section_of(experiment: Any, **parts: Any) -> Section:
    return Section(
        key=str(experiment.key),
        title=str(experiment.title),
        question=str(experiment.question),
        claim=str(experiment.claim),
        source=str(experiment.source),
        **parts,
    )


def png_of(figure: Any) -> bytes:
    """A matplotlib Figure as PNG bytes on white (the figures lay themselves out: constrained)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, facecolor="white")
    return buffer.getvalue()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def _cpus(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "-"
    return "-" if value in (None, "") else str(value)


def environment(run: Run) -> list[tuple[str, str]]:
    """Section 1, "What was run and where", as (label, value) pairs."""
    meta = run.manifest
    profile = _profile(meta)
    command = meta.get("command")
    sha = meta.get("git_sha")
    dirty = meta.get("git_dirty")
    source = "not in git"
    if sha:
        state = (
            "dirty flag not recorded"
            if dirty is None
            else ("dirty: uncommitted changes" if dirty else "clean")
        )
        source = f"{sha} ({state})"
    packages = meta.get("packages") or meta.get("versions") or {}
    first = [f"{p} {packages.get(p) or 'not installed'}" for p in PACKAGES_FIRST]
    rest = [f"{p} {v}" for p, v in packages.items() if p not in PACKAGES_FIRST and v]
    pin = meta.get("pinning") or {}
    pinning = (
        f"server on CPU {_cpus(pin.get('server', pin.get('server_cpus')))}, driver on CPU "
        f"{_cpus(pin.get('driver', pin.get('driver_cpus')))}, "
        f"{pin.get('driver_procs', '?')} driver process(es)"
    )
    if pin.get("shared"):
        pinning += "; server and driver share CPUs"
    if pin.get("target"):
        pinning += f"; remote target {pin['target']}"
    sessions = meta.get("sessions") or []
    ended = str(meta.get("ended_at") or "not ended")
    if len(sessions) > 1:
        ended += f" ({len(sessions)} sessions: started, then resumed)"
    complete = "yes" if meta.get("complete") else "no"
    if not meta.get("complete") and meta.get("interrupted"):
        complete += f" - {meta['interrupted']}"
    measured = run.trials[run.trials["role"] == "measure"]
    counts = f"{len(run.trials)} trials ({len(measured)} measured)"
    if not run.probes.empty:
        counts += f", {run.probes['probe_id'].nunique()} probes"
    description = str(profile.get("description") or "").strip()
    name = str(profile.get("name") or "-")
    return [
        ("Run", str(meta.get("run_id") or run.path.name)),
        ("Command", " ".join(command) if isinstance(command, list) else str(command or "-")),
        ("Profile", f"{name} - {description}" if description else name),
        ("Source", source),
        (
            "Machine",
            f"{meta.get('cpu_model') or 'unknown CPU'}, {meta.get('cpu_count', '?')} CPUs, "
            f"Linux {meta.get('kernel') or '?'}",
        ),
        (
            "Python",
            f"{meta.get('python', '?')} ({meta.get('python_implementation') or 'CPython'})",
        ),
        ("Packages", ", ".join(first) + ("; also " + ", ".join(rest) if rest else "")),
        ("Pinning", pinning),
        ("Load model", load_model(run)),
        ("Started", str(meta.get("started_at") or "-")),
        ("Ended", ended),
        ("Complete", complete),
        ("Contents", counts),
    ]


def load_model(run: Run) -> str:
    """How load was applied in the run, in one sentence."""
    trials = run.trials[run.trials["role"] == "measure"]
    if trials.empty:
        return "no load trials (probes only)"
    parts = []
    modes = set(trials["mode"])
    if "closed" in modes:
        parts.append(
            "closed loop (each connection keeps its pipeline of requests outstanding; latency "
            "from the write)"
        )
    if "open" in modes:
        arrivals = sorted({a for a in trials["arrivals"] if a} | set()) or ["constant"]
        parts.append(
            f"open loop at a scheduled rate ({' and '.join(arrivals)} arrivals; latency from "
            "the intended send time, no coordinated omission)"
        )
    durations = _values(trials["duration_s"])
    warmups = _values(trials["warmup_s"])
    reps = int(trials["repetition"].max())
    drivers = sorted(set(trials["driver"]) - {""}) or ["netmodels"]
    return (
        f"{'; '.join(parts)}; {durations} s measured after {warmups} s of warm-up; up to "
        f"{reps} repetition(s), interleaved; driver: {', '.join(drivers)}"
    )


def _profile(meta: dict[str, Any]) -> dict[str, Any]:
    profile = meta.get("profile")
    return profile if isinstance(profile, dict) else {}


def _values(column: pd.Series) -> str:
    values = sorted({float(v) for v in column.dropna()})
    return "/".join(f"{v:g}" for v in values) or "?"


def missing(run: Run) -> list[str]:
    """Sentences on what the run lacks: an incomplete run's missing trials, and experiments its
    profile asks for that have no rows."""
    meta = run.manifest
    out = []
    if not meta.get("complete"):
        recorded = meta.get("trials")
        rows = len(run.trials)
        line = f"This run is incomplete: it has {rows} trials"
        if isinstance(recorded, int) and recorded != rows:
            line += f" (the manifest counted {recorded})"
        if meta.get("interrupted"):
            line += f"; it stopped: {meta['interrupted']}"
        out.append(
            line + f". Finish it with `netmodels sweep --resume {run.path}`, then report again."
        )
    version = meta.get("schema_version")
    if isinstance(version, int) and version < FIRST_WITH_EXPERIMENTS:
        out.append(
            f"This run has schema version {version}, older than the experiments: its trials carry "
            "no experiment tag, so only the environment and the validity checks are shown."
        )
    profile = _profile(meta)
    wanted: dict[str, None] = {}
    for table in ("matrix", "probe"):
        entries = profile.get(table) or []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("experiment"):
                wanted[str(entry["experiment"])] = None
    have = set(run.trials["experiment"]) | (
        set(run.probes["experiment"]) if not run.probes.empty else set()
    )
    lacking = [key for key in wanted if key not in have]
    if lacking:
        out.append(
            f"The profile '{profile.get('name', '?')}' asks for {', '.join(lacking)}; the run "
            "has no trials or probes of " + ("it." if len(lacking) == 1 else "them.")
        )
    return out


def links(run_path: Path, out: Path) -> list[Link]:
    """The run's raw files, relative to the report's directory."""
    result = []
    for name, meaning in RAW_FILES:
        target = run_path / name.rstrip("/")
        href = Path(os.path.relpath(target, out)).as_posix() + ("/" if name.endswith("/") else "")
        result.append(Link(name, href, meaning, target.exists()))
    return result


def figure_files(sections: Sequence[Section]) -> dict[str, bytes]:
    """`report_files/<key>.png` -> PNG bytes, for the Markdown report."""
    return {f"{s.key}.png": s.png for s in sections if s.png}
