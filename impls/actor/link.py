# One accepted connection as the three parties that share it see it: the receiving thread, the
# sending thread and the connection's actor.
#
# Rules of this file: every field has exactly one writer, named in its group below, so the link
# needs no lock (the codec has its own, for the one object two parties call). Others may read a
# field only for metrics, where a stale integer is harmless. A link outlives restarts of its
# actor: what belongs to the socket survives, what belongs to the conversation starts over.
"""`Link`: the socket, its codec, its actor, and each party's bookkeeping."""

from __future__ import annotations

import socket
from collections import deque
from typing import TYPE_CHECKING

from impls.actor.codec import Codec

if TYPE_CHECKING:
    from impls.actor.messages import ShutdownOutput, Write
    from impls.actor.runtime import ActorRef


class Link:
    """One connection's socket, codec and actor, plus per-party state."""

    __slots__ = (
        "sock",
        "codec",
        "actor",
        # receiving thread
        "reading",
        "paused",
        "eof",
        # sending thread
        "out",
        "out_offset",
        "writing",
        "broken",
        # the connection actor
        "unacked_bytes",
        "unacked_writes",
        "throttled",
        "backlogged",
        "suspended",
        "serving",
    )

    def __init__(self, sock: socket.socket, codec: Codec) -> None:
        self.sock = sock
        self.codec = codec
        self.actor: ActorRef | None = None  # set by the Listener before it registers the link
        self.reading = False  # registered in the receiving thread's selector
        self.paused = False  # SuspendReading in force
        self.eof = False  # recv() returned b"" or failed: nothing more to read
        self.out: deque[Write | ShutdownOutput] = deque()  # not yet handed to the kernel
        self.out_offset = 0  # bytes of out[0] already sent
        self.writing = False  # registered in the sending thread's selector
        self.broken = False  # send() failed or Close came: ignore further writes
        self.unacked_bytes = 0  # written by the actor, not yet acknowledged
        self.unacked_writes = 0
        self.throttled = False  # output above the high watermark: no request is served
        self.backlogged = False  # more parsed requests wait than the pipeline's bound
        self.suspended = False  # the actor has asked the receiving thread to suspend reading
        self.serving = False  # a request is in flight (counted in inflight_requests)
