# What crosses the pipe between the driver's parent (`DriverPool`) and one driver process: the
# `Plan` it is started with, the `Times` of the run's phases it is told to keep, and the `Report`
# it sends back. The contract of a driver process, apart from the loop that fulfils it
# (harness/driver/load.py).
#
# Rules of this file: frozen, picklable records and nothing else - no sockets, no event loop;
# every phase boundary is a CLOCK_MONOTONIC instant in nanoseconds chosen by the parent, shared
# by all driver processes and the server sampler, so their windows line up.
"""`Plan`, `Times` and `Report`: a driver process's orders and its answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.driver.tally import KindReport, WindowReport
from harness.profile import Cell


@dataclass(frozen=True, slots=True)
class Plan:
    """What one driver process does: its share of a cell's load against one target.

    index, procs: this process's number among `procs` driver processes.
    connections: this process's connections.
    idle: this process's idle connections (held open, never written to).
    rate: this process's share of the open-loop rate (the schedule interleaves processes).
    cpus: CPUs to pin this process to (empty: not pinned).
    """

    cell: Cell
    host: str
    port: int
    index: int = 0
    procs: int = 1
    connections: int = 1
    cpus: tuple[int, ...] = ()
    drain: float = 2.0
    seed: int = 0
    idle: int = 0


@dataclass(frozen=True, slots=True)
class Times:
    """The run's phase boundaries (CLOCK_MONOTONIC ns): warm-up from `start`, measurement from
    `measure` to `end`, then at most `drain_until` to collect outstanding answers."""

    start: int
    measure: int
    end: int
    drain_until: int

    @classmethod
    def plan(cls, start_ns: int, cell: Cell, drain: float) -> Times:
        measure = start_ns + round(cell.warmup * 1e9)
        end = measure + round(cell.duration * 1e9)
        return cls(start_ns, measure, end, end + round(drain * 1e9))


@dataclass(frozen=True, slots=True)
class Report:
    """What one driver process sends back to the parent (picklable)."""

    index: int
    connections: int
    windows: list[WindowReport]
    slip: str  # encoded HDR histogram of schedule slip (open mode), microseconds
    errors: dict[str, int]
    warmup_errors: dict[str, int]
    warmup_ok: int
    warmup_sent: int
    sent_total: int
    ok_total: int
    unfinished: int
    scheduled: int
    pipelined_sends: int
    reconnects: int
    cpu_s: float
    wait_s: float | None  # runnable but not running (another process had the CPU)
    idle_open: int = 0  # idle connections still open at the end of the measurement
    idle_errors: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, KindReport] = field(default_factory=dict)  # mixes only
