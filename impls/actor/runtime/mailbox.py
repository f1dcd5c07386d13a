# An actor's mailbox: the queue between whoever tells it something and the one thread that runs it.
#
# Rules of this file: a mailbox is FIFO, so messages from one sender arrive in the order sent. It
# also carries the actor's "scheduled" bit (Akka's mailbox status): `put` reports when the actor
# must be handed to the dispatcher, and `end_turn` when it must be handed back, so an actor is on
# at most one thread at a time. Bounded mailboxes either make the sender wait (`block`, the
# back-pressure path) or refuse the message (`drop`); unbounded ones never push back - the
# "send and forget" failure the lecture warns about, kept for `--backpressure off`.
"""`Mailbox`: a bounded or unbounded FIFO of envelopes, with the actor's scheduled bit."""

from __future__ import annotations

import enum
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from impls.actor.runtime.ref import ActorRef

Overflow = Literal["block", "drop"]

Envelope = tuple[object, "ActorRef | None"]
"""A message and its sender (None from outside any actor). A plain tuple: one is built per
message, and a tuple costs a third of a dataclass instance to build."""


@dataclass(frozen=True, slots=True)
class MailboxConfig:
    """How big an actor's mailbox is and what a full one does.

    capacity: messages it holds; None for unbounded.
    overflow: "block" - the sender waits for room; "drop" - the message goes to dead letters.
    """

    capacity: int | None = None
    overflow: Overflow = "block"


class Delivery(enum.Enum):
    """What `Mailbox.put` did with a message."""

    QUEUED = "queued"  # behind others; the actor is already scheduled
    SCHEDULE = "schedule"  # the caller must hand the actor to the dispatcher
    REFUSED = "refused"  # the actor has stopped, or the mailbox was full under "drop"


class Mailbox:
    """FIFO of envelopes. Thread-safe; `take` and `end_turn` only on the actor's own turn."""

    __slots__ = (
        "_queue",
        "_lock",
        "_room",
        "_capacity",
        "_overflow",
        "_scheduled",
        "_closed",
        "_may_block",
        "blocked",
    )

    def __init__(self, config: MailboxConfig, may_block: Callable[[], bool] = bool) -> None:
        """`may_block()` says whether the calling thread may wait for room; it is False on a
        dispatcher thread: waiting there could wait for the very thread that has to make room
        (with one dispatcher thread, a certain deadlock; Akka bounds the wait with a push
        timeout instead), so the message goes in over capacity. Asked only when full."""
        self._queue: deque[Envelope] = deque()
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # signalled when `take` frees space
        self._capacity = config.capacity
        self._overflow = config.overflow
        self._scheduled = False
        self._closed = False
        self._may_block = may_block
        self.blocked = 0
        """Senders waiting for room right now (read by tests and metrics)."""

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, envelope: Envelope, *, system: bool = False) -> Delivery:
        """Append `envelope`; `system`: a runtime message (start, stop), never refused for lack
        of room."""
        with self._lock:
            if self._closed:
                return Delivery.REFUSED
            capacity = self._capacity
            if capacity is not None and not system and len(self._queue) >= capacity:
                if self._overflow == "drop":
                    return Delivery.REFUSED
                if self._may_block() and not self._wait_for_room(capacity):
                    return Delivery.REFUSED
            self._queue.append(envelope)
            if self._scheduled:
                return Delivery.QUEUED
            self._scheduled = True
            return Delivery.SCHEDULE

    def _wait_for_room(self, capacity: int) -> bool:
        """With the lock held: wait until there is room (True) or the mailbox closed (False)."""
        self.blocked += 1
        try:
            while len(self._queue) >= capacity and not self._closed:
                self._room.wait()
        finally:
            self.blocked -= 1
        return not self._closed

    def take(self, limit: int) -> list[Envelope]:
        """Remove and return up to `limit` envelopes, oldest first (one lock for the batch)."""
        with self._lock:
            queue = self._queue
            if len(queue) <= limit:
                batch = list(queue)
                queue.clear()
            else:
                batch = [queue.popleft() for _ in range(limit)]
            if self.blocked:
                self._room.notify(len(batch))
            return batch

    def end_turn(self) -> bool:
        """After a turn: True if messages wait (the actor stays scheduled and goes back to the
        dispatcher), False if the actor is now idle (the next `put` schedules it)."""
        with self._lock:
            if self._queue and not self._closed:
                return True
            self._scheduled = False
            return False

    def close(self) -> list[Envelope]:
        """Refuse everything from now on; return what was still queued (for dead letters)."""
        with self._lock:
            self._closed = True
            left = list(self._queue)
            self._queue.clear()
            self._room.notify_all()
            return left
