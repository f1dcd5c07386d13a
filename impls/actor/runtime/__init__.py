# The actor runtime: a small, general actor library (mailboxes, become, tell/ask, timers to self,
# supervision). It knows nothing of sockets or HTTP; the actor server beside it (`impls/actor/`)
# is one program built on it, and the tests and notebooks build others.
#
# Rules of this package: no import of anything outside it except the standard library - in
# particular nothing of the socket server - so it can be read, tested and reused on its own (as
# pykka separates its runtime from what is built on it). What this `__init__` exports is the
# public surface; the server and the tests use nothing else.
"""The actor runtime, one concept per file.

Read first: `actor.py` (what you write: an actor is a class whose methods are its states), then
`ref.py` (tell, ask), `mailbox.py` (the queue and its bound), `cell.py` (one actor's runtime
side: the one place actor code runs), `dispatcher.py` (threads and turns), `timers.py` (timers
to self), `supervision.py` (what a parent decides when a child raises), `system.py` (where
actors are created). `docs/actor.md` walks through it.
"""

from impls.actor.runtime.actor import Actor, Behaviour
from impls.actor.runtime.cell import ChildTerminated
from impls.actor.runtime.mailbox import MailboxConfig
from impls.actor.runtime.ref import ActorRef, AskTimeoutError
from impls.actor.runtime.supervision import RESTART, Directive, SupervisorStrategy
from impls.actor.runtime.system import ActorSystem
from impls.actor.runtime.timers import Cancellable, ManualScheduler, Scheduler, ThreadScheduler

__all__ = [
    "Actor",
    "Behaviour",
    "ActorRef",
    "AskTimeoutError",
    "ActorSystem",
    "MailboxConfig",
    "ChildTerminated",
    "Directive",
    "SupervisorStrategy",
    "RESTART",
    "Scheduler",
    "ThreadScheduler",
    "ManualScheduler",
    "Cancellable",
]
