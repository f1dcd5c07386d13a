"""The explicit-dispatch loop's timer heap, on a virtual clock (no sleeping, no real time)."""

from __future__ import annotations

import pytest

from impls.eventloop.dispatch.timers import TimerHeap


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def heap(clock: Clock) -> TimerHeap[str]:
    return TimerHeap(clock)


def test_empty_heap_has_no_timeout(heap: TimerHeap[str]) -> None:
    assert heap.timeout() is None
    assert heap.pop_due() == []
    assert len(heap) == 0


def test_timeout_is_time_to_earliest_deadline(heap: TimerHeap[str], clock: Clock) -> None:
    heap.call_later(5.0, "late")
    heap.call_later(2.0, "early")
    assert heap.timeout() == pytest.approx(2.0)
    clock.now += 3.0
    assert heap.timeout() == 0.0  # overdue: never a negative timeout for select()


def test_pop_due_returns_events_in_deadline_order(heap: TimerHeap[str], clock: Clock) -> None:
    heap.call_later(3.0, "c")
    heap.call_later(1.0, "a")
    heap.call_later(2.0, "b")
    heap.call_later(9.0, "later")
    clock.now += 3.0
    assert heap.pop_due() == ["a", "b", "c"]
    assert len(heap) == 1
    assert heap.timeout() == pytest.approx(6.0)


def test_equal_deadlines_fire_in_arming_order(heap: TimerHeap[str], clock: Clock) -> None:
    for name in "abcde":
        heap.call_at(clock.now + 1.0, name)
    clock.now += 1.0
    assert heap.pop_due() == list("abcde")


def test_deadline_exactly_now_is_due(heap: TimerHeap[str], clock: Clock) -> None:
    heap.call_later(0.0, "now")
    assert heap.pop_due() == ["now"]


def test_cancelled_timer_never_fires(heap: TimerHeap[str], clock: Clock) -> None:
    keep = heap.call_later(1.0, "keep")
    drop = heap.call_later(0.5, "drop")
    heap.cancel(drop)
    assert len(heap) == 1
    assert not drop.live
    assert keep.live
    assert heap.timeout() == pytest.approx(1.0)  # the cancelled earlier entry does not count
    clock.now += 2.0
    assert heap.pop_due() == ["keep"]
    assert not keep.live


def test_cancel_is_idempotent_and_ignores_fired_and_none(
    heap: TimerHeap[str], clock: Clock
) -> None:
    fired = heap.call_later(1.0, "fired")
    other = heap.call_later(5.0, "other")
    clock.now += 1.0
    assert heap.pop_due() == ["fired"]
    heap.cancel(fired)
    heap.cancel(None)
    heap.cancel(other)
    heap.cancel(other)
    assert len(heap) == 0
    assert heap.timeout() is None


def test_timer_armed_while_popping_waits_for_next_pop(heap: TimerHeap[str], clock: Clock) -> None:
    heap.call_later(1.0, "first")
    clock.now += 1.0
    due = heap.pop_due()
    heap.call_later(0.0, "armed-by-first")  # what a /delay?ms=0 handler does
    assert due == ["first"]
    assert heap.pop_due() == ["armed-by-first"]


def test_rearming_many_times_keeps_heap_small(heap: TimerHeap[str], clock: Clock) -> None:
    """Every keep-alive request re-arms its connection's timer: dead entries must not pile up."""
    handle = heap.call_later(15.0, "idle")
    for _ in range(10_000):
        heap.cancel(handle)
        handle = heap.call_later(15.0, "idle")
    assert len(heap) == 1
    assert len(heap._heap) < 1_000
    clock.now += 15.0
    assert heap.pop_due() == ["idle"]
    assert heap.timeout() is None
