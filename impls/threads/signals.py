# How the main thread learns of SIGINT/SIGTERM while other threads do all the work.
#
# Rules of this file: the kernel delivers a process signal to any thread that does not block it,
# and Python runs signal handlers only in the main thread, between bytecodes. A main thread asleep
# in a blocking call is woken only if the signal happens to land on it. So the news travels
# through a pipe: with `signal.set_wakeup_fd`, the C-level handler writes the signal number into
# the pipe from whichever thread caught it, and the main thread sleeps in poll() on the other
# end. The Python-level handler has nothing left to do; it is installed only to replace the
# defaults (KeyboardInterrupt for SIGINT, death for SIGTERM). Other threads may wake the main
# thread through the same pipe (`wake`), so that it can wait for "a signal, or the last connection
# gone" in one blocking call; they write a 0, which no signal number is.
"""`StopSignals`: wait in the main thread for SIGINT or SIGTERM."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from types import FrameType, TracebackType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_WOKEN = 0
"""The byte `wake` writes: not a signal number, so `wait` tells the two apart."""


def _noted(signum: int, frame: FrameType | None) -> None:
    """Nothing to do: the wakeup pipe already carries the signal number to `wait`."""


class StopSignals:
    """Context manager: inside it, SIGINT and SIGTERM wake `wait()` instead of ending the process.

    Must be entered in the main thread (only it may install signal handlers).
    """

    def __init__(self) -> None:
        self._read = self._write = -1
        self._old_wakeup_fd = -1
        self._old_handlers: dict[signal.Signals, signal.Handlers | object] = {}
        # `wake` runs on other threads, which may outlive the context: writing to the descriptor
        # number after `__exit__` closed it could hit whatever file reused the number.
        self._write_lock = threading.Lock()

    def __enter__(self) -> StopSignals:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)  # set_wakeup_fd requires it: a handler never blocks
        self._old_wakeup_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for sig in STOP_SIGNALS:
            self._old_handlers[sig] = signal.signal(sig, _noted)
        return self

    def wait(self) -> signal.Signals:
        """Sleep until SIGINT or SIGTERM arrives (or arrived since `__enter__`, or since the last
        wait returned); return it."""
        while (signum := self.wait_or_wake(None)) is None:
            pass  # a `wake` meant for an earlier wait
        return signum

    def wait_or_wake(self, timeout: float | None) -> signal.Signals | None:
        """Like `wait`, but also return None when `wake` is called or `timeout` seconds pass."""
        deadline = None if timeout is None else time.monotonic() + timeout
        poller = select.poll()
        poller.register(self._read, select.POLLIN)
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not poller.poll(None if remaining is None else remaining * 1000):
                return None
            signum = os.read(self._read, 1)[0]
            if signum == _WOKEN:
                return None
            if signum in STOP_SIGNALS:
                return signal.Signals(signum)

    def wake(self) -> None:
        """Make a `wait_or_wake` in progress (or the next one) return None. Safe from any
        thread, and a no-op once the context has exited."""
        with self._write_lock:
            if self._write < 0:
                return
            # Full: the main thread has a backlog of wake-ups to read already.
            with contextlib.suppress(BlockingIOError):
                os.write(self._write, bytes([_WOKEN]))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self._old_wakeup_fd)
        with self._write_lock:
            os.close(self._read)
            os.close(self._write)
            self._read = self._write = -1
