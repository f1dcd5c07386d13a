# One driver process's tallies of one run. The clients' hot path only appends an integer to a
# list or bumps a counter here; `flush` (every FLUSH_NS, off the per-response path) moves latencies
# into bucket counts, and the HDR histograms are built from them once the sending is over.
#
# Rules of this file: requests are attributed to the one-second window of the moment they were
# *meant* to be sent (the send time in closed mode, the scheduled time in open mode), so a
# window's latencies are those of the requests it issued - the view that shows a stall where it
# happened. Slot 0 is warm-up (counted, then discarded); slot w + 1 is measured window w.
# A flush runs on the event loop between sends, so it must stay short: a few thousand values
# into numpy counts (~0.1 ms), never a second's worth into an HdrHistogram (several ms, and
# every send scheduled meanwhile would slip by that much).
# A mixed workload also keeps each request kind's measured latencies and failures apart (indexed
# by `Request.kind`); a single-kind workload keeps none (`by_kind` is None: one test per answer).
"""`Tally`: per-window latencies, counts, errors, bytes and CPU of one driver process."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from harness.driver import histogram
from harness.driver.requests import Request

WINDOW_NS = 1_000_000_000
"""Length of a time-series window: one second."""

FLUSH_NS = 50_000_000
"""How often the latencies appended so far are counted: 50 ms keeps a flush to ~2,000 values at
40k answers/s (~0.1 ms of the loop), and the lists short."""


@dataclass(frozen=True, slots=True)
class WindowReport:
    """One second of one driver process, as sent to the parent."""

    index: int
    sent: int
    ok: int
    errors: int
    bytes_in: int
    cpu_s: float
    wall_s: float
    latency: str  # encoded HDR histogram (microseconds)
    slip_max_us: float


@dataclass(frozen=True, slots=True)
class KindReport:
    """One request kind of a mix in one driver process, over the measurement (sent to the
    parent): right answers, failures and their latency histogram (encoded, microseconds)."""

    ok: int
    errors: int
    latency: str


@dataclass(slots=True)
class Tally:
    """Counts of one process. `measure_ns` is the CLOCK_MONOTONIC start of measurement;
    `kinds` the number of request kinds of a mix (0: one kind, no per-kind counts)."""

    measure_ns: int
    duration_ns: int
    windows: int = 0
    latencies: list[list[int]] = field(default_factory=list)
    slips: list[list[int]] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    ok: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    warmup_errors: Counter[str] = field(default_factory=Counter)
    bytes_in: int = 0
    scheduled: int = 0  # open mode: intended send times in the measurement window
    pipelined_sends: int = 0
    reconnects: int = 0
    counts: list[histogram.Counts | None] = field(default_factory=list)
    slip_counts: histogram.Counts = field(default_factory=histogram.Counts)
    slip_max: list[int] = field(default_factory=list)
    kinds: int = 0
    by_kind: list[list[int]] | None = None
    """Mixes: latencies (ns) of measured right answers not yet flushed, by `Request.kind`."""
    kind_ok: list[int] = field(default_factory=list)
    kind_failed: list[int] = field(default_factory=list)
    kind_counts: list[histogram.Counts] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.windows = max(1, math.ceil(self.duration_ns / WINDOW_NS))
        slots = self.windows + 1
        self.latencies = [[] for _ in range(slots)]
        self.slips = [[] for _ in range(slots)]
        self.sent = [0] * slots
        self.ok = [0] * slots
        self.failed = [0] * slots
        self.counts = [None] * slots
        self.slip_max = [0] * slots
        if self.kinds > 1:
            self.by_kind = [[] for _ in range(self.kinds)]
            self.kind_ok = [0] * self.kinds
            self.kind_failed = [0] * self.kinds
            self.kind_counts = [histogram.Counts() for _ in range(self.kinds)]

    def slot(self, t_ns: int) -> int:
        """The slot of a request meant to be sent at `t_ns`: 0 = warm-up, w + 1 = window w."""
        if t_ns < self.measure_ns:
            return 0
        return min(self.windows, (t_ns - self.measure_ns) // WINDOW_NS + 1)

    def fail(self, slot: int, kind: str, count: int = 1, request: Request | None = None) -> None:
        """Count `count` failed requests of `slot` (a wrong answer, a lost connection...);
        `request`, when known, is what failed (a mix counts failures per request kind)."""
        self.failed[slot] += count
        (self.errors if slot else self.warmup_errors)[kind] += count
        if slot and request is not None and self.by_kind is not None:
            self.kind_failed[request.kind] += count

    def flush(self) -> None:
        """Move the latencies appended so far into the windows' bucket counts."""
        for slot in range(len(self.latencies)):
            values = self.latencies[slot]
            if values:
                self.ok[slot] += len(values)
                if slot:  # warm-up latencies are only counted
                    window = self.counts[slot]
                    if window is None:
                        window = self.counts[slot] = histogram.Counts()
                    window.record_ns(values)
                self.latencies[slot] = []
            slips = self.slips[slot]
            if slips:
                if slot:
                    self.slip_counts.record_ns(slips)
                self.slip_max[slot] = max(self.slip_max[slot], *slips)
                self.slips[slot] = []
        if self.by_kind is not None:
            for kind, values in enumerate(self.by_kind):
                if values:
                    self.kind_ok[kind] += len(values)
                    self.kind_counts[kind].record_ns(values)
                    self.by_kind[kind] = []

    def report(
        self, cpu_s: list[float], wall_s: list[float], bytes_in: list[int]
    ) -> list[WindowReport]:
        """The measured windows (after a final `flush`), with their CPU, wall time and bytes."""
        reports = []
        for w in range(self.windows):
            slot = w + 1
            counts = self.counts[slot]
            latency = counts.histogram() if counts is not None else histogram.new()
            reports.append(
                WindowReport(
                    index=w,
                    sent=self.sent[slot],
                    ok=self.ok[slot],
                    errors=self.failed[slot],
                    bytes_in=bytes_in[w] if w < len(bytes_in) else 0,
                    cpu_s=cpu_s[w] if w < len(cpu_s) else 0.0,
                    wall_s=wall_s[w] if w < len(wall_s) else 0.0,
                    latency=histogram.encode(latency),
                    slip_max_us=self.slip_max[slot] / 1000,
                )
            )
        return reports

    def kind_reports(self, labels: tuple[str, ...]) -> dict[str, KindReport]:
        """Mixes: each kind's figures over the measurement (after a final `flush`), by label;
        {} for a single kind."""
        if self.by_kind is None:
            return {}
        return {
            label: KindReport(
                ok=self.kind_ok[kind],
                errors=self.kind_failed[kind],
                latency=histogram.encode(self.kind_counts[kind].histogram()),
            )
            for kind, label in enumerate(labels)
        }

    def slip_histogram(self) -> HdrHistogram:
        """Schedule slip of the measured sends (after a final `flush`), microseconds."""
        return self.slip_counts.histogram()
