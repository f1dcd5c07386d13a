# What the connections of one callback-style server share: the loop, the settings, the encoder,
# the pool, the counters, the open connections - and the server's life: admit, probe, stop.
#
# Rules of this file: everything here runs on the loop thread, except `statistics()`, which the
# admin thread calls. It reads plain ints and bools, copies the connection set in one C-level call
# (atomic under the GIL), and never calls a loop method: asyncio loops are not thread-safe.
"""`CallbackServer`: state and life cycle shared by the `ConnectionProtocol`s of one server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from impls.config import ServerConfig
from impls.protocol import ResponseEncoder
from impls.stats import LOOP_LAG_INTERVAL, Counters, ServerStatistics
from impls.transport import receive_buffer

if TYPE_CHECKING:
    from .callbacks_protocol import ConnectionProtocol

log = logging.getLogger("netmodels.eventloop.callbacks")


class CallbackServer:
    """One server's shared state; `ConnectionProtocol`s call `admit` and `forget`.

    Args:
        config: every setting.
        loop: the loop everything runs on.
        pool: where /work runs, or None to run it inline on the loop.
    """

    def __init__(
        self, config: ServerConfig, loop: asyncio.AbstractEventLoop, pool: Executor | None
    ) -> None:
        self.config = config
        self.loop = loop
        self.pool = pool
        self.encoder = ResponseEncoder(config.server_name)
        self.receive_buffer = receive_buffer(config)  # where every connection's reads land
        self.counters = Counters(("overload", "max_connections"), loop=True)
        self.connections: set[ConnectionProtocol] = set()
        self.offload_pending = 0  # /work jobs submitted to the pool and not yet answered
        self.delays_pending = 0  # /delay timers armed and not yet fired
        self.stopping = False
        self._on_stopped: Callable[[], None] | None = None
        self._grace: asyncio.TimerHandle | None = None

    # --- connections ------------------------------------------------------------------------
    def admit(self, protocol: ConnectionProtocol) -> bool:
        """Count a new connection in; False (and counted as rejected) beyond max_connections."""
        counters = self.counters
        if self.stopping or counters.connections_open >= self.config.max_connections:
            counters.rejected["max_connections"] += 1
            return False
        counters.connections_open += 1
        self.connections.add(protocol)
        return True

    def forget(self, protocol: ConnectionProtocol) -> None:
        """A connection admitted by `admit` is gone; the last one out finishes a stop."""
        self.connections.discard(protocol)
        self.counters.connections_open -= 1
        if self.stopping and not self.connections:
            self._stopped()

    # --- loop lag ---------------------------------------------------------------------------
    def start_lag_probe(self) -> None:
        """Measure, every LOOP_LAG_INTERVAL, how late a timer callback runs."""
        due = self.loop.time() + LOOP_LAG_INTERVAL
        self.loop.call_at(due, self._probe, due)

    def _probe(self, due: float) -> None:
        now = self.loop.time()
        self.counters.loop_lag = max(0.0, now - due)
        if not self.stopping:
            due = now + LOOP_LAG_INTERVAL
            self.loop.call_at(due, self._probe, due)

    # --- stop -------------------------------------------------------------------------------
    def stop(self, on_stopped: Callable[[], None]) -> None:
        """Let in-flight answers go out, then close every connection; `on_stopped` when done.

        Idle connections close at once (half-close, then linger); busy ones after their answer.
        Whatever is left after `config.grace` seconds is aborted - or at once, when `stop` is
        called again meanwhile (a second signal: whoever sent it will not wait).
        """
        if self.stopping:
            self._abort_all()
            return
        self.stopping = True
        self._on_stopped = on_stopped
        if not self.connections:
            self._stopped()
            return
        self._grace = self.loop.call_later(self.config.grace, self._grace_over)
        for protocol in list(self.connections):
            protocol.stop()

    def _grace_over(self) -> None:
        self._grace = None
        if self.connections:
            log.warning("grace period over: aborting %d connection(s)", len(self.connections))
        self._abort_all()

    def _abort_all(self) -> None:
        # Each abort reports connection_lost soon; the last one out calls `_stopped`.
        for protocol in list(self.connections):
            protocol.abort()

    def _stopped(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        on_stopped, self._on_stopped = self._on_stopped, None
        if on_stopped is not None:
            on_stopped()

    # --- statistics (admin thread) ----------------------------------------------------------
    def statistics(self) -> ServerStatistics:
        """A snapshot of the server; safe to call from any thread (see the module comment)."""
        protocols = tuple(self.connections)
        return self.counters.snapshot(
            queue_depths={
                "pipeline": sum(p.conn.pending for p in protocols),
                "offload": self.offload_pending,
                "timers": self.delays_pending + sum(p.armed_timers for p in protocols),
            },
            buffered_bytes_out=sum(p.buffered_bytes() for p in protocols),
            reading_paused_connections=sum(p.reading_paused for p in protocols),
        )
