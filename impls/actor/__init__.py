# The actor impl: a small actor runtime (the first files) and a server built on it (the rest).
#
# Runtime, one concept per file, in reading order: _actor.py (what you write), _ref.py (tell,
# ask), _mailbox.py, _cell.py (one actor's runtime side), _dispatcher.py (threads and turns),
# _timers.py (timers to self), _supervision.py, _system.py. Sockets, as the lecture integrates
# them: _messages.py, _link.py, _codec.py (parse/encode adapter), _iothread.py, _receiver.py
# (the receiving thread), _sender.py (the sending thread), _listener.py, _connection.py, and
# server.py (`serve`). docs/actor.md walks through it.
"""Actor model: mailboxes, become, tell/ask, supervision, and socket actors."""

from ._actor import Actor, Behaviour
from ._cell import ChildTerminated
from ._mailbox import MailboxConfig
from ._ref import ActorRef, AskTimeoutError
from ._supervision import RESTART, Directive, SupervisorStrategy
from ._system import ActorSystem
from ._timers import Cancellable, ManualScheduler, Scheduler, ThreadScheduler

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
