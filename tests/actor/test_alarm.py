# `LazyAlarm` against its meaning - "the message arrives once the deadline last set has passed,
# and never for a cleared one" - and the room's layering: the runtime imports nothing of the server.
#
# Rules of this file: no real time. The system runs with zero dispatcher threads and a
# `ManualScheduler`; a test moves the clock and calls `run_pending`, then looks at what the actor
# was told.
"""Unit tests of the connection's lazily re-armed timer, and of the runtime's independence."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from impls.actor.alarm import LazyAlarm
from impls.actor.runtime import Actor, ActorSystem, Behaviour, ManualScheduler


class _Ring:
    """The alarm's message."""


RING = _Ring()


class Sleeper(Actor):
    """Sets its alarm as told; records, in clock time, each ring `LazyAlarm.rang` calls due."""

    def __init__(self, rings: list[float]) -> None:
        self.rings = rings
        self.alarm = LazyAlarm(self, RING)

    def receive(self, message: object) -> Behaviour | None:
        match message:
            case _Ring():
                if self.alarm.rang():
                    self.rings.append(self.system.scheduler.now())
            case float(seconds):
                self.alarm.set(seconds)
            case "clear":
                self.alarm.clear()
            case "cancel":
                self.alarm.cancel()
        return None


class Clock:
    """A system on a manual clock, and one `Sleeper` in it."""

    def __init__(self) -> None:
        self.scheduler = ManualScheduler()
        self.system = ActorSystem(threads=0, scheduler=self.scheduler)
        self.rings: list[float] = []
        self.sleeper = self.system.spawn(Sleeper, self.rings)
        self.system.run_pending()

    def tell(self, message: object) -> None:
        self.sleeper.tell(message)
        self.system.run_pending()

    def advance(self, seconds: float) -> None:
        self.scheduler.advance(seconds)
        self.system.run_pending()


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    yield clock
    clock.system.shutdown()


def test_rings_once_at_the_deadline(clock: Clock) -> None:
    clock.tell(5.0)
    clock.advance(4.9)
    assert clock.rings == []
    clock.advance(0.1)
    assert clock.rings == [5.0]
    clock.advance(100.0)
    assert clock.rings == [5.0]


def test_a_later_deadline_costs_no_new_timer_and_still_holds(clock: Clock) -> None:
    clock.tell(5.0)
    clock.advance(3.0)
    clock.tell(5.0)  # now due at 8: the timer for 5 stays, and re-arms for the rest when it rings
    assert len(clock.scheduler) == 1
    clock.advance(2.0)
    assert clock.rings == []
    assert len(clock.scheduler) == 1  # the timer for the rest
    clock.advance(3.0)
    assert clock.rings == [8.0]


def test_an_earlier_deadline_replaces_the_timer(clock: Clock) -> None:
    clock.tell(15.0)
    clock.tell(1.0)
    assert len(clock.scheduler) == 1  # the 15 s timer was cancelled
    clock.advance(1.0)
    assert clock.rings == [1.0]
    clock.advance(20.0)
    assert clock.rings == [1.0]


def test_cleared_never_rings_and_cancelled_leaves_no_timer(clock: Clock) -> None:
    clock.tell(2.0)
    clock.tell("clear")
    clock.advance(10.0)
    assert clock.rings == []
    clock.tell(2.0)  # set again after a cleared deadline's timer rang: a new timer
    clock.advance(2.0)
    assert clock.rings == [12.0]
    clock.tell(2.0)
    clock.tell("cancel")
    assert len(clock.scheduler) == 0
    clock.advance(10.0)
    assert clock.rings == [12.0]  # nothing more


def test_set_again_after_ringing(clock: Clock) -> None:
    clock.tell(1.0)
    clock.advance(1.0)
    clock.tell(2.0)
    clock.advance(2.0)
    assert clock.rings == [1.0, 3.0]


RUNTIME = Path(__file__).resolve().parents[2] / "impls" / "actor" / "runtime"


@pytest.mark.parametrize("path", sorted(RUNTIME.glob("*.py")), ids=lambda path: path.name)
def test_the_runtime_imports_nothing_of_the_server(path: Path) -> None:
    """The runtime is a general library: only the standard library and itself."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: a relative import"
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            inside = name == "impls.actor.runtime" or name.startswith("impls.actor.runtime.")
            assert inside or name.split(".")[0] != "impls", f"{path.name} imports {name}"
