# The messages between the connection actors and the two I/O threads - Akka IO's vocabulary.
#
# Rules of this file: every message is a frozen dataclass (or a singleton of an empty one), so it
# can cross threads without copies or locks. Parsed protocol input reaches actors as the shared
# layer's own typed events (`Request`, `RequestError`, `EchoData`); nothing here carries a parser
# or a socket except the `Link` that names the connection.
"""I/O messages: commands to the receiving/sending threads, and events they tell actors."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from impls.actor.link import Link
    from impls.actor.runtime import ActorRef

# --- to the receiving thread (from actors, and CloseSocket from the sending thread) ------------


@dataclass(frozen=True, slots=True)
class Register:
    """Start reading this new connection and telling its actor what arrives."""

    link: Link


@dataclass(frozen=True, slots=True)
class SuspendReading:
    """Stop reading: the connection's unacknowledged output is above the high watermark, or
    more parsed requests wait for its actor than the pipeline's bound."""

    link: Link


@dataclass(frozen=True, slots=True)
class ResumeReading:
    """Read again: the output is below the low watermark and the pipeline has drained."""

    link: Link


@dataclass(frozen=True, slots=True)
class CloseSocket:
    """The sending thread is done with this socket: forget it and close it."""

    link: Link


@dataclass(frozen=True, slots=True)
class Unbind:
    """Stop accepting: close the listening socket."""


# --- to the sending thread (from actors) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Write:
    """Send `data` in full (in order with the connection's other writes), then tell `ack` to
    `reply_to` (Akka IO's `Write(data, ack)`); None: no acknowledgement wanted."""

    link: Link
    data: bytes
    ack: object
    reply_to: ActorRef


@dataclass(frozen=True, slots=True)
class ShutdownOutput:
    """After the writes before it: half-close (send FIN), then tell `ack` to `reply_to`."""

    link: Link
    ack: object
    reply_to: ActorRef


@dataclass(frozen=True, slots=True)
class Close:
    """Drop unsent output and hand the socket to the receiving thread to close."""

    link: Link


# --- to actors ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connected:
    """To the Listener: a connection was accepted."""

    sock: socket.socket


@dataclass(frozen=True, slots=True)
class PartialInput:
    """Bytes arrived that completed no request, and the connection's timeout changed (a head
    became a body, an idle connection started a request): re-arm. If the request being read
    waits for an interim answer (a `100 Continue`), `interim` holds it: write it first."""

    interim: bytes = b""


@dataclass(frozen=True, slots=True)
class PeerClosed:
    """The peer sent EOF (a half-close): no more input."""


@dataclass(frozen=True, slots=True)
class ErrorClosed:
    """The socket failed (reset, broken pipe): the connection is over."""

    reason: str


@dataclass(frozen=True, slots=True)
class Ack:
    """The acknowledgement a connection asks for with each `Write`: `size` bytes are out."""

    size: int


@dataclass(frozen=True, slots=True)
class OutputShut:
    """The acknowledgement of `ShutdownOutput`."""


PARTIAL_INPUT = PartialInput()
PEER_CLOSED = PeerClosed()
OUTPUT_SHUT = OutputShut()
UNBIND = Unbind()
