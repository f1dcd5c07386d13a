# Idle connections: opened after the measured connections and before "ready", held open and never
# written to while the measured ones run, closed when the run ends. They cost the server what a
# registered, silent socket costs its model (a thread parked in recv, a selector entry, a
# buffer) - the figure the idle-connection experiments are after.
#
# Rules of this file: nothing about an idle connection is hidden. One that cannot be opened is
# counted by why (`connect_refused`, `fd_limit`, `connect_timeout`, `connect_error`); one the
# server closes before the run ends (a keep-alive or header timeout, a connection limit) is
# counted as `idle_closed`, and no longer counts as held. They cost the driver only their
# descriptors: no timer, no write, and a read only when the server speaks or closes.
"""`IdleConnections`: connections held open, silent, beside the measured ones."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import cast


class IdleConnection(asyncio.Protocol):
    """One silent connection; it tells its `IdleConnections` when it closes."""

    def __init__(self, owner: IdleConnections) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.owner.held.add(self)  # here, not after the connect returns: it may close first

    def data_received(self, data: bytes) -> None:
        pass  # a server may say why before it closes (408); the close is what is counted

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.lost(self)


class IdleConnections:
    """The idle connections of one driver process: how many are held, and why others are not."""

    def __init__(self) -> None:
        self.held: set[IdleConnection] = set()
        self.errors: Counter[str] = Counter()
        self.closing = False

    def factory(self) -> IdleConnection:
        """A new idle connection's protocol (for `loop.create_connection`)."""
        return IdleConnection(self)

    def failed(self, kind: str) -> None:
        """A connection could not be opened, for the reason `kind`."""
        self.errors[kind] += 1

    def lost(self, connection: IdleConnection) -> None:
        """`connection` closed; unless `close` closed it, the server did: `idle_closed`."""
        if connection in self.held:
            self.held.discard(connection)
            if not self.closing:
                self.errors["idle_closed"] += 1

    def close(self) -> None:
        """Close every connection still held (the run is over)."""
        self.closing = True
        for connection in list(self.held):
            if connection.transport is not None:
                connection.transport.abort()
        self.held.clear()
