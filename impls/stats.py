# What every impl reports about itself, under the same names (docs/metrics.md).
#
# Trio's habit: a stateful object exposes a frozen `statistics()` record. The impls keep plain
# counters (a `Counters`) on their hot path - an int increment, no lock - and build the record
# only when /metrics is scraped, so measuring costs the measured server nothing per request.
# Every series docs/metrics.md lists for an impl exists from its first scrape, at zero until
# something happens: an impl declares its refusal reasons (and whether it runs a loop) when it
# builds its `Counters`, and names every queue of its model in each record it builds.
"""`ServerStatistics` (the frozen record) and `Counters` (the hot-path tallies)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

LOOP_LAG_INTERVAL = 0.1
"""Seconds between loop-lag probes in loop-based impls (a measurement period, not a limit)."""


@dataclass(frozen=True, slots=True)
class ServerStatistics:
    """A snapshot of a running server, the source of every `netmodels_*` metric.

    queue_depths: items waiting in each internal queue of the model, by queue name
        (e.g. "pipeline", "offload", "output"; later "mailbox:Connection", "waiters").
    buffered_bytes_out: bytes accepted for sending but not yet written to the kernel.
    loop_lag_seconds: how late the last loop-lag probe ran; None for impls without a loop.
    """

    connections_open: int
    requests_total: int
    inflight_requests: int
    queue_depths: dict[str, int] = field(default_factory=dict)
    buffered_bytes_out: int = 0
    reading_paused_connections: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    loop_lag_seconds: float | None = None


class Counters:
    """Mutable tallies an impl updates as it runs. Single writer per field, or GIL-atomic +=.

    Args:
        reasons: every refusal reason the impl can count (docs/metrics.md, "Rejections"),
            reported at 0 until it happens.
        loop: the impl runs an event loop: its loop lag is reported (0.0 until the first
            probe), where an impl without one reports none.
    """

    __slots__ = ("connections_open", "requests_total", "inflight", "rejected", "loop_lag")

    def __init__(self, reasons: Iterable[str] = (), *, loop: bool = False) -> None:
        self.connections_open = 0
        self.requests_total = 0
        self.inflight = 0
        self.rejected: Counter[str] = Counter(dict.fromkeys(reasons, 0))
        self.loop_lag: float | None = 0.0 if loop else None

    def snapshot(
        self,
        *,
        queue_depths: dict[str, int] | None = None,
        buffered_bytes_out: int = 0,
        reading_paused_connections: int = 0,
    ) -> ServerStatistics:
        """The record for this moment, with the impl's own queue and buffer figures."""
        return ServerStatistics(
            connections_open=self.connections_open,
            requests_total=self.requests_total,
            inflight_requests=self.inflight,
            queue_depths=dict(queue_depths or {}),
            buffered_bytes_out=buffered_bytes_out,
            reading_paused_connections=reading_paused_connections,
            rejected=dict(self.rejected),
            loop_lag_seconds=self.loop_lag,
        )
