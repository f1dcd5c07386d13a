# Timers to self: "tell me this message in 2 seconds". The runtime's only notion of time.
#
# Rules of this file: a scheduler runs an action (in practice: a `tell`) once a delay has passed;
# it never runs actor code itself, so a timer is just one more sender to a mailbox. Cancelling
# marks an entry dead and leaves it in the heap until its time comes (cheaper than removing it).
# Time comes from a clock behind a seam: `ThreadScheduler` uses the monotonic clock and a thread,
# `ManualScheduler` is a virtual clock that moves only when a test calls `advance`.
"""Schedulers: `ThreadScheduler` (a timer thread) and `ManualScheduler` (a virtual clock)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Cancellable(Protocol):
    def cancel(self) -> None:
        """Do not run the action (no effect if it has run already)."""


class Scheduler(Protocol):
    """Where an actor system gets its time and its timers from."""

    def now(self) -> float:
        """The scheduler's clock, in seconds (only differences mean anything)."""

    def call_later(self, delay: float, action: Callable[[], None]) -> Cancellable:
        """Run `action` once, `delay` seconds from now, on the scheduler's own thread."""

    def close(self) -> None:
        """Stop; pending actions never run."""


class _Entry:
    __slots__ = ("when", "action")

    def __init__(self, when: float, action: Callable[[], None]) -> None:
        self.when = when
        self.action: Callable[[], None] | None = action

    def cancel(self) -> None:
        self.action = None


_Heap = list[tuple[float, int, _Entry]]  # (when, tie-breaker: FIFO among equal deadlines, entry)


class ThreadScheduler:
    """One timer thread sleeping on a condition until the earliest deadline."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: _Heap = []
        self._sequence = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="actor-timers", daemon=True)
        self._thread.start()

    def __len__(self) -> int:
        """Timers armed and not cancelled (counted, so call it rarely: metrics)."""
        return sum(entry.action is not None for _, _, entry in list(self._heap))

    def now(self) -> float:
        return self._clock()

    def call_later(self, delay: float, action: Callable[[], None]) -> Cancellable:
        entry = _Entry(self._clock() + delay, action)
        with self._wake:
            heapq.heappush(self._heap, (entry.when, next(self._sequence), entry))
            if self._heap[0][2] is entry:  # a new earliest deadline: the thread sleeps too long
                self._wake.notify()
        return entry

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        heap = self._heap
        with self._wake:
            while not self._closed:
                if not heap:
                    self._wake.wait()
                    continue
                when, _, entry = heap[0]
                if entry.action is None:
                    heapq.heappop(heap)
                    continue
                wait = when - self._clock()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(heap)
                action, entry.action = entry.action, None
                self._wake.release()  # the action may block (a full mailbox): never hold the lock
                try:
                    action()
                except Exception:
                    log.exception("timer action failed")
                finally:
                    self._wake.acquire()


class ManualScheduler:
    """A virtual clock for deterministic tests: time stands still until `advance`.

    Due actions run in the thread that calls `advance`, in deadline order.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._heap: _Heap = []
        self._sequence = itertools.count()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return sum(entry.action is not None for _, _, entry in self._heap)

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, action: Callable[[], None]) -> Cancellable:
        entry = _Entry(self._now + delay, action)
        with self._lock:
            heapq.heappush(self._heap, (entry.when, next(self._sequence), entry))
        return entry

    def advance(self, seconds: float) -> None:
        """Move the clock forward and run every action that fell due, earliest first."""
        target = self._now + seconds
        while True:
            with self._lock:
                if not self._heap or self._heap[0][0] > target:
                    break
                when, _, entry = heapq.heappop(self._heap)
            self._now = when
            action, entry.action = entry.action, None
            if action is not None:
                action()
        self._now = target

    def close(self) -> None:
        with self._lock:
            self._heap.clear()
