# What the connections of one callback-style server share: the settings, the encoder, the pool,
# the counters, the open connections - and the server's life: admit, probe, stop.
#
# Rules of this file: everything here runs on the loop thread, except `statistics()`, which the
# admin thread calls (see `impls.aioserver`, whose bookkeeping this server shares with the
# function binding's: admission, the connection set, the lag probe, the snapshot).
"""`CallbackServer`: state and life cycle shared by the `ConnectionProtocol`s of one server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from impls.aioserver import Connections
from impls.config import ServerConfig
from impls.protocol import ResponseEncoder
from impls.stats import Counters, ServerStatistics

if TYPE_CHECKING:
    from impls.eventloop.callbacks.protocol import ConnectionProtocol

log = logging.getLogger(__name__)


class CallbackServer:
    """One server's shared state; `ConnectionProtocol`s join and leave `connections`.

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
        self.counters = Counters(("overload", "max_connections"), loop=True)
        self.connections: Connections[ConnectionProtocol] = Connections(
            config, self.counters, loop, on_last_gone=self._stopped
        )
        self.receive_buffer = self.connections.receive_buffer
        self.offload_pending = 0  # /work jobs submitted to the pool and not yet answered
        self.delays_pending = 0  # /delay timers armed and not yet fired
        self._on_stopped: Callable[[], None] | None = None
        self._grace: asyncio.TimerHandle | None = None

    @property
    def stopping(self) -> bool:
        """A stop has begun: no new connection is admitted, no new request served."""
        return self.connections.stopping

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
        self.connections.stopping = True
        self._on_stopped = on_stopped
        if not self.connections:
            self._stopped()
            return
        self._grace = self.loop.call_later(self.config.grace, self._grace_over)
        for protocol in self.connections:
            protocol.stop()

    def _grace_over(self) -> None:
        self._grace = None
        if self.connections:
            log.warning("grace period over: aborting %d connection(s)", len(self.connections))
        self._abort_all()

    def _abort_all(self) -> None:
        # Each abort reports connection_lost soon; the last one out calls `_stopped`.
        for protocol in self.connections:
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
        return self.connections.statistics(offload=self.offload_pending, timers=self.delays_pending)
