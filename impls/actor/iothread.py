# What the receiving and the sending thread have in common: each owns a selector, sleeps in
# select(), and takes commands from actors through an inbox that can wake it.
#
# Rules of this file: only the owning thread touches the selector and the sockets registered in
# it; everyone else talks to the thread with `tell`. A wake-up byte is written only when the
# thread is asleep (or about to be), so a busy I/O thread costs its senders no system call.
"""`IoThread`: a selector thread with a wakeable command inbox."""

from __future__ import annotations

import logging
import selectors
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from impls.osutil import WakeupPair

log = logging.getLogger(__name__)

C = TypeVar("C")

_WAKE = object()


class IoThread(threading.Thread, Generic[C]):
    """Subclasses implement `handle` (a command), `ready` (a selector event), `cleanup`."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.selector = selectors.DefaultSelector()
        self._commands: deque[C] = deque()
        self._lock = threading.Lock()
        self._sleeping = False
        self._wakeup = WakeupPair()  # the self-pipe trick: see impls/osutil.py
        self.selector.register(self._wakeup.socket, selectors.EVENT_READ, _WAKE)
        self._running = True

    def tell(self, command: C) -> None:
        """Queue `command` for the thread; safe from any thread."""
        with self._lock:
            self._commands.append(command)
            if not self._sleeping:
                return
            self._sleeping = False
        self._wakeup.ring()

    def __len__(self) -> int:
        """Commands waiting."""
        return len(self._commands)

    def stop(self) -> None:
        """Finish the loop, run `cleanup`, exit; returns when the thread has."""
        self._running = False
        self._wakeup.ring()
        if self.is_alive():
            self.join()

    def run(self) -> None:
        try:
            while self._running:
                self._take_commands()
                timeout = None if self._sleep_if_idle() else 0
                for key, mask in self.selector.select(timeout):
                    if key.data is _WAKE:
                        self._wakeup.drain()
                    else:
                        self._guarded(self.ready, key, mask)
        except Exception:
            log.exception("%s crashed", self.name)
            raise
        finally:
            self.cleanup()
            self.selector.close()
            self._wakeup.close()

    def _take_commands(self) -> None:
        with self._lock:
            if not self._commands:
                return
            commands = list(self._commands)
            self._commands.clear()
        for command in commands:
            self._guarded(self.handle, command)

    def _guarded(self, step: Callable[..., None], *args: object) -> None:
        """One command or event: a bug in handling it costs that step, not the thread (which
        every connection needs)."""
        try:
            step(*args)
        except Exception:
            log.exception("%s failed handling %r", self.name, args)

    def _sleep_if_idle(self) -> bool:
        with self._lock:
            if self._commands:
                return False
            self._sleeping = True
            return True

    # --- for subclasses ------------------------------------------------------------------------

    def handle(self, command: C) -> None:
        """Carry out one command (on this thread)."""
        raise NotImplementedError

    def ready(self, key: selectors.SelectorKey, mask: int) -> None:
        """A registered socket is ready (on this thread)."""
        raise NotImplementedError

    def cleanup(self) -> None:
        """The loop has ended: release every socket still held."""
