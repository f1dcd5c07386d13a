"""The explicit-dispatch loop's wake-up: events posted from other threads reach a selector."""

from __future__ import annotations

import selectors
import threading
from collections.abc import Iterator

import pytest

from impls.eventloop.dispatch.wakeup import Waker

DEADLINE = 10.0
"""Seconds a test waits for a wake-up that must come (a bound, not an expected duration)."""


@pytest.fixture
def waker() -> Iterator[Waker[int]]:
    w: Waker[int] = Waker()
    yield w
    w.close()


def test_nothing_posted_means_nothing_ready(waker: Waker[int]) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(waker.socket, selectors.EVENT_READ)
        assert selector.select(0) == []
    assert waker.drain() == []


def test_posts_from_threads_wake_the_selector_and_arrive_in_order(waker: Waker[int]) -> None:
    def poster(base: int) -> None:
        for i in range(100):
            waker.post(base + i)

    threads = [threading.Thread(target=poster, args=(base,)) for base in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with selectors.DefaultSelector() as selector:
        selector.register(waker.socket, selectors.EVENT_READ)
        assert selector.select(DEADLINE)
        posted = waker.drain()
        assert selector.select(0) == []  # drained: no spurious wake-up left behind
    assert sorted(posted) == [*range(100), *range(1000, 1100)]
    assert [p for p in posted if p < 1000] == list(range(100))  # one poster's order is kept


def test_many_posts_without_draining_do_not_block_the_poster(waker: Waker[int]) -> None:
    for i in range(100_000):  # far more wake-up bytes than a socket buffer holds
        waker.post(i)
    assert waker.drain() == list(range(100_000))


def test_post_after_close_is_ignored() -> None:
    w: Waker[int] = Waker()
    w.close()
    w.post(1)
