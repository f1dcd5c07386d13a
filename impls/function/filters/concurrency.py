# ConcurrencyLimitFilter: admission control. Say no early, cheaply, and honestly.
#
# Rules of this file: at most `max_concurrent` calls run behind the filter; up to `max_waiters`
# more wait their turn in arrival order; anything beyond is refused *at once* with `OverloadedError`
# (Finagle's NACK, a 503 with Retry-After on the wire) instead of joining a queue that only adds
# latency. A slot is handed directly to the oldest waiter when a call finishes, so a late
# arrival cannot overtake the queue. A cancelled caller gives up its slot or its place.
"""`ConcurrencyLimitFilter`: in-flight limit with a bounded wait queue and load shedding."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import TypeVar

from impls.function._errors import OverloadedError
from impls.function._filter import SimpleFilter
from impls.function._service import Service, Status

Req = TypeVar("Req")
Rep = TypeVar("Rep")


class ConcurrencyLimitFilter(SimpleFilter[Req, Rep]):
    """Lets `max_concurrent` calls run and `max_waiters` wait; refuses the rest."""

    __slots__ = ("max_concurrent", "max_waiters", "rejected", "_running", "_waiters")

    def __init__(self, max_concurrent: int, max_waiters: int = 0) -> None:
        if max_concurrent < 1 or max_waiters < 0:
            raise ValueError("need max_concurrent >= 1 and max_waiters >= 0")
        self.max_concurrent = max_concurrent
        self.max_waiters = max_waiters
        self.rejected = 0
        self._running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def running(self) -> int:
        """Calls admitted and not yet finished."""
        return self._running

    @property
    def waiting(self) -> int:
        """Calls queued for a slot."""
        return len(self._waiters)

    async def apply(self, request: Req, service: Service[Req, Rep]) -> Rep:
        if self._running < self.max_concurrent:
            self._running += 1
        elif len(self._waiters) < self.max_waiters:
            await self._wait_for_slot()  # the slot is ours once this returns
        else:
            self.rejected += 1
            raise OverloadedError(f"{self._running} in flight, {len(self._waiters)} waiting")
        try:
            return await service(request)
        finally:
            self._release()

    async def _wait_for_slot(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot just as we were cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):  # `_release` may have dropped it already
                    self._waiters.remove(waiter)
            raise

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to the waiter; `_running` is unchanged
                return
        self._running -= 1

    def status(self, service: Service[Req, Rep]) -> Status:
        if self._running >= self.max_concurrent and len(self._waiters) >= self.max_waiters:
            return Status.BUSY
        return service.status

    def __repr__(self) -> str:
        return f"ConcurrencyLimitFilter({self.max_concurrent}, {self.max_waiters})"
