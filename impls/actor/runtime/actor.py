# What an actor author writes: a class whose methods are its states.
#
# Rules of this file: an actor's state is touched only by its own receive functions, which the
# runtime calls one message at a time, so an actor needs no locks. A receive function returns the
# next receive function - the lecture's "return identity of next state" (Akka's `become`) - or
# None to stay in the same state. Everything an actor can do to the world goes through its
# context: telling refs, spawning children, timers to self, stopping.
"""`Actor`, the base class, and `Behaviour`, the type of a receive function."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, Protocol

from impls.actor.runtime.supervision import RESTART, SupervisorStrategy

if TYPE_CHECKING:
    from impls.actor.runtime.cell import ActorCell
    from impls.actor.runtime.ref import ActorRef
    from impls.actor.runtime.system import ActorSystem
    from impls.actor.runtime.timers import Cancellable

P = ParamSpec("P")


class Behaviour(Protocol):
    """A receive function: one message in, the next behaviour out (None: unchanged)."""

    def __call__(self, message: Any, /) -> Behaviour | None: ...


class Actor:
    """Base class of actors: subclass it and write `receive`, the initial state.

    Construct actors with `ActorSystem.spawn(cls, *args)` or, for a child, `self.spawn(...)`;
    both return an `ActorRef`, the only handle anyone else gets. The constructor runs on the
    actor's own thread with its arguments; work that needs `self.ref` belongs in `pre_start`.
    A restart builds a new instance from the same arguments, so what must survive a restart is
    passed in (Akka's Props), and what belongs to the conversation starts over.

    supervisor_strategy: how this actor treats its children when they raise.
    """

    supervisor_strategy: ClassVar[SupervisorStrategy] = RESTART
    _cell: ActorCell  # set by the runtime before pre_start

    def receive(self, message: Any) -> Behaviour | None:
        """The initial state. Return the next state, or None to stay."""
        raise NotImplementedError

    # --- lifecycle hooks, called on the actor's own thread ------------------------------------

    def pre_start(self) -> None:
        """Before the first message."""

    def post_stop(self) -> None:
        """After the last message; release what the actor holds."""

    def pre_restart(self, reason: Exception, message: object) -> None:
        """On the failed instance, before it is replaced. Default: stop children, `post_stop`."""
        for child in self.children:
            child.stop()
        self.post_stop()

    def post_restart(self, reason: Exception) -> None:
        """On the fresh instance, before its first message. Default: `pre_start`."""
        self.pre_start()

    # --- the context --------------------------------------------------------------------------

    @property
    def ref(self) -> ActorRef:
        """This actor's own ref (give it away so others can reply)."""
        return self._cell.ref

    @property
    def sender(self) -> ActorRef | None:
        """Who sent the message being processed (None if it came from outside any actor)."""
        return self._cell.sender

    @property
    def system(self) -> ActorSystem:
        return self._cell.system

    @property
    def children(self) -> list[ActorRef]:
        """Children alive (as far as this actor has been told)."""
        return [child.ref for child in self._cell.children]

    def spawn(self, cls: Callable[P, Actor], *args: P.args, **kwargs: P.kwargs) -> ActorRef:
        """Start a child supervised by this actor."""
        return self._cell.spawn_child(cls, args, kwargs)

    def reply(self, message: object) -> None:
        """Tell `message` to the sender of the current message, if there is one."""
        sender = self._cell.sender
        if sender is not None:
            sender.tell(message, self._cell.ref)

    def schedule_once(self, delay: float, message: object) -> Cancellable:
        """Tell `message` to this actor after `delay` seconds (a timer to self)."""
        ref = self._cell.ref
        return self._cell.system.scheduler.call_later(delay, lambda: ref.tell(message))

    def stop(self) -> None:
        """Stop this actor once the current message is handled; the rest go to dead letters."""
        self._cell.stopping = True
