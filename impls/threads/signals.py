# How the main thread learns of SIGINT/SIGTERM while other threads do all the work.
#
# Rules of this file: the kernel delivers a process signal to any thread that does not block it,
# and Python runs signal handlers only in the main thread, between bytecodes. A main thread asleep
# in a blocking call is woken only if the signal happens to land on it. So the news travels
# through a pipe: with `signal.set_wakeup_fd`, the C-level handler writes the signal number into
# the pipe from whichever thread caught it, and the main thread sleeps in os.read() on the other
# end. The Python-level handler has nothing left to do; it is installed only to replace the
# defaults (KeyboardInterrupt for SIGINT, death for SIGTERM).
"""`StopSignals`: wait in the main thread for SIGINT or SIGTERM."""

from __future__ import annotations

import os
import signal
from types import FrameType, TracebackType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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

    def __enter__(self) -> StopSignals:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)  # set_wakeup_fd requires it: a handler never blocks
        self._old_wakeup_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for sig in STOP_SIGNALS:
            self._old_handlers[sig] = signal.signal(sig, _noted)
        return self

    def wait(self) -> signal.Signals:
        """Sleep until SIGINT or SIGTERM arrives (or arrived since `__enter__`); return it."""
        while True:
            signum = os.read(self._read, 1)[0]
            if signum in STOP_SIGNALS:
                return signal.Signals(signum)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self._old_wakeup_fd)
        os.close(self._read)
        os.close(self._write)
