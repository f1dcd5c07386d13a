# The lecture's protocol adapter: `parse` turns received bytes into typed messages, `encode` turns
# a typed answer into bytes, and nothing else in the actor impl sees raw protocol data.
#
# Rules of this file: the codec wraps one shared sans-I/O connection (HttpConnection or
# EchoConnection), which is both the parser and the keeper of request order. Two parties call it:
# the receiving thread parses, the connection actor encodes and pulls the next pipelined request.
# So every call takes the codec's lock - uncontended almost always, and the only lock in the
# request path that is not a queue's. Encoding runs in the actor, not in the sending thread as
# the lecture draws it: the encoded size is what the actor's watermark accounting counts, and
# the connection's `send` also advances its state (keep-alive, pipelining), which must happen
# before the actor asks for the next request.
"""`Codec`: parse (receiving thread) and encode (connection actor) around one connection."""

from __future__ import annotations

import threading

from impls.actor.messages import PARTIAL_INPUT, PartialInput
from impls.protocol import Connection, EchoData, HttpConnection, HttpEvent, Response, Timer

Event = HttpEvent | EchoData
"""What `parse` and `next_event` hand out: a request, a request error, or echo data."""


class Codec:
    """Parse and encode for one connection; thread-safe."""

    __slots__ = ("_conn", "_lock", "_timer", "http")

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._timer: Timer | None = None  # the timer the actor last saw
        self.http = isinstance(conn, HttpConnection)

    def parse(self, data: bytes) -> Event | PartialInput | None:
        """Feed received bytes (b"" for EOF). Returns the next request to serve if one is ready
        and none is being served; else a `PartialInput` carrying the interim answer the request
        being read waits for, if it does (the actor writes it, and re-arms); else
        `PARTIAL_INPUT` if the connection's timer changed (the actor must re-arm); else None.

        The interim answer goes through the actor, not straight to the sending thread: the
        actor may have encoded the previous answer and not yet told the sender to write it.
        """
        with self._lock:
            conn = self._conn
            interim = conn.receive_data(data)
            event = conn.next_event()
            if event is not None:
                return event
            timer = conn.timer()
            if interim:
                self._timer = timer
                return PartialInput(interim)
            if timer == self._timer:
                return None
            self._timer = timer
            return PARTIAL_INPUT

    def encode(self, reply: Response | EchoData) -> bytes:
        """The bytes answering the request being served (it is then no longer current)."""
        with self._lock:
            return self._conn.send(reply)

    def next_event(self) -> Event | None:
        """The next pipelined request, if one is complete and none is being served."""
        with self._lock:
            return self._conn.next_event()

    def timer(self) -> Timer | None:
        """The timer that should be running (remembered, so `parse` reports changes)."""
        with self._lock:
            self._timer = timer = self._conn.timer()
            return timer

    def expire(self, token: int) -> bytes | None:
        """Timer `token` fired: bytes to send before closing, or None if it was stale."""
        with self._lock:
            return self._conn.expire(token)

    @property
    def done(self) -> bool:
        """Nothing more will be sent: close once the output is out."""
        with self._lock:
            return self._conn.done

    @property
    def pending(self) -> int:
        """Complete requests queued behind the one being served."""
        return self._conn.pending
