# A trial measured against a known server, committed, and read back through the one loader; and
# the schema's one table of columns against what writes, loads and documents it.
#
# Rules of this file: a run is written by the real writer (`RunDirectory`) and read by the real
# loader; docs/harness.md is compared with `schema.markdown`, never restated here.
"""Results: run directories round-trip through `harness.results.load`; the schema is one table."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest
from _harness_servers import Behaviour, TestServer

from harness.driver import histogram
from harness.process import CpuPlan
from harness.profile import Cell
from harness.results import SCHEMA_VERSION, TRIAL_COLUMNS, RunDirectory, load, schema
from harness.results import manifest as manifest_io
from harness.results.records import KindRecord, TrialRecord
from harness.runner import ServerAddress
from harness.trial import Setup, run_trial


def new_run(path: Path) -> RunDirectory:
    meta = manifest_io.collect(["test"], {"server": [], "driver": []}, {"name": "test"})
    return RunDirectory.create(meta, path)


def measured(run: RunDirectory, trial_id: str, behaviour: Behaviour):  # type: ignore[no-untyped-def]
    with TestServer(behaviour) as server:
        setup = Setup(
            cpus=CpuPlan((), ()),
            driver_procs=1,
            drain=1.0,
            target=ServerAddress(server.host, server.port),
        )
        cell = Cell("test", connections=2, duration=1.0, warmup=0.2)
        return run_trial(trial_id, cell, 1, setup, run.histogram_path(trial_id))


def test_trials_round_trip(tmp_path: Path) -> None:
    run = new_run(tmp_path / "run")
    outcome = measured(run, "0001", Behaviour())
    run.commit(outcome.record, outcome.histogram, outcome.timeseries)
    run.finish(complete=True)

    trials = load(run.path)
    assert list(trials.columns) == list(TRIAL_COLUMNS)
    assert len(trials) == 1
    row = trials.iloc[0]
    expected = outcome.record.row()
    for name in TRIAL_COLUMNS:
        want, got = expected[name], row[name]
        if want == "":
            assert got == "" or (isinstance(got, float) and math.isnan(got)), name
        elif isinstance(want, (int, float)):
            assert float(got) == pytest.approx(float(want)), name
        else:
            assert str(got) == str(want), name
    assert trials.attrs["manifest"]["complete"] is True
    assert trials.attrs["manifest"]["schema_version"] == SCHEMA_VERSION

    hdr = histogram.decode((run.path / row["histogram"]).read_text().strip())
    assert hdr.get_total_count() == row["requests"] > 0

    series = load(run.path, "timeseries")
    client = series[series["source"] == "client"]
    assert len(series) == len(outcome.timeseries)
    assert client["requests"].sum() == row["requests"]


def test_failed_trial_is_a_flagged_row(tmp_path: Path) -> None:
    run = new_run(tmp_path / "run")
    setup = Setup(cpus=CpuPlan((), ()), driver_procs=1, target=ServerAddress("127.0.0.1", 9))
    cell = Cell("test", duration=0.2, warmup=0.0)
    outcome = run_trial("0001", cell, 1, setup, run.histogram_path("0001"))
    run.commit(outcome.record, outcome.histogram, outcome.timeseries)
    row = load(run.path).iloc[0]
    assert row["requests"] == 0
    assert "connect_refused" in json.loads(row["error_kinds"])
    assert "errors" in row["flags"]


def test_uncommitted_time_series_is_ignored(tmp_path: Path) -> None:
    """A trial interrupted after its time series but before its row is not in the run."""
    run = new_run(tmp_path / "run")
    first = measured(run, "0001", Behaviour())
    run.commit(first.record, first.histogram, first.timeseries)
    stray = [{**r, "trial_id": "0002"} for r in first.timeseries]
    lines = [",".join(str(r[c]) for c in r) for r in stray]
    with (run.path / "timeseries.csv").open("a") as f:  # what an interruption would leave
        f.write("\n".join(lines) + "\n")
    assert set(load(run.path, "timeseries")["trial_id"]) == {"0001"}
    resumed = RunDirectory.resume(run.path)
    assert set(load(resumed.path, "timeseries")["trial_id"]) == {"0001"}
    assert "0002" not in (run.path / "timeseries.csv").read_text()


def test_runs_are_never_overwritten(tmp_path: Path) -> None:
    run = new_run(tmp_path / "run")
    with pytest.raises(FileExistsError):
        new_run(run.path)
    first = measured(run, "0001", Behaviour())
    run.commit(first.record, first.histogram, first.timeseries)
    with pytest.raises(ValueError, match="already"):
        run.commit(first.record, first.histogram, first.timeseries)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    run = new_run(tmp_path / "run")
    meta = json.loads((run.path / "manifest.json").read_text())
    meta["schema_version"] = SCHEMA_VERSION + 1
    (run.path / "manifest.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="schema version"):
        load(run.path)


def test_empty_run_loads(tmp_path: Path) -> None:
    run = new_run(tmp_path / "run")
    trials = load(run.path)
    assert trials.empty
    assert list(trials.columns) == list(TRIAL_COLUMNS)
    assert trials.attrs["manifest"]["complete"] is False


DOC = Path(__file__).resolve().parents[2] / "docs" / "harness.md"


@pytest.mark.parametrize("table", sorted(schema.TABLES))
def test_the_docs_show_the_schema(table: str) -> None:
    """docs/harness.md's column table of each file is `schema.markdown` of it, to the letter."""
    want = schema.markdown(schema.TABLES[table])
    block = re.search(rf"<!-- schema: {table} -->\n(.*?)\n<!-- /schema -->", DOC.read_text(), re.S)
    assert block is not None, f"docs/harness.md has no `<!-- schema: {table} -->` block"
    assert block.group(1) == want, f"docs/harness.md's {table} columns differ; they are:\n{want}"


@pytest.mark.parametrize("columns", schema.TABLES.values(), ids=list(schema.TABLES))
def test_schema_tables_are_well_formed(columns: tuple[schema.Column, ...]) -> None:
    names = schema.names(columns)
    assert len(set(names)) == len(names)
    for column in columns:
        assert column.meaning, column.name
        assert "|" not in column.meaning, column.name


@pytest.mark.parametrize(
    ("record", "columns"),
    [(TrialRecord, TRIAL_COLUMNS), (KindRecord, schema.KIND_COLUMNS)],
    ids=["trials", "kinds"],
)
def test_records_have_the_schema_columns(record: type, columns: tuple[str, ...]) -> None:
    assert {f.name for f in dataclasses.fields(record)} == set(columns)
