# Test helpers for the function impl: a virtual clock, and real loops of each kind.
#
# Rules of this file: nothing here sleeps. The virtual loop is a stock asyncio loop whose clock
# only moves when the loop would otherwise wait for its next timer, so a test of a 10 s timeout
# runs in microseconds, and always the same way.
"""`run_virtual` (asyncio on a virtual clock), `LOOPS`, `wait_for_condition`."""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")

DEADLINE = 10.0
"""Seconds a real-time wait may take before the test fails (generous: CI boxes stall)."""


class _VirtualSelector(selectors.DefaultSelector):
    """A selector that, instead of blocking until the next timer, moves the clock there."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout is None:
            return ready or super().select(timeout)
        self.now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """asyncio with `time()` on a virtual clock: timers fire in order, with no real waiting."""

    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


def run_virtual(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on a fresh `VirtualClockLoop`."""
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": uvloop.new_event_loop,
    "asyncio": asyncio.new_event_loop,
}


async def wait_for_condition(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` on the running loop until it holds (at most DEADLINE real seconds)."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)
