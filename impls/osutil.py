# The operating-system helpers every model needs and none of them teaches: waking a thread that
# sleeps in select(), waiting in the main thread for SIGINT/SIGTERM, and surviving EMFILE.
#
# Rules of this file: no model-specific code; each helper is written once here and imported by
# every impl that needs it, so the impls differ only in their concurrency model.
# - The self-pipe trick (`WakeupPair`) is the lesson of the event loop: it is explained where the
#   loop uses it, in `impls/eventloop/dispatch/wakeup.py`; the actor's I/O threads reuse it.
# - `StopSignals` is how a main thread that does no I/O of its own learns of a signal (threads,
#   actor). The event loops do not need it: their loop is the main thread.
# - `SpareDescriptor` is libev's and nginx's answer to EMFILE on accept().
"""`new_selector`, `WakeupPair`, `StopSignals`, `SpareDescriptor` and `OUT_OF_DESCRIPTORS`."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import selectors
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType

# --- the selector named by --selector -------------------------------------------------------------

SELECTORS: dict[str, Callable[[], selectors.BaseSelector]] = {
    "epoll": selectors.EpollSelector,
    "poll": selectors.PollSelector,
    "select": selectors.SelectSelector,
}
"""The readiness APIs `--selector` chooses from (Linux has all three)."""


def new_selector(name: str) -> selectors.BaseSelector:
    """A selector on `name`'s system call: "epoll", "poll" or "select"."""
    return SELECTORS[name]()


# --- waking a thread asleep in select() -----------------------------------------------------------

_DRAIN_SIZE = 4096
"""Wake-up bytes read per recv(): their content is irrelevant, only that they arrived."""


class WakeupPair:
    """A non-blocking socket pair: register `socket` in a selector, `ring` from anywhere."""

    def __init__(self) -> None:
        self._receive, self._send = socket.socketpair()
        self._receive.setblocking(False)
        self._send.setblocking(False)

    @property
    def socket(self) -> socket.socket:
        """The end to register in the selector for reading."""
        return self._receive

    def ring(self) -> None:
        """Make the selector watching `socket` return. Safe from any thread and signal handler."""
        with contextlib.suppress(OSError):  # full: a wake-up is pending; closed: nobody listens
            self._send.send(b"\0")

    def drain(self) -> None:
        """Consume every wake-up byte sent so far (call when `socket` is readable)."""
        try:
            while self._receive.recv(_DRAIN_SIZE):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        """Close both ends; later `ring` calls are ignored."""
        self._send.close()
        self._receive.close()


# --- waiting for SIGINT/SIGTERM in the main thread ------------------------------------------------
#
# The kernel delivers a process signal to any thread that does not block it, and Python runs
# signal handlers only in the main thread, between bytecodes. A main thread asleep in a blocking
# call is woken only if the signal happens to land on it. So the news travels through a pipe:
# with `signal.set_wakeup_fd`, the C-level handler writes the signal number into the pipe from
# whichever thread caught it, and the main thread sleeps in poll() on the other end. The Python
# handler has nothing left to do; it only replaces the defaults (KeyboardInterrupt, death). Other
# threads may wake the main thread through the same pipe (`wake`), so that it can wait for "a
# signal, or the last connection gone" in one blocking call; they write a 0, no signal's number.

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_WOKEN = 0
"""The byte `wake` writes: not a signal number, so `wait` tells the two apart."""


def _noted(signum: int, frame: FrameType | None) -> None:
    """Nothing to do: the wakeup pipe already carries the signal number to `wait`."""


class StopSignals:
    """Context manager: inside it, SIGINT and SIGTERM wake `wait()` instead of ending the process.

    Entered in the main thread it installs the handlers; entered elsewhere (a server started
    inside a test) it cannot, and only `wake` ends a wait.
    """

    def __init__(self) -> None:
        self._read = self._write = -1
        self._old_wakeup_fd: int | None = None
        self._old_handlers: dict[signal.Signals, signal.Handlers | object] = {}
        # `wake` runs on other threads, which may outlive the context: writing to the descriptor
        # number after `__exit__` closed it could hit whatever file reused the number.
        self._write_lock = threading.Lock()

    def __enter__(self) -> StopSignals:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)  # set_wakeup_fd requires it: a handler never blocks
        if threading.current_thread() is threading.main_thread():
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
        if self._old_wakeup_fd is not None:
            signal.set_wakeup_fd(self._old_wakeup_fd)
        with self._write_lock:
            os.close(self._read)
            os.close(self._write)
            self._read = self._write = -1


# --- running out of descriptors at accept() -------------------------------------------------------

OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""accept() errors that mean "no resources for another connection", not a broken listener."""


class SpareDescriptor:
    """A descriptor held in reserve for the moment accept() fails with EMFILE.

    A pending connection keeps the listener readable, so a server that ignores EMFILE spins, and
    one that waits leaves the client hanging. Closing the spare lets one accept() succeed, and
    closing that connection at once tells the client (libev's and nginx's trick).
    """

    def __init__(self) -> None:
        self._fd: int | None = None
        self._reopen()

    def shed(self, listener: socket.socket) -> bool:
        """Accept one waiting connection and close it; False if nothing could be turned away
        (no spare to give up, or another thread took the freed descriptor first)."""
        if self._fd is None:
            self._reopen()
            return False
        os.close(self._fd)
        self._fd = None
        try:
            sock, _ = listener.accept()
        except OSError:
            return False
        else:
            sock.close()
            return True
        finally:
            self._reopen()

    def _reopen(self) -> None:
        with contextlib.suppress(OSError):
            self._fd = os.open(os.devnull, os.O_RDONLY)

    def close(self) -> None:
        """Release the spare (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
