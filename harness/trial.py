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
from pathlib import Path
from time import monotonic_ns
from typing import Any

from harness import console
from harness.driver import DriverError, DriverPool, LoadResult, histogram
from harness.driver.pool import START_MARGIN
from harness.process import CpuPlan
from harness.profile import Cell
from harness.results import (
    KindRecord,
    RunDirectory,
    ServerFigures,
    TrialRecord,
    cell_record,
    kind_records,
    server_figures,
    timeseries_rows,
    trial_record,
)
from harness.results.manifest import utc_now
from harness.runner import ServerAddress, ServerError, ServerProcess, ServerSampler


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

    def server(self, cell: Cell, home: Path | None = None) -> ServerProcess | None:
        """The server to start for `cell` (`home`: another checkout's code), or None when the
        trials measure a server started elsewhere (`target`)."""
        if self.target is not None:
            return None
        return ServerProcess(cell.impl, cell.protocol, cell.options, self.cpus.server, home)

    def record(
        self,
        trial_id: str,
        cell: Cell,
        repetition: int,
        *,
        started_at: str,
        driver: str,
        driver_procs: int,
        server: ServerFigures,
    ) -> TrialRecord:
        """The row of a trial of `cell` on this machine before the driver's figures are in
        (`cell_record` with the CPUs of this setup)."""
        return cell_record(
            trial_id=trial_id,
            repetition=repetition,
            cell=cell,
            driver=driver,
            driver_procs=driver_procs,
            server_cpus=self.cpus.server,
            driver_cpus=self.cpus.driver,
            started_at=started_at,
            server=server,
        )

    def address(self, server: ServerProcess | None) -> ServerAddress:
        """Start `server` (from `server()`) and return where it listens, or the target's address.

        Raises:
            ServerError: the server did not start.
        """
        if server is None:
            assert self.target is not None
            return self.target
        return server.start()


@dataclass(frozen=True, slots=True)
class TrialOutcome:
    """A finished trial: its row, and what to store beside it."""

    record: TrialRecord
    histogram: str | None
    timeseries: list[dict[str, Any]]
    load: LoadResult | None = None
    kinds: list[tuple[KindRecord, str]] = field(default_factory=list)
    server_cpu: tuple[float, float] | None = None
    """(user, system) CPU seconds of the server's process tree over the measured run, where
    they were read exactly at its start and end (a wrk trial); None elsewhere."""


@dataclass
class Trials:
    """Where a command's trials go - run directory, progress display, machine - and their ids
    (`calibrate` and `ping`; a sweep keeps its own, resumable, order)."""

    run_dir: RunDirectory
    bar: console.SweepProgress
    setup: Setup
    count: int = 0

    def next_id(self) -> str:
        """The id of the next trial: 0001, 0002, ... in the order they run."""
        self.count += 1
        return f"{self.count:04d}"

    def commit(self, outcome: TrialOutcome, label: str) -> TrialRecord:
        """Store a finished trial and print its line."""
        self.run_dir.commit(outcome.record, outcome.histogram, outcome.timeseries)
        self.bar.print(console.trial_line(outcome.record, label))
        return outcome.record


def run_trial(
    trial_id: str, cell: Cell, repetition: int, setup: Setup, histogram_path: str
) -> TrialOutcome:
    """Run one trial. A server or driver that fails gives a row flagged `failed`, not an
    exception (one broken impl must not end a sweep); KeyboardInterrupt still propagates."""
    started_at = utc_now()
    server = setup.server(cell)
    try:
        address = setup.address(server)
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
    record = setup.record(
        trial_id,
        cell,
        repetition,
        started_at=started_at,
        driver=cell.driver_name,
        driver_procs=cell.driver_workers or setup.driver_procs,
        server=ServerFigures(),
    )
    record = replace(
        record, error_kinds=json.dumps({"failed": reason.strip()[-500:]}), flags="failed"
    )
    return TrialOutcome(record, None, [])
