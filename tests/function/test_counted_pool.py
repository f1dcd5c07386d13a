# The `offload` queue of the function impl: /work goes to the pool through asyncio's
# run_in_executor, so the pool itself counts what it holds (`impls.offload.CountedPool`).
#
# Rules of this file: no sleeps. A job blocks on an Event the test sets; a done-callback added
# after the pool's own runs after it (callbacks run in the order they were added), so it sees
# the count the pool left.
"""CountedPool: jobs submitted and not finished, through submit and run_in_executor."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from impls.offload import CountedPool


def test_counts_jobs_until_they_finish() -> None:
    release = threading.Event()
    seen: list[int] = []
    finished = threading.Event()

    def after(_: Future[bool]) -> None:
        seen.append(pool.pending)
        finished.set()

    with ThreadPoolExecutor(1) as inner:
        pool = CountedPool(inner)
        assert pool.pending == 0
        first = pool.submit(release.wait)
        second = pool.submit(release.wait)
        assert pool.pending == 2
        second.add_done_callback(after)
        release.set()
        assert first.result() is True
        assert finished.wait(10)
    assert seen == [0]


def test_counts_what_run_in_executor_submits() -> None:
    release = threading.Event()

    async def main(pool: CountedPool) -> tuple[int, bool]:
        job = asyncio.get_running_loop().run_in_executor(pool, release.wait)
        during = pool.pending
        release.set()
        return during, await job

    with ThreadPoolExecutor(1) as inner:
        assert asyncio.run(main(CountedPool(inner))) == (1, True)


def test_shutdown_reaches_the_pool() -> None:
    inner = ThreadPoolExecutor(1)
    CountedPool(inner).shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        inner.submit(int)
