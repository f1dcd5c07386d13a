# How the world outside the loop's thread gets the loop's attention: the self-pipe trick.
#
# Rules of this file: the loop sleeps in select(), so a thread (a pool finishing /work) or a signal
# handler cannot call into it; instead it puts an event in a queue and writes one byte to a socket
# the selector watches. `queue.SimpleQueue.put` is documented as safe even from a signal handler,
# and a full socket buffer is fine: a wake-up is then already pending.
"""`Waker`: a socketpair plus an inbox, so other threads and signals can post loop events."""

from __future__ import annotations

import queue
import socket
from typing import Generic, TypeVar

P = TypeVar("P")

_DRAIN_SIZE = 4096
"""Wake-up bytes read per recv(); their content is irrelevant, only that they arrived."""


class Waker(Generic[P]):
    """A wake-up socket for the selector and the queue of events posted to the loop."""

    def __init__(self) -> None:
        self._receive, self._send = socket.socketpair()
        self._receive.setblocking(False)
        self._send.setblocking(False)
        self._inbox: queue.SimpleQueue[P] = queue.SimpleQueue()

    @property
    def socket(self) -> socket.socket:
        """The end to register in the selector for reading."""
        return self._receive

    def post(self, event: P) -> None:
        """Hand `event` to the loop and wake it. Safe from any thread and from signal handlers."""
        self._inbox.put(event)
        try:
            self._send.send(b"\0")
        except (BlockingIOError, InterruptedError):
            pass  # the buffer is full of wake-ups the loop has not read yet: it will wake
        except OSError:
            pass  # closed: the loop has stopped and nobody is left to wake

    def drain(self) -> list[P]:
        """Consume the wake-up bytes and return every event posted so far, oldest first."""
        try:
            while self._receive.recv(_DRAIN_SIZE):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        posted = []
        while True:
            try:
                posted.append(self._inbox.get_nowait())
            except queue.Empty:
                return posted

    def close(self) -> None:
        """Close both ends; later `post` calls are ignored."""
        self._send.close()
        self._receive.close()
