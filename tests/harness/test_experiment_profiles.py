# What a profile can say for the experiments (tags, per-matrix servers, option variants, idle
# connections, slow readers, probes, one capacity for both admission variants), and how the
# schema v2 tables (kinds.csv, probes.csv) are written and read back.
"""Tests of the experiment parts of harness.profile and harness.results (schema v2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _fake_runs import FakeRun, trial

from harness import profile
from harness.analysis.run import Run
from harness.results import RunDirectory, load
from harness.results import manifest as manifest_io

REGISTERED = ["a", "b"]
TARGETS = ["bare", "stall"]


def build(matrix: list[dict[str, object]], **top: object) -> profile.Profile:
    return profile.from_dict({"name": "t", "matrix": matrix, **top}, REGISTERED, TARGETS)


def test_matrix_tags_its_cells_with_the_experiment() -> None:
    p = build([{"experiment": "E1", "connections": [1, 64]}, {"connections": [8]}])
    tags = [(c.impl, c.connections, c.experiment) for c in p.cells()]
    assert tags == [
        ("a", 1, "E1"),
        ("a", 64, "E1"),
        ("a", 8, ""),
        ("b", 1, "E1"),
        ("b", 64, "E1"),
        ("b", 8, ""),
    ]


def test_a_matrix_may_name_its_own_servers_targets_included() -> None:
    p = build(
        [
            {"experiment": "E1"},
            {"experiment": "E5", "impls": [{"name": "stall", "options": {"stall_ms": 50}}]},
        ]
    )
    stall = [c for c in p.cells() if c.experiment == "E5"]
    assert [(c.impl, c.options) for c in stall] == [("stall", (("stall_ms", "50"),))]
    assert {c.impl for c in p.cells() if c.experiment == "E1"} == {"a", "b"}


def test_targets_are_only_allowed_where_named() -> None:
    with pytest.raises(ValueError, match="unknown impl 'nosuch'"):
        build([{"impls": ["nosuch"]}])
    with pytest.raises(ValueError, match="unknown impl 'stall'"):
        profile.from_dict({"impls": ["stall"], "matrix": [{}]}, REGISTERED, TARGETS)


def test_option_variants_cross_every_server() -> None:
    p = build([{"options": [{"parser": "httptools"}, {"parser": "h11"}]}])
    assert [(c.impl, c.options_text) for c in p.cells()] == [
        ("a", "parser=httptools"),
        ("a", "parser=h11"),
        ("b", "parser=httptools"),
        ("b", "parser=h11"),
    ]


def test_idle_connections_and_slow_readers_expand() -> None:
    p = build([{"idle_connections": [0, 100], "read_rates": [1024], "pipelines": [16]}])
    cell = p.cells()[1]
    assert (cell.idle_connections, cell.read_rate, cell.pipeline) == (100, 1024, 16)
    assert "+100 idle" in cell.label
    assert "reading 1,024 B/s" in cell.label
    with pytest.raises(ValueError, match="closed mode"):
        build([{"modes": ["open"], "rates": [10], "read_rates": [1024]}])


def test_admission_variants_share_one_capacity_trial() -> None:
    p = build(
        [{"options": [{}, {"max_inflight": 8}], "modes": ["open"], "rate_fractions": [0.5, 1.5]}],
        capacity={"ignore_options": ["max_inflight"]},
        impls=["a"],
    )
    capacity = p.capacity_cells()
    assert len(capacity) == 1
    assert capacity[0].options == ()
    groups = {p.capacity.group(c) for c in p.cells()}
    assert groups == {p.capacity.group(capacity[0])}


def test_probes_are_read_and_checked() -> None:
    p = build([{}], probe=[{"kind": "selector_wait", "experiment": "E7", "params": [10, 20]}])
    assert p.probes == (
        profile.ProbeSpec("selector_wait", "E7", ("select", "poll", "epoll"), (10, 20), 200),
    )
    with pytest.raises(ValueError, match="unknown probe kind"):
        build([{}], probe=[{"kind": "stopwatch"}])


def test_sweep_impl_filter_reaches_matrix_servers() -> None:
    p = build([{}, {"impls": ["bare"]}])
    assert [s.name for s in p.servers()] == ["a", "b", "bare"]
    only = profile.from_dict(
        {"name": "t", "matrix": [{}, {"impls": ["bare"]}], "only": ["bare"]}, REGISTERED, TARGETS
    )
    assert {c.impl for c in only.cells()} == {"bare"}


def test_lecture_profile_covers_every_experiment() -> None:
    from harness.experiments import EXPERIMENTS
    from harness.targets import TARGETS as ALL_TARGETS
    from impls.registry import IMPLS

    p = profile.load("lecture", list(IMPLS), list(ALL_TARGETS))
    tags = {c.experiment for c in p.cells()} | {s.experiment for s in p.probes}
    assert tags == {e.key for e in EXPERIMENTS}
    assert p.repetitions >= 3


def test_every_experiment_is_reachable_as_the_notebooks_reach_it() -> None:
    from harness import analysis, plots
    from harness.experiments import EXPERIMENTS

    for e in EXPERIMENTS:  # `analysis.<name>.table(run)`, `plots.<name>.figure(table)`
        assert callable(getattr(analysis, e.name).table), e.name
        assert callable(getattr(plots, e.name).figure), e.name


def test_kinds_and_probes_round_trip(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    run.add(
        trial("0001", workload="ping@90+work:1@10", experiment="E6"),
        latencies=[100] * 9 + [2000],
        kinds={"ping": (0, [100] * 9), "work:1": (1, [2000])},
    )
    run.probe(
        [
            {
                "experiment": "E7",
                "probe": "selector_wait",
                "variant": "select",
                "param": 2000,
                "repetition": 1,
                "value": None,
                "unit": "us",
                "count": 0,
                "note": "select() takes only descriptors below FD_SETSIZE (1024)",
            },
        ]
    )
    run.finish()
    loaded = Run.load(run.path)
    kinds = loaded.kinds.set_index("kind")
    assert kinds.loc["work:1", "errors"] == 1
    assert kinds.loc["ping", "requests"] == 9
    assert loaded.histogram(kinds.loc["work:1", "histogram"]).get_max_value() >= 2000
    probe = loaded.probes.iloc[0]
    assert probe["probe_id"] == "P01r1"
    assert probe["value"] != probe["value"]  # refused: NaN, not zero
    assert "FD_SETSIZE" in probe["note"]
    assert loaded.trials.loc[0, "experiment"] == "E6"


def test_uncommitted_kinds_rows_are_dropped_on_resume(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    run.add(trial("0001"), kinds={"ping": (0, [1, 2])})
    path = run.path
    # A trial interrupted after its kinds rows but before its trials.csv row:
    with (path / "kinds.csv").open("a") as f:
        f.write("0002,ping,1,0,1.0,,,,,,,,\n")
    resumed = RunDirectory.resume(path)
    assert resumed.is_committed("0001")
    assert list(load(path, "kinds")["trial_id"]) == ["0001"]


def test_version_1_runs_load_and_refuse_resume(tmp_path: Path) -> None:
    run = FakeRun(tmp_path)
    run.add(trial("0001"))
    meta_path = run.path / "manifest.json"
    meta = json.loads(meta_path.read_text())
    meta["schema_version"] = 1
    meta_path.write_text(json.dumps(meta))
    # a v1 trials.csv has no v2 columns
    trials = (run.path / "trials.csv").read_text().splitlines()
    header = trials[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in ("experiment", "read_rate")]
    (run.path / "trials.csv").write_text(
        "\n".join(",".join(row.split(",")[i] for i in keep) for row in trials) + "\n"
    )
    frame = load(run.path)
    assert frame.loc[0, "experiment"] == ""
    assert frame["read_rate"].isna().all()
    with pytest.raises(ValueError, match="another netmodels"):
        RunDirectory.resume(run.path)
    assert manifest_io.read(meta_path)["schema_version"] == 1
