# The kinds of event the explicit-dispatch loop handles: the whole vocabulary of the server.
#
# Rules of this file: every event is a frozen dataclass, and every source of work - a socket, a
# timer, a worker finishing, a signal - becomes one of these before the loop sees it, so that one
# `match` in `loop.py` is the complete list of what can happen (Rust's mio: a token per
# source, an `Event` per readiness). `Accept` and `Wakeup` double as the selector tokens of the
# listening socket and the wake-up socket; a connection's token is its `Conn`.
"""Event kinds of the explicit-dispatch loop."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from impls.eventloop.dispatch.conn import Conn
from impls.protocol import Response


@dataclass(frozen=True, slots=True)
class Accept:
    """The listening socket has connections waiting."""


@dataclass(frozen=True, slots=True)
class Wakeup:
    """The wake-up socket is readable: something outside the loop posted events."""


@dataclass(frozen=True, slots=True)
class Readable:
    """`conn`'s socket has bytes (or EOF, or an error) to read."""

    conn: Conn


@dataclass(frozen=True, slots=True)
class Writable:
    """`conn`'s socket has room for more output."""

    conn: Conn


@dataclass(frozen=True, slots=True)
class WorkDone:
    """An offloaded `/work` for `conn` has finished (posted by the pool through the wake-up)."""

    conn: Conn
    future: Future[int]


@dataclass(frozen=True, slots=True)
class Signalled:
    """SIGINT or SIGTERM arrived (posted by the signal handler through the wake-up)."""

    signum: int


@dataclass(frozen=True, slots=True)
class DelayElapsed:
    """Timer: a `/delay` on `conn` is over; answer `response`."""

    conn: Conn
    response: Response


@dataclass(frozen=True, slots=True)
class ConnectionTimeout:
    """Timer: the protocol timer `token` of `conn` ran out (header, body or keep-alive)."""

    conn: Conn
    token: int


@dataclass(frozen=True, slots=True)
class LingerOver:
    """Timer: `conn` has drained input long enough after its final answer; close it."""

    conn: Conn


@dataclass(frozen=True, slots=True)
class LagProbe:
    """Timer: the loop-lag probe, due at `due`; how late it runs is the loop's lag."""

    due: float


@dataclass(frozen=True, slots=True)
class GraceOver:
    """Timer: the shutdown grace period has ended; stop even if work is still in flight."""


ACCEPT = Accept()
WAKEUP = Wakeup()

Event = (
    Accept
    | Wakeup
    | Readable
    | Writable
    | WorkDone
    | Signalled
    | DelayElapsed
    | ConnectionTimeout
    | LingerOver
    | LagProbe
    | GraceOver
)
Posted = WorkDone | Signalled
"""Events that arrive from other threads or from a signal handler, through the `Waker`."""
OnConnection = Readable | Writable | WorkDone | DelayElapsed | ConnectionTimeout | LingerOver
"""Events about one connection: a failure while handling one is confined to that connection."""
