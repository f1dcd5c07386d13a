# How the world outside the loop's thread gets the loop's attention: the self-pipe trick.
#
# Rules of this file: the loop sleeps in select(), so a thread (a pool finishing /work) or a signal
# handler cannot call into it; instead it puts an event in a queue and writes one byte to a socket
# the selector watches (`impls.osutil.WakeupPair`, shared with the actor's I/O threads). The
# selector returns, the loop reads the byte and takes the queued events: the outside world has
# become one more event kind, `Wakeup`, in the loop's `match`. `queue.SimpleQueue.put` is
# documented as safe even from a signal handler, and a full socket buffer is fine: a wake-up is
# then already pending.
"""`Waker`: a socketpair plus an inbox, so other threads and signals can post loop events."""

from __future__ import annotations

import contextlib
import queue
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Generic, TypeVar

from impls.osutil import WakeupPair

P = TypeVar("P")


class Waker(Generic[P]):
    """A wake-up socket for the selector and the queue of events posted to the loop."""

    def __init__(self) -> None:
        self._pair = WakeupPair()
        self._inbox: queue.SimpleQueue[P] = queue.SimpleQueue()

    @property
    def socket(self) -> socket.socket:
        """The end to register in the selector for reading."""
        return self._pair.socket

    def post(self, event: P) -> None:
        """Hand `event` to the loop and wake it. Safe from any thread and from signal handlers."""
        self._inbox.put(event)  # first: once woken, the loop must find it
        self._pair.ring()

    def drain(self) -> list[P]:
        """Consume the wake-up bytes and return every event posted so far, oldest first."""
        self._pair.drain()
        posted = []
        while True:
            try:
                posted.append(self._inbox.get_nowait())
            except queue.Empty:
                return posted

    @contextlib.contextmanager
    def signals_posted(self, event: Callable[[int], P]) -> Iterator[None]:
        """While inside: SIGINT and SIGTERM are posted to the loop as `event(signum)`.

        Python runs signal handlers in the main thread between bytecodes, possibly in the middle
        of a handler of the loop's; posting through the wake-up socket turns the signal into an
        ordinary event, handled when the loop gets to it. Elsewhere than the main thread signals
        cannot be caught, and the loop runs until its caller stops the process.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def post(signum: int, frame: FrameType | None) -> None:
            self.post(event(signum))

        previous = {sig: signal.signal(sig, post) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def close(self) -> None:
        """Close both ends; later `post` calls are ignored."""
        self._pair.close()
