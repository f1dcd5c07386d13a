# Future combinators: the paper's vocabulary where asyncio has no spelling of its own.
#
# Rules of this file: asyncio's coroutines and futures *are* the Future here - in progress,
# succeeded (a value) or failed (an exception) - and an interrupt is a cancellation. What asyncio
# already spells is not wrapped: `map`/`flatMap` are `await`, `Future.value` is `return`. What
# it lacks is below, each with the paper's semantics:
#
#   within(op, t)    op's result, or TimeoutError after t seconds (op interrupted); like
#                    Finagle's `within`, it arms no timer unless op actually has to wait
#   rescue(op, f)    op's result, or f(exception): recovery as a value transformation
#   collect(ops)     every result in order, or the first failure (the rest interrupted)
#   select(ops)      the first to finish, and the others still running
"""`within`, `rescue`, `collect`, `select`: Finagle's future combinators for asyncio."""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any, TypeVar, cast

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


class _Deadline:
    """What the timer of one `within` needs: whether it fired, and what the operation awaits."""

    __slots__ = ("fired", "waiting")

    def __init__(self) -> None:
        self.fired = False
        self.waiting: Any = None

    def fire(self) -> None:
        self.fired = True
        # The interrupt: cancel what the operation is suspended on, as `Task.cancel` does. The
        # task driving us wakes and throws CancelledError in; `_within` turns it into a timeout.
        if isinstance(self.waiting, asyncio.Future):
            self.waiting.cancel()


@types.coroutine
def _within(operation: Awaitable[T], seconds: float) -> Generator[Any, Any, T]:
    # A hand-written `yield from operation`, so that the timer is armed only at the first
    # suspension: a service that answers at once (GET /ping) pays for no timer at all (arming
    # and cancelling one costs 1.6 µs on uvloop, a tenth of a /ping).
    # A coroutine is its own iterator; anything else (a Future) is asked for one.
    steps = cast(
        "Generator[Any, Any, T]",
        operation if isinstance(operation, types.CoroutineType) else operation.__await__(),
    )
    try:
        waiting = steps.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    return (yield from _within_waiting(steps, waiting, seconds))


def _within_waiting(
    steps: Generator[Any, Any, T], waiting: Any, seconds: float
) -> Generator[Any, Any, T]:
    # The operation is suspended on `waiting`: arm the timer, then carry on `yield from`-style,
    # forwarding values and exceptions (cancellation included) between our task and it.
    deadline = _Deadline()
    timer = asyncio.get_running_loop().call_later(seconds, deadline.fire)
    try:
        while True:
            deadline.waiting = waiting
            try:
                value, error = (yield waiting), None
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:
                value, error = None, exc
            if deadline.fired and error is None:
                # It fired while the operation waited on no future (a bare `yield`).
                error = asyncio.CancelledError()
            try:
                waiting = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if deadline.fired and not (task is not None and task.cancelling()):
                    raise TimeoutError(f"not done within {seconds} s") from None
                raise  # a cancellation of the caller itself is never masked as a timeout
    finally:
        timer.cancel()


def within(operation: Awaitable[T], seconds: float) -> Awaitable[T]:
    """Await `operation`, but for at most `seconds`.

    Returns:
        The operation's result.

    Raises:
        TimeoutError: it was not done in time; it was interrupted (cancelled where it waited)
            and its clean-up has run. Whatever the operation raises, unchanged.
    """
    return _within(operation, seconds)


async def rescue(
    operation: Awaitable[T],
    handler: Callable[[E], T | Awaitable[T]],
    on: type[E] | tuple[type[E], ...],
) -> T:
    """The result of `operation`, or, if it fails with an exception of type `on`,
    `handler(exception)` (awaited if it is awaitable). Cancellation is never rescued."""
    try:
        return await operation
    except on as exc:
        recovered = handler(exc)
        if inspect.isawaitable(recovered):
            return await recovered
        return recovered


async def collect(operations: Iterable[Awaitable[T]]) -> list[T]:
    """Run `operations` concurrently; all their results, in order.

    Raises:
        The first failure; the operations still running are then cancelled and awaited, so none
        outlives the call. Cancelling `collect` cancels them all.
    """
    tasks = [asyncio.ensure_future(op) for op in operations]
    if not tasks:
        return []
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        unfinished = [task for task in tasks if not task.done()]
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(unfinished)
    failures = [t.exception() for t in tasks if not t.cancelled() and t.exception() is not None]
    if failures:
        raise failures[0]  # type: ignore[misc]
    return [task.result() for task in tasks]


async def select(
    operations: Iterable[Awaitable[T]],
) -> tuple[asyncio.Future[T], list[asyncio.Future[T]]]:
    """Run `operations` concurrently until the first of them finishes.

    Returns:
        (the finished one, the others still running). As Finagle's `select`, the others are left
        running for the caller to use or cancel. Cancelling `select` cancels them all.
    """
    tasks = [asyncio.ensure_future(op) for op in operations]
    if not tasks:
        raise ValueError("select needs at least one operation")
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        raise
    first = next(task for task in tasks if task.done())
    return first, [task for task in tasks if task is not first]
