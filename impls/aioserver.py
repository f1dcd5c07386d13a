# What a server on asyncio transports keeps beside its connections, written once for the two that
# have one (eventloop-callbacks and the function binding): the loop it runs on, admission at
# `--max-connections`, the set of open connections with "the last one out" during a stop, the
# loop-lag probe, and the statistics snapshot.
#
# Rules of this file: bookkeeping only - no serving, no policy of a model. Everything runs on the
# loop thread, except `statistics()`, which the admin thread calls: it copies the connection set in
# one C-level call (atomic under the GIL), reads plain ints and bools, and never calls a loop
# method (asyncio loops are not thread-safe).
"""`new_loop(config)` and `Connections`: the shared bookkeeping of the asyncio-based impls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from impls.config import ServerConfig
from impls.osutil import new_selector
from impls.stats import LOOP_LAG_INTERVAL, Counters, ServerStatistics
from impls.transport import SansIOProtocol, receive_buffer

P = TypeVar("P", bound=SansIOProtocol[Any])


def new_loop(config: ServerConfig) -> asyncio.AbstractEventLoop:
    """uvloop (libuv underneath), or the stock asyncio loop on `config.selector`."""
    if config.loop == "uvloop":
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop
    return asyncio.SelectorEventLoop(new_selector(config.selector))


class Connections(Generic[P]):
    """The open connections of one server, and who may join them.

    Args:
        config: `max_connections` is read from it.
        counters: the server's tallies: `connections_open`, `rejected["max_connections"]`,
            `loop_lag`.
        loop: the loop the server runs on.
        on_last_gone: called when, once `stopping` is set, the last connection is forgotten.
    """

    def __init__(
        self,
        config: ServerConfig,
        counters: Counters,
        loop: asyncio.AbstractEventLoop,
        on_last_gone: Callable[[], None],
    ) -> None:
        self.config = config
        self.counters = counters
        self.loop = loop
        self.receive_buffer = receive_buffer(config)  # where every connection's reads land
        self.stopping = False
        self._open: set[P] = set()
        self._on_last_gone = on_last_gone

    def admit(self, protocol: P) -> bool:
        """Count a new connection in; False (and counted as rejected) beyond max_connections or
        once stopping."""
        counters = self.counters
        if self.stopping or counters.connections_open >= self.config.max_connections:
            counters.rejected["max_connections"] += 1
            return False
        counters.connections_open += 1
        self._open.add(protocol)
        return True

    def forget(self, protocol: P) -> None:
        """A connection admitted by `admit` is gone; the last one out during a stop says so."""
        self._open.discard(protocol)
        self.counters.connections_open -= 1
        if self.stopping and not self._open:
            self._on_last_gone()

    def __iter__(self) -> Iterator[P]:
        """A copy, so a caller may close connections while iterating."""
        return iter(tuple(self._open))

    def __len__(self) -> int:
        return len(self._open)

    def start_lag_probe(self) -> None:
        """Measure, every LOOP_LAG_INTERVAL until stopping, how late a timer callback runs."""
        due = self.loop.time() + LOOP_LAG_INTERVAL
        self.loop.call_at(due, self._probe, due)

    def _probe(self, due: float) -> None:
        now = self.loop.time()
        self.counters.loop_lag = max(0.0, now - due)
        if not self.stopping:
            due = now + LOOP_LAG_INTERVAL
            self.loop.call_at(due, self._probe, due)

    def statistics(self, *, offload: int = 0, timers: int = 0) -> ServerStatistics:
        """A snapshot: the connections' pipelines, timers, output and paused reads, plus the
        server's own `offload` jobs and `timers`. Safe from any thread (see the module comment)."""
        protocols = tuple(self._open)
        return self.counters.snapshot(
            queue_depths={
                "pipeline": sum(p.conn.pending for p in protocols),
                "offload": offload,
                "timers": timers + sum(p.armed_timers for p in protocols),
            },
            buffered_bytes_out=sum(p.buffered_bytes() for p in protocols),
            reading_paused_connections=sum(p.reading_paused for p in protocols),
        )
