"""Future combinators (`within`, `rescue`, `collect`, `select`) and `start_eagerly`, on a
virtual clock: every duration below is virtual, so the tests take no real time."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from impls.function import collect, rescue, select, within
from impls.function._eager import start_eagerly
from tests.function._support import run_virtual


async def _sleep_then(seconds: float, value: str, log: list[str]) -> str:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        log.append(f"{value} interrupted")
        raise
    log.append(f"{value} done")
    return value


async def _immediately(value: str) -> str:
    return value


async def _fail(message: str) -> str:
    raise ValueError(message)


# --- within -----------------------------------------------------------------------------------
def test_within_returns_the_result_in_time() -> None:
    async def main() -> tuple[str, float]:
        log: list[str] = []
        result = await within(_sleep_then(1.0, "a", log), 2.0)
        return result, asyncio.get_running_loop().time()

    assert run_virtual(main()) == ("a", 1.0)


def test_within_times_out_and_interrupts_the_operation() -> None:
    async def main() -> tuple[float, list[str]]:
        log: list[str] = []
        with pytest.raises(TimeoutError):
            await within(_sleep_then(10.0, "slow", log), 2.0)
        return asyncio.get_running_loop().time(), log

    now, log = run_virtual(main())
    assert now == 2.0
    assert log == ["slow interrupted"], "the operation saw the interrupt and cleaned up"


def test_within_arms_no_timer_for_an_operation_that_does_not_wait() -> None:
    async def main() -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        armed = 0
        call_later = loop.call_later

        def counting_call_later(*args: object, **kwargs: object) -> asyncio.TimerHandle:
            nonlocal armed
            armed += 1
            return call_later(*args, **kwargs)  # type: ignore[arg-type]

        loop.call_later = counting_call_later  # type: ignore[method-assign]
        try:
            return await within(_immediately("now"), 1.0), armed
        finally:
            loop.call_later = call_later  # type: ignore[method-assign]

    assert run_virtual(main()) == ("now", 0)


def test_within_passes_failures_through() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="boom"):
            await within(_fail("boom"), 1.0)

    run_virtual(main())


def test_within_never_masks_a_cancellation_of_the_caller() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        task = asyncio.ensure_future(within(_sleep_then(10.0, "op", log), 5.0))
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return log

    assert run_virtual(main()) == ["op interrupted"]


def test_within_a_future() -> None:
    async def main() -> None:
        never: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        with pytest.raises(TimeoutError):
            await within(never, 1.0)
        assert never.cancelled(), "the interrupt reaches the future itself"

    run_virtual(main())


# --- rescue -----------------------------------------------------------------------------------
def test_rescue_recovers_matching_failures() -> None:
    async def main() -> list[str]:
        async def recover(exc: ValueError) -> str:
            return f"recovered {exc}"

        return [
            await rescue(_fail("x"), lambda exc: f"fallback {exc}", ValueError),
            await rescue(_fail("y"), recover, ValueError),
            await rescue(_immediately("fine"), lambda exc: "unused", ValueError),
        ]

    assert run_virtual(main()) == ["fallback x", "recovered y", "fine"]


def test_rescue_leaves_other_failures() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="z"):
            await rescue(_fail("z"), lambda exc: "no", KeyError)

    run_virtual(main())


# --- collect ----------------------------------------------------------------------------------
def test_collect_returns_results_in_order_concurrently() -> None:
    async def main() -> tuple[list[str], float]:
        log: list[str] = []
        results = await collect(
            [_sleep_then(3.0, "a", log), _sleep_then(1.0, "b", log), _sleep_then(2.0, "c", log)]
        )
        return results, asyncio.get_running_loop().time()

    assert run_virtual(main()) == (["a", "b", "c"], 3.0), "concurrent: 3 s, not 6 s"


def test_collect_fails_fast_and_interrupts_the_rest() -> None:
    async def main() -> tuple[list[str], float]:
        log: list[str] = []

        async def fail_later() -> str:
            await asyncio.sleep(1.0)
            raise ValueError("second one failed")

        with pytest.raises(ValueError, match="second one failed"):
            await collect([_sleep_then(5.0, "a", log), fail_later(), _sleep_then(0.5, "c", log)])
        return log, asyncio.get_running_loop().time()

    assert run_virtual(main()) == (["c done", "a interrupted"], 1.0)


def test_cancelling_collect_cancels_everything() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        task = asyncio.ensure_future(
            collect([_sleep_then(5.0, "a", log), _sleep_then(6.0, "b", log)])
        )
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return sorted(log)

    assert run_virtual(main()) == ["a interrupted", "b interrupted"]


# --- select -----------------------------------------------------------------------------------
def test_select_returns_the_first_and_leaves_the_rest_running() -> None:
    async def main() -> tuple[str, list[str], float]:
        log: list[str] = []
        first, rest = await select([_sleep_then(2.0, "slow", log), _sleep_then(1.0, "fast", log)])
        at = asyncio.get_running_loop().time()
        assert [task.done() for task in rest] == [False]
        later = await rest[0]
        return first.result(), [later, *log], at

    assert run_virtual(main()) == ("fast", ["slow", "fast done", "slow done"], 1.0)


def test_cancelling_select_cancels_everything() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        task = asyncio.ensure_future(
            select([_sleep_then(5.0, "a", log), _sleep_then(6.0, "b", log)])
        )
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)  # let the cancelled operations run their clean-up
        return sorted(log)

    assert run_virtual(main()) == ["a interrupted", "b interrupted"]


# --- start_eagerly ----------------------------------------------------------------------------
def test_start_eagerly_finishes_a_call_that_does_not_wait_without_a_task() -> None:
    async def main() -> object:
        return start_eagerly(_immediately("now"), asyncio.get_running_loop())

    assert run_virtual(main()) == "now"


def test_start_eagerly_hands_a_waiting_call_to_a_task() -> None:
    async def main() -> tuple[list[str], str, float]:
        log: list[str] = []

        async def call() -> str:
            log.append("ran before the first wait")
            return await _sleep_then(1.0, "later", log)

        outcome = start_eagerly(call(), asyncio.get_running_loop())
        seen = list(log)  # the part before the first wait already ran, synchronously
        assert isinstance(outcome, asyncio.Task)
        return seen, await outcome, asyncio.get_running_loop().time()

    assert run_virtual(main()) == (["ran before the first wait"], "later", 1.0)


def test_start_eagerly_isolates_context_and_carries_it_into_the_task() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def call() -> str:
        var.set("set by the call")
        await asyncio.sleep(1.0)
        return var.get()

    async def main() -> tuple[str, str]:
        outcome = start_eagerly(call(), asyncio.get_running_loop())
        assert isinstance(outcome, asyncio.Task)
        return await outcome, var.get()

    assert run_virtual(main()) == ("set by the call", "unset")


def test_cancelling_the_task_of_an_eager_call_interrupts_it() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        outcome = start_eagerly(_sleep_then(5.0, "op", log), asyncio.get_running_loop())
        assert isinstance(outcome, asyncio.Task)
        await asyncio.sleep(1.0)
        outcome.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outcome
        return log

    assert run_virtual(main()) == ["op interrupted"]


def test_start_eagerly_raises_an_early_failure() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="early"):
            start_eagerly(_fail("early"), asyncio.get_running_loop())

    run_virtual(main())
