# One trial, end to end: start the server (pinned), start the driver processes (pinned), sample
# the server on the driver's timeline, run warm-up and measurement, stop everything, and turn
# what was measured into a trials.csv row, a histogram and time-series rows.
#
# Rules of this file: it sits above the pipeline (it uses runner, driver and results), and it
# cleans up on every way out - each resource is released by the `with` or `finally` that
# acquired it, so an exception or Ctrl-C anywhere leaves no server and no driver process.
"""`run_trial`: runner + driver + sampler -> `TrialOutcome`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from time import monotonic_ns
from typing import Any

from harness.driver import DriverError, DriverPool, LoadResult, histogram
from harness.driver.pool import START_MARGIN
from harness.profile import Cell
from harness.results import (
    KindRecord,
    ServerFigures,
    TrialRecord,
    cell_record,
    kind_records,
    server_figures,
    timeseries_rows,
    trial_record,
)
from harness.results.manifest import utc_now
from harness.runner import CpuPlan, ServerAddress, ServerError, ServerProcess, ServerSampler


@dataclass(frozen=True, slots=True)
class Setup:
    """How trials run on this machine.

    target: a server started elsewhere (`--target`); None to start `netmodels serve` per trial.
    driver_procs: driver processes (default: one per driver CPU).
    """

    cpus: CpuPlan
    driver_procs: int
    drain: float = 2.0
    seed: int = 0
    target: ServerAddress | None = None

    def describe(self) -> dict[str, Any]:
        """The pinning and driver settings, as recorded in a manifest."""
        return {
            **self.cpus.describe(),
            "driver_procs": self.driver_procs,
            "drain_s": self.drain,
            "seed": self.seed,
            "target": str(self.target) if self.target else None,
        }


@dataclass(frozen=True, slots=True)
class TrialOutcome:
    """A finished trial: its row, and what to store beside it."""

    record: TrialRecord
    histogram: str | None
    timeseries: list[dict[str, Any]]
    load: LoadResult | None = None
    kinds: list[tuple[KindRecord, str]] = field(default_factory=list)


def run_trial(
    trial_id: str, cell: Cell, repetition: int, setup: Setup, histogram_path: str
) -> TrialOutcome:
    """Run one trial. A server or driver that fails gives a row flagged `failed`, not an
    exception (one broken impl must not end a sweep); KeyboardInterrupt still propagates."""
    started_at = utc_now()
    server = (
        None
        if setup.target is not None
        else ServerProcess(cell.impl, cell.protocol, cell.options, setup.cpus.server)
    )
    try:
        address = setup.target if server is None else server.start()
        assert address is not None
        with DriverPool(
            cell,
            address.host,
            address.port,
            procs=setup.driver_procs,
            cpus=setup.cpus.driver,
            drain=setup.drain,
            seed=setup.seed,
        ) as pool:
            pool.start()
            start = monotonic_ns() + round(START_MARGIN * 1e9)
            sampler = ServerSampler(address.pid, address.admin, start + round(cell.warmup * 1e9))
            sampler.start()
            try:
                pool.go(start)
                load = pool.collect()
            finally:
                samples = sampler.stop()
        died = server is not None and not server.running
    except (ServerError, DriverError, OSError) as exc:
        reason = str(exc)
        if server is not None and isinstance(exc, DriverError):
            reason += server.log_tail()
        return failed(trial_id, cell, repetition, setup, started_at=started_at, reason=reason)
    finally:
        if server is not None:
            server.close()
    figures = server_figures(samples, load.duration_s, load.requests)
    record = trial_record(
        trial_id=trial_id,
        repetition=repetition,
        cell=cell,
        load=load,
        server=figures,
        server_cpus=setup.cpus.server if setup.target is None else (),
        driver_cpus=setup.cpus.driver,
        started_at=started_at,
        histogram=histogram_path,
        extra_flags=["server_died"] if died else [],
    )
    return TrialOutcome(
        record,
        histogram.encode(load.histogram),
        timeseries_rows(trial_id, load, samples),
        load,
        kind_records(trial_id, load, histogram_path),
    )


def failed(
    trial_id: str, cell: Cell, repetition: int, setup: Setup, *, started_at: str, reason: str
) -> TrialOutcome:
    """The row of a trial that could not run (server did not start, driver failed)."""
    record = cell_record(
        trial_id=trial_id,
        repetition=repetition,
        cell=cell,
        driver=cell.driver_name,
        driver_procs=cell.driver_workers or setup.driver_procs,
        server_cpus=setup.cpus.server,
        driver_cpus=setup.cpus.driver,
        started_at=started_at,
        server=ServerFigures(),
    )
    record = replace(
        record, error_kinds=json.dumps({"failed": reason.strip()[-500:]}), flags="failed"
    )
    return TrialOutcome(record, None, [])
