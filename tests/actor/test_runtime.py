# The actor runtime on its own, without sockets: each property the lecture and the issue name.
#
# Rules of this file: nothing waits on wall-clock time. Most tests run the dispatcher with zero
# threads and call `run_pending` (every message told so far is then processed) and move a
# `ManualScheduler` by hand; the tests that need real threads (ordering under two dispatcher
# threads, a sender blocked on a full mailbox) wait on futures and conditions with deadlines.
"""Runtime unit tests: ordering, become, ask, timers, supervision, mailboxes, dead letters."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from impls.actor.runtime import (
    Actor,
    ActorRef,
    ActorSystem,
    AskTimeoutError,
    Behaviour,
    ChildTerminated,
    Directive,
    MailboxConfig,
    ManualScheduler,
    SupervisorStrategy,
)

DEADLINE = 10.0
"""Seconds a test waits for another thread before it fails (never a sleep)."""


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until true, failing after DEADLINE (the poll is the synchronisation)."""
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.001)  # a poll interval, not a synchronisation: the condition decides


@pytest.fixture
def clock() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def system(clock: ManualScheduler) -> Iterator[ActorSystem]:
    """A system whose actors run only in `run_pending`, on a virtual clock."""
    s = ActorSystem(threads=0, scheduler=clock)
    yield s
    s.shutdown()


@dataclass(frozen=True, slots=True)
class Note:
    sender: int
    seq: int


@dataclass(frozen=True, slots=True)
class Get:
    pass


class Recorder(Actor):
    """Keeps every message; answers Get with the list so far."""

    def __init__(self) -> None:
        self.seen: list[object] = []
        self.busy = 0
        self.overlaps = 0

    def receive(self, message: object) -> Behaviour | None:
        self.busy += 1
        if self.busy > 1:
            self.overlaps += 1
        match message:
            case Get():
                self.reply((list(self.seen), self.overlaps))
            case _:
                self.seen.append(message)
        self.busy -= 1
        return None


def settle(system: ActorSystem, future: Any) -> Any:
    system.run_pending()
    assert future.done(), "the reply should be there once every message is processed"
    return future.result()


# --- ordering and one-at-a-time ----------------------------------------------------------------


def test_messages_from_one_sender_arrive_in_order_two_dispatcher_threads() -> None:
    system = ActorSystem(threads=2, throughput=3)
    try:
        recorder = system.spawn(Recorder)
        senders, count = 4, 300

        def send(sender: int) -> None:
            for seq in range(count):
                recorder.tell(Note(sender, seq))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(DEADLINE)
        seen, overlaps = recorder.ask(Get(), timeout=DEADLINE).result(DEADLINE)
    finally:
        system.shutdown()
    assert overlaps == 0, "an actor ran on two threads at once"
    assert len(seen) == senders * count
    for sender in range(senders):
        assert [n.seq for n in seen if n.sender == sender] == list(range(count))


def test_throughput_bounds_one_actor_turn(system: ActorSystem) -> None:
    order: list[str] = []

    class Logger(Actor):
        def __init__(self, name: str) -> None:
            self.name = name

        def receive(self, message: object) -> Behaviour | None:
            order.append(self.name)
            return None

    system.dispatcher.throughput = 3
    a, b = system.spawn(Logger, "a"), system.spawn(Logger, "b")
    system.run_pending()  # both started
    for _ in range(5):
        a.tell("x")
    for _ in range(5):
        b.tell("x")
    system.run_pending()
    assert "".join(order) == "aaabbbaabb"


# --- become ------------------------------------------------------------------------------------


class Turnstile(Actor):
    """The textbook two-state machine: a coin unlocks, a push locks again."""

    def receive(self, message: object) -> Behaviour | None:
        return self.locked(message)

    def locked(self, message: object) -> Behaviour | None:
        match message:
            case "coin":
                self.reply("unlocked")
                return self.unlocked
            case _:
                self.reply("locked")
                return self.locked

    def unlocked(self, message: object) -> Behaviour | None:
        match message:
            case "push":
                self.reply("locked")
                return self.locked
            case _:
                self.reply("unlocked")
                return None  # stay


def test_become_switches_the_receive_function(system: ActorSystem) -> None:
    turnstile = system.spawn(Turnstile)
    answers = [
        settle(system, turnstile.ask(m, timeout=1)) for m in ("push", "coin", "coin", "push")
    ]
    assert answers == ["locked", "unlocked", "unlocked", "locked"]


# --- ask ---------------------------------------------------------------------------------------


class Silent(Actor):
    def receive(self, message: object) -> Behaviour | None:
        return None


def test_ask_times_out_on_the_clock(system: ActorSystem, clock: ManualScheduler) -> None:
    future = system.spawn(Silent).ask("anyone?", timeout=1.0)
    system.run_pending()
    clock.advance(0.9)
    assert not future.done()
    clock.advance(0.2)
    with pytest.raises(AskTimeoutError):
        future.result(timeout=0)


def test_a_reply_cancels_the_ask_timer(system: ActorSystem, clock: ManualScheduler) -> None:
    future = system.spawn(Turnstile).ask("coin", timeout=1.0)
    assert settle(system, future) == "unlocked"
    assert len(clock) == 0, "the timeout timer is cancelled by the reply"


# --- timers ------------------------------------------------------------------------------------


class Alarmed(Actor):
    def __init__(self) -> None:
        self.rung: list[str] = []

    def pre_start(self) -> None:
        self.schedule_once(2.0, "second")
        self.schedule_once(1.0, "first")
        self.schedule_once(1.5, "cancelled").cancel()

    def receive(self, message: object) -> Behaviour | None:
        match message:
            case Get():
                self.reply(list(self.rung))
            case str():
                self.rung.append(message)
        return None


def test_schedule_once_tells_self_when_due(system: ActorSystem, clock: ManualScheduler) -> None:
    alarmed = system.spawn(Alarmed)
    system.run_pending()
    assert settle(system, alarmed.ask(Get(), 1)) == []
    clock.advance(1.6)
    assert settle(system, alarmed.ask(Get(), 1)) == ["first"]
    clock.advance(0.5)
    assert settle(system, alarmed.ask(Get(), 1)) == ["first", "second"]


# --- supervision -------------------------------------------------------------------------------


class Fragile(Actor):
    """Counts messages; raises on "boom". Logs its lifecycle to a shared list."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.count = 0

    def pre_start(self) -> None:
        self.log.append("start")

    def post_stop(self) -> None:
        self.log.append("stop")

    def pre_restart(self, reason: Exception, message: object) -> None:
        self.log.append(f"pre_restart {reason} after {self.count}")

    def post_restart(self, reason: Exception) -> None:
        self.log.append("post_restart")

    def receive(self, message: object) -> Behaviour | None:
        match message:
            case "boom":
                raise RuntimeError("boom")
            case Get():
                self.reply(self.count)
            case _:
                self.count += 1
        return None


def parent_with(directive: Directive) -> type[Actor]:
    class Parent(Actor):
        supervisor_strategy = SupervisorStrategy(lambda exc: directive)

        def __init__(self, log: list[str]) -> None:
            self.log = log

        def receive(self, message: object) -> Behaviour | None:
            match message:
                case "spawn":
                    self.reply(self.spawn(Fragile, self.log))
                case ChildTerminated():
                    self.log.append("child terminated")
            return None

    return Parent


def spawn_child(system: ActorSystem, directive: Directive, log: list[str]) -> ActorRef:
    parent = system.spawn(parent_with(directive), log)
    child: ActorRef = settle(system, parent.ask("spawn", timeout=1))
    for _ in range(2):
        child.tell("tick")
    child.tell("boom")
    child.tell("tick")
    system.run_pending()
    return child


def test_restart_gives_a_fresh_instance_behind_the_same_ref(
    system: ActorSystem, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[str] = []
    child = spawn_child(system, Directive.RESTART, log)
    assert log == ["start", "pre_restart boom after 2", "post_restart"]
    assert settle(system, child.ask(Get(), 1)) == 1, "state started over; later mail still served"
    assert "boom" in caplog.text


def test_resume_keeps_the_state(system: ActorSystem) -> None:
    log: list[str] = []
    child = spawn_child(system, Directive.RESUME, log)
    assert log == ["start"]
    assert settle(system, child.ask(Get(), 1)) == 3


def test_stop_ends_the_child_and_tells_the_parent(system: ActorSystem) -> None:
    log: list[str] = []
    child = spawn_child(system, Directive.STOP, log)
    assert log == ["start", "stop", "child terminated"]
    assert system.dead_letters == 1, "the tick queued behind the failure"
    child.tell("tick")
    assert system.dead_letters == 2


def test_restart_budget_then_stop(system: ActorSystem) -> None:
    class Strict(Actor):
        supervisor_strategy = SupervisorStrategy(lambda exc: Directive.RESTART, max_restarts=2)

        def receive(self, message: object) -> Behaviour | None:
            self.reply(self.spawn(Fragile, []))
            return None

    child: ActorRef = settle(system, system.spawn(Strict).ask("spawn", 1))
    for _ in range(3):
        child.tell("boom")
    system.run_pending()
    child.tell("tick")
    assert system.dead_letters == 1, "the third failure stopped it"


# --- mailboxes and dead letters ----------------------------------------------------------------


def test_bounded_mailbox_blocks_the_sender_until_there_is_room(clock: ManualScheduler) -> None:
    system = ActorSystem(threads=0, scheduler=clock, mailbox=MailboxConfig(capacity=2))
    recorder = system.spawn(Recorder)
    system.run_pending()
    recorder.tell(Note(0, 0))
    recorder.tell(Note(0, 1))  # full now
    sender = threading.Thread(target=recorder.tell, args=(Note(0, 2),))
    sender.start()
    mailbox = recorder._cell.mailbox
    wait_for(lambda: mailbox.blocked == 1, "the third tell to wait for room")
    assert sender.is_alive()
    system.run_pending()  # the turn takes the two messages: room for the third
    sender.join(DEADLINE)
    assert not sender.is_alive()
    seen, _ = settle(system, recorder.ask(Get(), 1))
    assert seen == [Note(0, 0), Note(0, 1), Note(0, 2)]
    assert system.dead_letters == 0
    system.shutdown()


def test_bounded_mailbox_drops_to_dead_letters(clock: ManualScheduler) -> None:
    system = ActorSystem(
        threads=0, scheduler=clock, mailbox=MailboxConfig(capacity=2, overflow="drop")
    )
    recorder = system.spawn(Recorder)
    system.run_pending()
    for seq in range(5):
        recorder.tell(Note(0, seq))
    assert system.dead_letters == 3
    system.run_pending()
    seen, _ = settle(system, recorder.ask(Get(), 1))
    assert seen == [Note(0, 0), Note(0, 1)]
    system.shutdown()


def test_a_dispatcher_thread_never_waits_for_room(clock: ManualScheduler) -> None:
    """An actor telling itself into its own full mailbox: waiting would wait forever."""

    class Echoer(Actor):
        def __init__(self) -> None:
            self.got = 0

        def receive(self, message: object) -> Behaviour | None:
            match message:
                case "fan":
                    for _ in range(3):
                        self.ref.tell("one")
                case "one":
                    self.got += 1
                case Get():
                    self.reply(self.got)
            return None

    system = ActorSystem(threads=0, scheduler=clock, mailbox=MailboxConfig(capacity=1))
    echoer = system.spawn(Echoer)
    system.run_pending()
    echoer.tell("fan")
    system.run_pending()
    assert settle(system, echoer.ask(Get(), 1)) == 3
    system.shutdown()


def test_unbounded_mailbox_takes_everything(system: ActorSystem) -> None:
    recorder = system.spawn(Recorder)
    for seq in range(10_000):
        recorder.tell(Note(0, seq))
    assert len(recorder._cell.mailbox) == 10_001  # the start message too
    system.run_pending()
    seen, _ = settle(system, recorder.ask(Get(), 1))
    assert len(seen) == 10_000


def test_messages_to_a_stopped_actor_are_dead_letters(system: ActorSystem) -> None:
    recorder = system.spawn(Recorder)
    recorder.tell(Note(0, 0))
    recorder.stop()
    recorder.tell(Note(0, 1))  # queued behind the stop: never processed
    system.run_pending()
    assert system.dead_letters == 1
    recorder.tell(Note(0, 2))
    future = recorder.ask(Get(), timeout=1)
    assert system.dead_letters == 3
    assert system.mailbox_depths() == {}, "a stopped actor leaves the census"
    assert not future.done()


def test_mailbox_depths_by_kind(system: ActorSystem) -> None:
    first, _second = system.spawn(Recorder), system.spawn(Recorder)
    silent = system.spawn(Silent)
    system.run_pending()
    first.tell(Note(0, 0))
    first.tell(Note(0, 1))
    silent.tell("x")
    assert system.mailbox_depths() == {"mailbox:Recorder": 2, "mailbox:Silent": 1}
