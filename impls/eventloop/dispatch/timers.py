# The timer heap of the explicit-dispatch loop: every timer is an event waiting for its deadline.
#
# Rules of this file: a timer carries the event the loop will dispatch when it fires, so a timer
# firing is dispatched by the same `match` as a readable socket. The earliest deadline sets the
# selector's timeout. Cancelling only marks the entry (lazy deletion, as asyncio does); the heap
# is rebuilt when cancelled entries outnumber live ones, because every keep-alive request re-arms
# its connection's timer and would otherwise leave one dead entry behind per request.
"""`TimerHeap`: deadlines in a heap, feeding `select()`'s timeout."""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")

_COMPACT_MIN = 64
"""Below this many entries a heap full of cancelled timers is cheaper to keep than to rebuild."""


class TimerHandle(Generic[E]):
    """One armed timer: its deadline and the event to dispatch then. Cancel it via the heap."""

    __slots__ = ("deadline", "event", "_seq", "_live")

    def __init__(self, deadline: float, seq: int, event: E) -> None:
        self.deadline = deadline
        self.event = event
        self._seq = seq  # breaks ties in arming order, so equal deadlines fire first-in first-out
        self._live = True

    def __lt__(self, other: TimerHandle[E]) -> bool:
        return (self.deadline, self._seq) < (other.deadline, other._seq)

    @property
    def live(self) -> bool:
        """True until the timer fires or is cancelled."""
        return self._live


class TimerHeap(Generic[E]):
    """Timers ordered by deadline.

    Args:
        clock: monotonic seconds; a test passes a virtual clock.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._heap: list[TimerHandle[E]] = []
        self._seq = itertools.count()
        self._live = 0
        self._cancelled = 0

    def __len__(self) -> int:
        """Timers armed and not yet fired or cancelled."""
        return self._live

    def call_at(self, deadline: float, event: E) -> TimerHandle[E]:
        """Arm a timer that yields `event` from `pop_due` once `clock()` reaches `deadline`."""
        handle = TimerHandle(deadline, next(self._seq), event)
        heapq.heappush(self._heap, handle)
        self._live += 1
        return handle

    def call_later(self, delay: float, event: E) -> TimerHandle[E]:
        """Arm a timer `delay` seconds from now."""
        return self.call_at(self.clock() + delay, event)

    def cancel(self, handle: TimerHandle[E] | None) -> None:
        """Disarm `handle`; nothing happens if it is None, has fired or was cancelled."""
        if handle is None or not handle._live:
            return
        handle._live = False
        self._live -= 1
        self._cancelled += 1
        if self._cancelled > len(self._heap) // 2 and len(self._heap) > _COMPACT_MIN:
            self._heap = [h for h in self._heap if h._live]
            heapq.heapify(self._heap)
            self._cancelled = 0

    def timeout(self) -> float | None:
        """Seconds until the earliest live timer (0 if one is due), None if none is armed."""
        heap = self._heap
        while heap and not heap[0]._live:
            heapq.heappop(heap)
            self._cancelled -= 1
        if not heap:
            return None
        return max(0.0, heap[0].deadline - self.clock())

    def pop_due(self) -> list[E]:
        """The events of every timer whose deadline has passed, earliest first.

        A list, not a generator: a timer armed while these are dispatched (a `/delay?ms=0`) fires
        on the next turn of the loop, after the sockets have had theirs.
        """
        now = self.clock()
        heap = self._heap
        due = []
        while heap and heap[0].deadline <= now:
            handle = heapq.heappop(heap)
            if handle._live:
                handle._live = False
                self._live -= 1
                due.append(handle.event)
            else:
                self._cancelled -= 1
        return due
