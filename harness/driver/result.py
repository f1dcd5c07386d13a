# The merged outcome of one load run across driver processes, and the driver's self-check.
#
# Rules of this file: a number the driver cannot vouch for is flagged, never dropped - the
# thresholds below are the definition of a saturated or lying driver.
"""`LoadResult`: merged counts, histograms, windows and flags of one run."""

from __future__ import annotations

from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from harness.driver import histogram
from harness.profile import Cell

DRIVER_CPU_LIMIT = 0.90
"""A driver process busier than this may have been the bottleneck: `driver_bound`."""

ACHIEVED_RATE_MIN = 0.99
"""An open-loop run that sent fewer than this share of its scheduled requests: `invalid`."""

SLIP_P99_LIMIT_US = 1000.0
"""An open-loop run whose sends were late by more than this at p99: `invalid`."""

DRIVER_WAIT_LIMIT = 0.10
"""A driver process that waited for a CPU (taken by another process) for more than this share
of the measurement: `contended` - the machine was not quiet, and latencies include its waits."""


@dataclass(frozen=True, slots=True)
class Window:
    """One second of the run, all driver processes together (by intended send time)."""

    index: int
    sent: int
    ok: int
    errors: int
    bytes_in: int
    driver_cpu: float  # the busiest driver process's CPU share in this second
    p50_us: float
    p99_us: float
    max_us: float
    slip_max_us: float


@dataclass(frozen=True, slots=True)
class KindResult:
    """One request kind of a mixed workload: its right answers, errors and latencies."""

    requests: int
    errors: int
    histogram: HdrHistogram


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What the driver measured.

    requests: right answers to requests meant for the measurement window.
    sent: requests meant for the measurement window (open mode: scheduled and sent).
    errors: failures by kind (a wrong status, body or length; a lost connection; `unread`: a
        slow reader's answers not yet read at the end, which do not flag the trial; `unfinished`
        for answers still missing after the drain; connect failures).
    driver_cpu: the busiest driver process's CPU share over the measurement.
    driver_wait: the largest share of the measurement a driver process spent runnable but
        waiting for a CPU (None where the kernel does not say).
    """

    cell: Cell
    procs: int
    connections: int
    duration_s: float
    requests: int
    sent: int
    bytes_in: int
    errors: dict[str, int]
    histogram: HdrHistogram
    slip: HdrHistogram
    windows: list[Window]
    driver_cpu: float
    driver_wait: float | None = None
    warmup_ok: int = 0
    warmup_sent: int = 0
    sent_total: int = 0
    ok_total: int = 0
    unfinished: int = 0
    scheduled: int = 0
    pipelined_sends: int = 0
    reconnects: int = 0
    warmup_errors: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, KindResult] = field(default_factory=dict)
    """Mixed workloads only: each request kind's own figures (measurement window)."""
    idle_open: int | None = None
    """Idle connections held open beside the measured ones (None: none were asked for)."""
    idle_errors: dict[str, int] = field(default_factory=dict)
    """Why idle connections could not be opened (connect_refused, fd_limit, ...)."""

    @property
    def error_count(self) -> int:
        """Errors of the measurement window."""
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        """Right answers per second."""
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def mb_s(self) -> float:
        """Megabytes (10**6) per second received, headers included."""
        return self.bytes_in / self.duration_s / 1e6 if self.duration_s > 0 else 0.0

    @property
    def achieved_rate(self) -> float | None:
        """Open mode: the share of the scheduled requests actually sent (1.0 = all of them).

        Scheduled, not rate x duration: a Poisson schedule offers a random count of requests.
        A send is never skipped for being late (lateness is the slip); what falls short here
        is a request that found no open connection to go on.
        """
        if self.cell.mode != "open":
            return None
        return self.sent / self.scheduled if self.scheduled else 0.0

    @property
    def latency(self) -> dict[str, float]:
        """p50 ... p99.99, max, mean in microseconds."""
        return histogram.summary(self.histogram)

    @property
    def slip_p99_us(self) -> float | None:
        """Open mode: how late the driver sent, at p99, in microseconds."""
        if self.cell.mode != "open":
            return None
        if self.slip.get_total_count() == 0:
            return 0.0
        return float(self.slip.get_value_at_percentile(99.0))

    @property
    def flags(self) -> list[str]:
        """`errors`, `driver_bound`, `contended`, `invalid` (thresholds above), `idle_refused`
        (fewer idle connections held than asked for); [] if clean."""
        out = []
        if self.error_count - self.errors.get("unread", 0):
            out.append("errors")
        if self.driver_cpu > DRIVER_CPU_LIMIT:
            out.append("driver_bound")
        if self.driver_wait is not None and self.driver_wait > DRIVER_WAIT_LIMIT:
            out.append("contended")
        achieved, slip = self.achieved_rate, self.slip_p99_us
        if (achieved is not None and achieved < ACHIEVED_RATE_MIN) or (
            slip is not None and slip > SLIP_P99_LIMIT_US
        ):
            out.append("invalid")
        if self.idle_open is not None and self.idle_open < self.cell.idle_connections:
            out.append("idle_refused")
        return out
