# The actor system: where actors are created, and what they share - a dispatcher, a scheduler,
# default mailbox settings, and the dead-letter office.
#
# Rules of this file: the system holds no actor state; it knows the live cells only to report
# mailbox depths (read from the admin thread, so it copies before iterating) and counts the
# messages no actor will ever see: to stopped actors, or refused by a full "drop" mailbox.
"""`ActorSystem`: spawn top-level actors, shared runtime services, dead letters."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec

from impls.actor.runtime.cell import ActorCell
from impls.actor.runtime.dispatcher import Dispatcher
from impls.actor.runtime.mailbox import MailboxConfig
from impls.actor.runtime.supervision import RESTART, SupervisorStrategy
from impls.actor.runtime.timers import Scheduler, ThreadScheduler

if TYPE_CHECKING:
    from impls.actor.runtime.actor import Actor
    from impls.actor.runtime.ref import ActorRef

log = logging.getLogger(__name__)
P = ParamSpec("P")


class ActorSystem:
    """A dispatcher, a scheduler and the actors running on them.

    Args:
        threads: dispatcher threads (0: run turns only in `run_pending`, for tests).
        throughput: messages per actor turn.
        mailbox: mailbox settings of every actor.
        scheduler: the clock and timers (default: a `ThreadScheduler` on the monotonic clock).
        guardian_strategy: how failures of top-level actors are handled.
    """

    def __init__(
        self,
        *,
        threads: int = 1,
        throughput: int = 5,
        mailbox: MailboxConfig | None = None,
        scheduler: Scheduler | None = None,
        guardian_strategy: SupervisorStrategy = RESTART,
    ) -> None:
        self.dispatcher = Dispatcher(threads, throughput)
        self.scheduler: Scheduler = scheduler if scheduler is not None else ThreadScheduler()
        self.mailbox = mailbox if mailbox is not None else MailboxConfig()
        self.guardian_strategy = guardian_strategy
        self._cells: set[ActorCell] = set()
        self._dead_letters = 0
        self._dead_lock = threading.Lock()

    def spawn(self, cls: Callable[P, Actor], *args: P.args, **kwargs: P.kwargs) -> ActorRef:
        """Start a top-level actor `cls(*args, **kwargs)`; its constructor runs on its turn."""
        return self.create(cls, args, kwargs, parent=None).ref

    def create(
        self,
        cls: Callable[..., Actor],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        parent: ActorCell | None,
    ) -> ActorCell:
        """The cell of a new actor, already queued to start (used by `spawn` and children)."""
        cell = ActorCell(self, cls, args, kwargs, parent=parent, mailbox=self.mailbox)
        self._cells.add(cell)
        cell.start()
        return cell

    def forget(self, cell: ActorCell) -> None:
        """A stopped cell leaves the census."""
        self._cells.discard(cell)

    def dead_letter(self, message: object, recipient: ActorRef) -> None:
        """Count a message that no actor will process."""
        with self._dead_lock:
            self._dead_letters += 1
        log.debug("dead letter to %r: %r", recipient, type(message).__name__)

    @property
    def dead_letters(self) -> int:
        """Messages sent to stopped actors or dropped by full mailboxes, so far."""
        return self._dead_letters

    def mailbox_depths(self) -> dict[str, int]:
        """Messages waiting, summed per actor kind: {"mailbox:Connection": 3, ...}."""
        depths: Counter[str] = Counter()
        for cell in list(self._cells):  # a C-level copy: other threads add and remove cells
            depths["mailbox:" + cell.kind] += len(cell.mailbox)
        return dict(depths)

    def run_pending(self) -> int:
        """With `threads=0`: run actor turns on this thread until no actor has mail."""
        return self.dispatcher.run_pending()

    def shutdown(self) -> None:
        """Stop the scheduler, then the dispatcher threads; actors still alive are abandoned.

        In that order because a timer thread can be waiting for room in a bounded mailbox, which
        only a running dispatcher makes.
        """
        self.scheduler.close()
        self.dispatcher.close()
