# The driver processes of one run, seen from the parent: start them, hand out one shared
# timeline, collect and merge their reports - and always leave none behind.
#
# Rules of this file: P processes split N connections, the idle connections and the open-loop
# rate evenly; each is
# started from multiprocessing's forkserver (a clean, single-threaded parent: no inherited
# sampler thread, sockets or progress display) and pinned to the driver CPUs. Every wait has a
# deadline; `close` terminates, then kills, whatever still runs, and runs on every way out.
"""`DriverPool`: the parent side of the driver processes."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
from collections import Counter
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from time import monotonic_ns
from typing import Any

from harness.driver import histogram, worker
from harness.driver.messages import Plan, Report, Times
from harness.driver.result import KindResult, LoadResult, Window
from harness.process import Closing
from harness.profile import Cell

READY_TIMEOUT = 60.0
"""Seconds the driver processes may take to start and open their connections (C10K)."""

REPORT_MARGIN = 30.0
"""Seconds beyond the drain bound a driver process may take to send its report."""

START_MARGIN = 0.05
"""Seconds between "go" and the start of warm-up, so every process gets it in time."""

_context: ForkServerContext | None = None


def context() -> ForkServerContext:
    """The forkserver context, preloaded with the driver's imports (fast process starts) and set
    to die with this process (`preload`)."""
    global _context  # noqa: PLW0603 - one forkserver per harness process
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(["harness.driver.preload", "harness.driver.worker"])
    return _context


class DriverError(RuntimeError):
    """A driver process failed to start or to report."""


class DriverPool(Closing):
    """The driver processes of one run.

    Args:
        cell: the load.
        host, port: the target.
        procs: driver processes (at most one per connection).
        cpus: CPUs each driver process is pinned to (empty: not pinned).
        drain: seconds to wait for outstanding answers after the end.
    """

    def __init__(
        self,
        cell: Cell,
        host: str,
        port: int,
        *,
        procs: int = 1,
        cpus: tuple[int, ...] = (),
        drain: float = 2.0,
        seed: int = 0,
    ) -> None:
        self.cell = cell
        self.procs = max(1, min(procs, cell.connections))
        self.drain = drain
        base, extra = divmod(cell.connections, self.procs)
        idle_base, idle_extra = divmod(cell.idle_connections, self.procs)
        self.plans = [
            Plan(
                cell=cell,
                host=host,
                port=port,
                index=i,
                procs=self.procs,
                connections=base + (1 if i < extra else 0),
                cpus=cpus,
                drain=drain,
                seed=seed,
                idle=idle_base + (1 if i < idle_extra else 0),
            )
            for i in range(self.procs)
        ]
        self._processes: list[BaseProcess] = []
        self._pipes: list[Connection] = []
        self.connected = 0
        self.connect_errors: Counter[str] = Counter()
        self.times: Times | None = None

    def start(self) -> int:
        """Start the processes and wait until each has opened its connections.

        Returns:
            Connections open across all processes.

        Raises:
            DriverError: a process failed or did not get ready within `READY_TIMEOUT`.
        """
        ctx = context()
        for plan in self.plans:
            parent, child = ctx.Pipe()
            process = ctx.Process(
                target=worker.main, args=(plan, child), name=f"driver-{plan.index}", daemon=True
            )
            process.start()
            child.close()
            self._processes.append(process)
            self._pipes.append(parent)
        for message in self._receive_all(READY_TIMEOUT, "ready"):
            _, connected, errors = message
            self.connected += connected
            self.connect_errors.update(errors)
        return self.connected

    def go(self, start_ns: int | None = None) -> Times:
        """Start the run at `start_ns` (default: just after now); returns its timeline."""
        start = start_ns if start_ns is not None else monotonic_ns() + round(START_MARGIN * 1e9)
        self.times = Times.plan(start, self.cell, self.drain)
        for pipe in self._pipes:
            pipe.send(("go", self.times))
        return self.times

    def collect(self) -> LoadResult:
        """Wait for every report and merge them.

        Raises:
            DriverError: a process failed or did not report in time.
        """
        assert self.times is not None, "go() first"
        timeout = (self.times.drain_until - monotonic_ns()) / 1e9 + REPORT_MARGIN
        reports: list[Report] = [m[1] for m in self._receive_all(timeout, "report")]
        return merge(self.cell, reports, self.times)

    def _receive_all(self, timeout: float, expected: str) -> list[Any]:
        deadline = monotonic_ns() + round(timeout * 1e9)
        messages: dict[int, Any] = {}
        waiting = dict(enumerate(self._pipes))
        while waiting:
            remaining = (deadline - monotonic_ns()) / 1e9
            if remaining <= 0:
                raise DriverError(f"{len(waiting)} driver process(es) sent no {expected!r}")
            sentinels = {self._processes[i].sentinel: i for i in waiting}
            ready = multiprocessing.connection.wait(
                [*waiting.values(), *sentinels], timeout=remaining
            )
            for item in ready:
                if isinstance(item, int):
                    i = sentinels[item]
                    if i in waiting and not waiting[i].poll():
                        code = self._processes[i].exitcode
                        raise DriverError(f"driver process {i} exited ({code}) before {expected!r}")
                    continue
                assert isinstance(item, Connection)
                i = next(k for k, pipe in waiting.items() if pipe is item)
                try:
                    message = item.recv()
                except EOFError:
                    raise DriverError(f"driver process {i} closed its pipe") from None
                if message[0] == "error":
                    raise DriverError(f"driver process {i}: {message[1]}")
                if message[0] != expected:
                    raise DriverError(f"driver process {i} sent {message[0]!r}, not {expected!r}")
                messages[i] = message
                del waiting[i]
        return [messages[i] for i in sorted(messages)]

    def run(self) -> LoadResult:
        """Start, go at once, collect and close: the load against the target, with no server
        handling (a trial starts and samples the server between `start` and `go`)."""
        with self:
            self.start()
            self.go()
            return self.collect()

    def close(self) -> None:
        """Stop every process that still runs: terminate, then kill. Idempotent."""
        for pipe in self._pipes:
            pipe.close()
        for process in self._processes:
            process.join(timeout=1.0)
            if process.is_alive():
                process.terminate()
                process.join(timeout=2.0)
            if process.is_alive():
                process.kill()
                process.join()
        self._pipes.clear()
        self._processes.clear()


def merge(cell: Cell, reports: list[Report], times: Times) -> LoadResult:
    """One `LoadResult` from the reports of all driver processes."""
    errors: Counter[str] = Counter()
    warmup_errors: Counter[str] = Counter()
    idle_errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report.errors)
        warmup_errors.update(report.warmup_errors)
        idle_errors.update(report.idle_errors)
    total = histogram.new()
    windows = []
    for w in range(len(reports[0].windows)):
        parts = [r.windows[w] for r in reports]
        latency = histogram.merge(histogram.decode(p.latency) for p in parts)
        total.add(latency)
        summary = histogram.summary(latency)
        windows.append(
            Window(
                index=w,
                sent=sum(p.sent for p in parts),
                ok=sum(p.ok for p in parts),
                errors=sum(p.errors for p in parts),
                bytes_in=sum(p.bytes_in for p in parts),
                driver_cpu=max(p.cpu_s / p.wall_s if p.wall_s > 0 else 0.0 for p in parts),
                p50_us=summary["p50"],
                p99_us=summary["p99"],
                max_us=summary["max"],
                slip_max_us=max(p.slip_max_us for p in parts),
            )
        )
    duration = (times.end - times.measure) / 1e9
    return LoadResult(
        cell=cell,
        procs=len(reports),
        connections=sum(r.connections for r in reports),
        duration_s=duration,
        requests=sum(w.ok for w in windows),
        sent=sum(w.sent for w in windows),
        bytes_in=sum(w.bytes_in for w in windows),
        errors=dict(errors),
        histogram=total,
        slip=histogram.merge(histogram.decode(r.slip) for r in reports),
        windows=windows,
        driver_cpu=max(r.cpu_s / duration for r in reports) if duration > 0 else 0.0,
        driver_wait=max(r.wait_s / duration for r in reports if r.wait_s is not None)
        if duration > 0 and all(r.wait_s is not None for r in reports)
        else None,
        warmup_ok=sum(r.warmup_ok for r in reports),
        warmup_sent=sum(r.warmup_sent for r in reports),
        sent_total=sum(r.sent_total for r in reports),
        ok_total=sum(r.ok_total for r in reports),
        unfinished=sum(r.unfinished for r in reports),
        scheduled=sum(r.scheduled for r in reports),
        pipelined_sends=sum(r.pipelined_sends for r in reports),
        reconnects=sum(r.reconnects for r in reports),
        warmup_errors=dict(warmup_errors),
        kinds=merge_kinds(reports),
        idle_open=sum(r.idle_open for r in reports) if cell.idle_connections else None,
        idle_errors=dict(idle_errors),
    )


def merge_kinds(reports: list[Report]) -> dict[str, KindResult]:
    """Each request kind of a mix, all processes together ({} for a single kind)."""
    labels = dict.fromkeys(label for r in reports for label in r.kinds)
    return {
        label: KindResult(
            requests=sum(r.kinds[label].ok for r in reports if label in r.kinds),
            errors=sum(r.kinds[label].errors for r in reports if label in r.kinds),
            histogram=histogram.merge(
                histogram.decode(r.kinds[label].latency) for r in reports if label in r.kinds
            ),
        )
        for label in labels
    }
