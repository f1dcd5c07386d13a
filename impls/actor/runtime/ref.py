# The only handle on an actor anyone else gets: a ref you can tell things to, or ask.
#
# Rules of this file: a ref never exposes the actor object, so the only way to affect an actor is
# a message in its mailbox. `tell` is send-and-forget; `ask` is tell plus a one-shot reply target
# that completes a future, failed with `AskTimeoutError` if no reply comes in time.
"""`ActorRef` (tell, ask, stop) and `AskTimeoutError`."""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, InvalidStateError
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from impls.actor.runtime.cell import ActorCell


class AskTimeoutError(TimeoutError):
    """No reply to an `ask` within its timeout."""


class ActorRef:
    """Address of one actor (one incarnation series: a restart keeps the ref)."""

    __slots__ = ("_cell",)

    def __init__(self, cell: ActorCell) -> None:
        self._cell = cell

    def tell(self, message: object, sender: ActorRef | None = None) -> None:
        """Put `message` in the actor's mailbox and return (it may wait for room if the mailbox
        is bounded and full under the "block" policy). Messages to a stopped actor, or refused
        under "drop", are counted as dead letters."""
        self._cell.send(message, sender)

    def ask(self, message: object, timeout: float) -> Future[Any]:
        """Tell `message` with a reply target; the future holds the first reply.

        For callers outside the actor system (tests, the main thread). An actor must not wait
        on the future - it would hold its dispatcher thread; it asks with `tell(msg, self.ref)`
        and handles the reply as a message.

        Raises (from the future): AskTimeoutError if no reply came within `timeout` seconds.
        """
        future: Future[Any] = Future()
        timer = self._cell.system.scheduler.call_later(
            timeout, lambda: _fail(future, AskTimeoutError(f"no reply from {self} in {timeout} s"))
        )
        future.add_done_callback(lambda _: timer.cancel())
        self.tell(message, _PromiseRef(future))
        return future

    def stop(self) -> None:
        """Stop the actor after the messages already in its mailbox (Akka's PoisonPill)."""
        self._cell.send_stop()

    @property
    def kind(self) -> str:
        """The actor's class name."""
        return self._cell.kind

    def __repr__(self) -> str:
        return f"<ActorRef {self._cell.kind}#{id(self._cell):x}>"


class _PromiseRef(ActorRef):
    """The reply target of one `ask`: telling it completes the future."""

    __slots__ = ("_future",)

    def __init__(self, future: Future[Any]) -> None:
        self._future = future

    def tell(self, message: object, sender: ActorRef | None = None) -> None:
        # a second reply, or one after the timeout, is ignored: an ask takes the first outcome
        with contextlib.suppress(InvalidStateError):
            self._future.set_result(message)

    def stop(self) -> None:
        pass

    @property
    def kind(self) -> str:
        return "ask"

    def __repr__(self) -> str:
        return "<ActorRef ask>"


def _fail(future: Future[Any], error: AskTimeoutError) -> None:
    with contextlib.suppress(InvalidStateError):  # the reply won the race
        future.set_exception(error)
