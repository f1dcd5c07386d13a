# The runtime side of one actor (Akka's ActorCell): its mailbox, current behaviour and family.
#
# Rules of this file: `run` is the only place actor code is called, always on a dispatcher
# thread and for at most one turn of one actor at a time (the mailbox's scheduled bit sees to
# that), so an actor's fields need no locks. The children set is changed only on the actor's own
# turn (spawn, and the `ChildTerminated` notice). A failure is handed to the parent's strategy;
# nothing an actor raises escapes `run`.
"""`ActorCell`: mailbox + behaviour + lifecycle + supervision mechanics for one actor."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from impls.actor.runtime.mailbox import Delivery, Mailbox, MailboxConfig
from impls.actor.runtime.ref import ActorRef
from impls.actor.runtime.supervision import Directive

if TYPE_CHECKING:
    from impls.actor.runtime.actor import Actor, Behaviour
    from impls.actor.runtime.system import ActorSystem

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChildTerminated:
    """Told to a parent by the runtime when one of its children has stopped."""

    child: ActorRef


class _Start:
    """Runtime message: build the actor and run `pre_start` (first in every mailbox)."""


class _Stop:
    """Runtime message: stop after the messages before it (Akka's PoisonPill)."""


_START = _Start()
_STOP = _Stop()


class ActorCell:
    """Everything the runtime keeps for one actor."""

    __slots__ = (
        "system",
        "kind",
        "ref",
        "mailbox",
        "parent",
        "children",
        "actor",
        "behaviour",
        "sender",
        "stopping",
        "stopped",
        "restarts",
        "_factory",
        "_dispatcher",
    )

    def __init__(
        self,
        system: ActorSystem,
        cls: Callable[..., Actor],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        parent: ActorCell | None,
        mailbox: MailboxConfig,
    ) -> None:
        self.system = system
        self.kind: str = getattr(cls, "__name__", "Actor")
        self.ref = ActorRef(self)
        self.mailbox = Mailbox(mailbox, system.dispatcher.off_dispatcher_thread)
        self.parent = parent
        self.children: set[ActorCell] = set()
        self.actor: Actor | None = None
        self.behaviour: Behaviour | None = None
        self.sender: ActorRef | None = None
        self.stopping = False  # set by Actor.stop(): stop once the current message is handled
        self.stopped = False
        self.restarts = 0
        self._factory: Callable[[], Actor] = lambda: cls(*args, **kwargs)
        self._dispatcher = system.dispatcher

    # --- any thread ---------------------------------------------------------------------------

    def send(self, message: object, sender: ActorRef | None) -> None:
        """Deliver a message (ActorRef.tell)."""
        delivery = self.mailbox.put((message, sender))
        if delivery is Delivery.SCHEDULE:
            self._dispatcher.schedule(self)
        elif delivery is Delivery.REFUSED:
            self.system.dead_letter(message, self.ref)

    def send_system(self, message: object) -> None:
        """Deliver a runtime message: never waits for room, never dropped for lack of it."""
        if self.mailbox.put((message, None), system=True) is Delivery.SCHEDULE:
            self._dispatcher.schedule(self)

    def start(self) -> None:
        """Queue the actor's construction and `pre_start`: its first turn."""
        self.send_system(_START)

    def send_stop(self) -> None:
        self.send_system(_STOP)

    # --- the actor's own turn (a dispatcher thread) ----------------------------------------------

    def run(self, throughput: int) -> bool:
        """Process up to `throughput` messages. True if more wait (schedule again)."""
        for message, sender in self.mailbox.take(throughput):
            if self.stopped:
                self._dead(message)
                continue
            if message is _START:
                self._start()
            elif message is _STOP:
                self.stopping = True
            else:
                if isinstance(message, ChildTerminated):
                    self.children.discard(message.child._cell)
                self.sender = sender
                behaviour = self.behaviour
                assert behaviour is not None
                try:
                    after = behaviour(message)
                except Exception as exc:
                    self._failed(exc, message)
                else:
                    if after is not None:
                        self.behaviour = after  # become
            if self.stopping:
                self._terminate()
        self.sender = None
        return self.mailbox.end_turn()

    def spawn_child(
        self, cls: Callable[..., Actor], args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> ActorRef:
        child = self.system.create(cls, args, kwargs, parent=self)
        self.children.add(child)
        return child.ref

    def _incarnate(self) -> Actor:
        actor = self._factory()
        actor._cell = self
        self.actor = actor
        self.behaviour = actor.receive
        return actor

    def _start(self) -> None:
        try:
            self._incarnate().pre_start()
        except Exception:
            log.exception("%s failed to start", self.ref)
            self.stopping = True

    def _failed(self, exc: Exception, message: object) -> None:
        """Apply the parent's strategy to a failure (the system's for a top-level actor)."""
        parent = self.parent
        strategy = (
            type(parent.actor).supervisor_strategy
            if parent is not None and parent.actor is not None
            else self.system.guardian_strategy
        )
        directive = strategy.decide(exc, self.restarts)
        log.error(
            "%s failed on %r: %s; %s",
            self.ref,
            type(message).__name__,
            exc,
            directive.value,
            exc_info=exc,
        )
        if directive is Directive.RESTART:
            self.restarts += 1
            self._restart(exc, message)
        elif directive is Directive.STOP:
            self.stopping = True

    def _restart(self, exc: Exception, message: object) -> None:
        old = self.actor
        try:
            if old is not None:
                old.pre_restart(exc, message)
            self._incarnate().post_restart(exc)
        except Exception:
            log.exception("%s failed to restart; stopping it", self.ref)
            self.stopping = True

    def _terminate(self) -> None:
        """Stop for good: dead-letter the mailbox, stop children, post_stop, tell the parent."""
        self.stopping = False
        self.stopped = True
        for message, _ in self.mailbox.close():
            self._dead(message)
        for child in self.children:
            child.send_stop()
        if self.actor is not None:
            try:
                self.actor.post_stop()
            except Exception:
                log.exception("%s failed in post_stop", self.ref)
        self.system.forget(self)
        parent = self.parent
        if parent is not None and not parent.stopped:
            parent.send_system(ChildTerminated(self.ref))

    def _dead(self, message: object) -> None:
        if not isinstance(message, _Start | _Stop | ChildTerminated):
            self.system.dead_letter(message, self.ref)
