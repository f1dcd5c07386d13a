# A capacity trial measured on a busy machine (`contended`) would make every open-loop rate
# derived from it too low, silently. The sweep measures it again; if it stays contended, the
# trials whose rates came from it are flagged. Checked with a scripted `run_cell` (no servers):
# which attempts are contended is the test's input, the rows are its output.
"""The sweep's handling of a contended capacity trial."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness import profile as profiles
from harness import sweep
from harness.process import CpuPlan
from harness.profile import Cell
from harness.results import RunDirectory, ServerFigures, cell_record, load
from harness.results import manifest as manifest_io
from harness.trial import Setup, TrialOutcome

PROFILE = {
    "name": "cap",
    "duration": 1.0,
    "warmup": 0.0,
    "repetitions": 1,
    "impls": ["eventloop"],
    "matrix": [{"modes": ["open"], "rate_fractions": [0.5]}],
}


def run_with(
    capacity_attempts: list[tuple[float, bool]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], Path]:
    """Run PROFILE with the capacity trial's attempts scripted as (req/s, contended); returns
    the labels `run_cell` was called with and the run directory."""
    attempts = iter(capacity_attempts)
    calls: list[str] = []

    def fake_run_cell(
        trial_id: str, cell: Cell, repetition: int, setup: Setup, histogram_path: str
    ) -> TrialOutcome:
        calls.append(cell.role)
        rps, contended = next(attempts) if cell.role == "capacity" else (cell.rate or 0.0, False)
        record = cell_record(
            trial_id=trial_id,
            repetition=repetition,
            cell=cell,
            driver="netmodels",
            driver_procs=1,
            server_cpus=(0,),
            driver_cpus=(1,),
            started_at=manifest_io.utc_now(),
            server=ServerFigures(),
        )
        record = replace(record, rps=rps, requests=100, flags="contended" if contended else "")
        return TrialOutcome(record, None, [])

    setup = Setup(cpus=CpuPlan.default(), driver_procs=1)
    profile = profiles.from_dict(PROFILE, ["eventloop"])
    meta = manifest_io.collect(["netmodels", "sweep"], setup.describe(), dict(PROFILE))
    run_dir = RunDirectory.create(meta, tmp_path / "run")
    monkeypatch.setattr(sweep, "run_cell", fake_run_cell)
    monkeypatch.setattr(sweep, "write_report", lambda path: None)
    assert sweep.execute(profile, run_dir, setup) == 0
    return calls, run_dir.path


def test_a_contended_capacity_is_measured_again_until_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls, path = run_with([(1000.0, True), (4000.0, False)], tmp_path, monkeypatch)
    assert calls == ["capacity", "capacity", "measure"]
    rows = load(path)
    assert rows["rps"].iloc[0] == 4000.0  # the clean attempt is the one kept
    assert list(rows["flags"]) == ["", ""]
    assert rows["rate"].iloc[1] == 2000.0  # 0.5 x the clean capacity


def test_a_capacity_contended_every_time_flags_its_open_loop_trials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = [(1000.0, True), (3000.0, True), (2000.0, True)]
    calls, path = run_with(attempts, tmp_path, monkeypatch)
    assert calls == ["capacity", "capacity", "capacity", "measure"]
    rows = load(path)
    assert rows["rps"].iloc[0] == 3000.0  # the highest of the contended attempts
    assert rows["rate"].iloc[1] == 1500.0
    assert list(rows["flags"]) == ["contended", "contended"]
