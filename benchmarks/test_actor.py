# Micro-benchmarks of the actor runtime alone (impls/actor, no sockets): what one message costs.
#
# Rules of this file (it measures; it asserts only that each message was delivered and handled, so
# a run with --benchmark-disable, each body once, is a smoke test): the system is started and shut
# down by a fixture, so no dispatcher or timer thread outlives a test. Nothing waits on the clock:
# a round ends when the actor says so (an Event it sets on the batch's last message) or when the
# ask's future resolves. `tell` is timed per batch of TELL_BATCH messages, because one tell
# returns before the message is handled; per message is the round's time / TELL_BATCH (the batch
# size is in each result's extra_info). The re-arm benchmark compares `LazyAlarm` (impls/actor/
# alarm.py) with cancelling and rescheduling, REARM_BATCH re-arms in one message per round, on the
# real timer thread: per re-arm is the round's time / REARM_BATCH.
# Run: `python -m pytest benchmarks/test_actor.py --benchmark-enable --benchmark-only`.
"""pytest-benchmark timings of tell throughput, the ask round trip, and re-arming a timer."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from impls.actor.alarm import LazyAlarm
from impls.actor.runtime import Actor, ActorSystem, Behaviour, Cancellable

Benchmark = Any  # pytest-benchmark's fixture (its package ships no type hints)

TELL_BATCH = 1000
"""Messages told per round of the tell benchmark."""

DEADLINE = 10.0
"""Seconds a round may wait for the actor before the benchmark fails (never a sleep)."""


@dataclass(frozen=True, slots=True)
class Ping:
    """The ask benchmark's request; the actor replies with `n`."""

    n: int


@dataclass(frozen=True, slots=True)
class GetCount:
    """Asks for the number of messages counted so far."""


class Counter(Actor):
    """Counts messages; sets `done` each time another `batch` of them has been handled."""

    def __init__(self, batch: int, done: threading.Event) -> None:
        self.batch = batch
        self.done = done
        self.count = 0

    def receive(self, message: object) -> Behaviour | None:
        match message:
            case Ping(n):
                self.reply(n)
            case GetCount():
                self.reply(self.count)
            case _:
                self.count += 1
                if self.count % self.batch == 0:
                    self.done.set()
        return None


@dataclass(frozen=True, slots=True)
class Runtime:
    """A running system and how to let its actors catch up from the benchmark's thread."""

    system: ActorSystem
    settle: Callable[[], object]  # with a dispatcher thread: nothing; without: run_pending


@pytest.fixture(params=[1, 0], ids=["dispatcher-thread", "caller-thread"])
def runtime(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """The default system (one dispatcher thread), or one whose turns run in `run_pending` on
    the benchmark's thread: the second is the runtime's own cost with no thread hand-off."""
    threads: int = request.param
    system = ActorSystem(threads=threads)
    yield Runtime(system, (lambda: None) if threads else system.run_pending)
    system.shutdown()


def test_tell(benchmark: Benchmark, runtime: Runtime) -> None:
    """TELL_BATCH tells, each delivered to and handled by a counting actor, per round."""
    done = threading.Event()
    counter = runtime.system.spawn(Counter, TELL_BATCH, done)
    settle = runtime.settle
    rounds = 0

    def batch() -> None:
        nonlocal rounds
        done.clear()
        for i in range(TELL_BATCH):
            counter.tell(i)
        settle()
        assert done.wait(DEADLINE), "the actor did not handle the batch"
        rounds += 1

    benchmark.extra_info["messages_per_round"] = TELL_BATCH
    benchmark(batch)
    count = counter.ask(GetCount(), DEADLINE)
    settle()
    assert count.result(DEADLINE) == rounds * TELL_BATCH > 0


def test_ask(benchmark: Benchmark, runtime: Runtime) -> None:
    """ask -> the actor replies -> the future resolves, one at a time."""
    actor = runtime.system.spawn(Counter, TELL_BATCH, threading.Event())
    settle = runtime.settle
    numbers = itertools.count()

    def ask() -> int:
        n = next(numbers)
        future = actor.ask(Ping(n), DEADLINE)
        settle()
        answer: int = future.result(DEADLINE)
        assert answer == n, "a reply to another ask"
        return answer

    assert benchmark(ask) >= 0


REARM_BATCH = 1000
"""Timer re-arms per round of the re-arm benchmark (one per request served, in a connection)."""

KEEP_ALIVE = 15.0
"""The deadline each re-arm sets, in seconds: the default keep-alive timeout."""


@dataclass(frozen=True, slots=True)
class Rearm:
    """Re-arm the timer `times` times, as a connection does once per request."""

    times: int


class _Alarm:
    """The timer's message (never delivered within a benchmark: the deadline is 15 s away)."""


class Rearming(Actor):
    """Re-arms a KEEP_ALIVE timer to self: lazily, or by cancelling and rescheduling."""

    def __init__(self, lazy: bool, done: threading.Event) -> None:
        self.lazy = lazy
        self.done = done
        self.alarm = LazyAlarm(self, _Alarm())
        self.timer: Cancellable | None = None

    def receive(self, message: object) -> Behaviour | None:
        match message:
            case Rearm(times) if self.lazy:
                for _ in range(times):
                    self.alarm.set(KEEP_ALIVE)
            case Rearm(times):
                for _ in range(times):
                    if self.timer is not None:
                        self.timer.cancel()
                    self.timer = self.schedule_once(KEEP_ALIVE, _Alarm())
        self.done.set()
        return None


@pytest.mark.parametrize("lazy", [True, False], ids=["lazy", "cancel-and-schedule"])
def test_rearm(benchmark: Benchmark, lazy: bool) -> None:
    """REARM_BATCH re-arms of a 15 s timer to self per round, on the actor's thread."""
    system = ActorSystem(threads=0)  # the turns run here, in run_pending; timers on their thread
    try:
        done = threading.Event()
        actor = system.spawn(Rearming, lazy, done)

        def batch() -> None:
            done.clear()
            actor.tell(Rearm(REARM_BATCH))
            system.run_pending()
            assert done.is_set(), "the actor did not handle the batch"

        benchmark.extra_info["rearms_per_round"] = REARM_BATCH
        benchmark(batch)
    finally:
        system.shutdown()
