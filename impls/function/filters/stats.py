# StatsFilter: count and time every call, on the hot path, for the price of two clock reads.
#
# Rules of this file: the filter writes plain counters (the shared `Counters`, read by the admin
# endpoint only when scraped) and a fixed-bucket latency histogram; nothing allocates per call.
"""`StatsFilter` and `LatencyHistogram`."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from time import perf_counter
from typing import TypeVar

from impls.function._filter import SimpleFilter
from impls.function._service import Service
from impls.stats import Counters

Req = TypeVar("Req")
Rep = TypeVar("Rep")

LATENCY_BOUNDS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
)  # fmt: skip
"""Upper bounds (seconds) of the latency buckets: 100 µs (a /ping) to 10 s (the longest /delay)."""


@dataclass(frozen=True, slots=True)
class LatencySnapshot:
    """The histogram at one moment: `counts[i]` calls took at most `bounds[i]` seconds and more
    than the bound before; the last count is everything slower than the last bound."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    total_seconds: float

    @property
    def count(self) -> int:
        """Calls recorded."""
        return sum(self.counts)


class LatencyHistogram:
    """Call durations in fixed buckets (Prometheus-style, non-cumulative here)."""

    __slots__ = ("bounds", "_counts", "_total")

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BOUNDS) -> None:
        self.bounds = bounds
        self._counts = [0] * (len(bounds) + 1)
        self._total = 0.0

    def record(self, seconds: float) -> None:
        """Add one call that took `seconds`."""
        self._counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self._total += seconds

    def snapshot(self) -> LatencySnapshot:
        """A frozen copy."""
        return LatencySnapshot(self.bounds, tuple(self._counts), self._total)


class StatsFilter(SimpleFilter[Req, Rep]):
    """Counts calls (total, in flight, failed) and records their latency."""

    __slots__ = ("counters", "latency", "failures")

    def __init__(self, counters: Counters, latency: LatencyHistogram | None = None) -> None:
        self.counters = counters
        self.latency = latency if latency is not None else LatencyHistogram()
        self.failures = 0

    async def apply(self, request: Req, service: Service[Req, Rep]) -> Rep:
        counters = self.counters
        counters.inflight += 1
        start = perf_counter()
        try:
            return await service(request)
        except Exception:
            self.failures += 1
            raise
        finally:
            counters.inflight -= 1
            counters.requests_total += 1
            self.latency.record(perf_counter() - start)

    def __repr__(self) -> str:
        return "StatsFilter()"
