# How the protocol tests feed a connection, and what they compare.
#
# Rules of this file: as h11's test_io does, every case is fed three ways - whole, byte by byte,
# and whole with a further request appended ("trailing bytes") - and must give the same events.
# "Whole" means as an impl receives it: `receive_size` bytes per call (one call for every case
# below that size). Events are compared as `Req`/`Err` views: a request's fields, an error's
# status (its reason text is each backend's own). What the connection hands back to be sent can
# be recorded too, as the statuses an impl would put on the wire in order ("wire"), so that an
# interim 100 Continue is compared as well as the events.
"""Drive an `HttpConnection` with raw bytes and collect what it reports, as comparable views."""

from __future__ import annotations

from dataclasses import dataclass, replace

from impls.config import Parser, ServerConfig
from impls.protocol import (
    Headers,
    HttpConnection,
    HttpEvent,
    RequestError,
    Response,
    ResponseEncoder,
)
from impls.protocol._encode import CONTINUE
from impls.protocol.routes import error_response

PARSERS: tuple[Parser, ...] = ("httptools", "h11")
MODES = ("whole", "bytewise", "trailing")

TRAILING = b"GET /trailing HTTP/1.1\r\nHost: t\r\n\r\n"
"""The request appended in "trailing" mode: parsed only if the case left the connection open."""


@dataclass(frozen=True)
class Req:
    """An expected request. Fields left None are not compared."""

    method: str
    target: str
    body: bytes = b""
    keep_alive: bool = True
    version: str = "1.1"
    headers: Headers | None = None
    path: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class Err:
    """An expected request error: only its status is compared."""

    status: int


Expected = Req | Err


def view(event: HttpEvent, like: Expected | None = None) -> Expected:
    """`event` as a comparable view, leaving out what `like` does not check."""
    if isinstance(event, RequestError):
        return Err(event.status)
    full = Req(
        event.method,
        event.target,
        event.body,
        event.keep_alive,
        event.http_version,
        event.headers,
        event.path,
        event.query,
    )
    if not isinstance(like, Req):
        return full
    return replace(
        full,
        headers=None if like.headers is None else full.headers,
        path=None if like.path is None else full.path,
        query=None if like.query is None else full.query,
    )


def views(events: list[HttpEvent], expected: list[Expected]) -> list[Expected]:
    """Views of `events`, each shaped like the expected event at the same position."""
    return [view(e, expected[i] if i < len(expected) else None) for i, e in enumerate(events)]


def answer(event: HttpEvent) -> Response:
    """A minimal answer: 200 for a request, the contract's error answer for an error."""
    if isinstance(event, RequestError):
        return error_response(event)
    return Response(200, body=b"ok")


def statuses(data: bytes) -> list[int]:
    """The statuses in `data`, one `receive_data` or `send` result, in wire order: the response
    it answers with (if any), then 100 if an interim 100 Continue follows."""
    found = [] if not data or data == CONTINUE else [int(data[9:12])]
    if data.endswith(CONTINUE):
        found.append(100)
    return found


def serve(conn: HttpConnection, wire: list[int] | None = None) -> list[HttpEvent]:
    """Every event the connection has ready, each answered as soon as it is handed out
    (and the statuses sent, in order, appended to `wire`)."""
    out = []
    while (event := conn.next_event()) is not None:
        out.append(event)
        sent = conn.send(answer(event))
        if wire is not None:
            wire += statuses(sent)
    return out


def pieces(raw: bytes, mode: str, receive_size: int) -> list[bytes]:
    """`raw` cut as `mode` feeds it ("trailing" cuts like "whole"; the caller appends)."""
    if mode == "bytewise":
        return [raw[i : i + 1] for i in range(len(raw))]
    return [raw[i : i + receive_size] for i in range(0, len(raw), receive_size)]


def feed(
    config: ServerConfig,
    chunks: list[bytes],
    *,
    eof: bool = True,
    wire: list[int] | None = None,
) -> list[HttpEvent]:
    """All events of a fresh connection fed `chunks` (then EOF), answering each in turn, as an
    impl does; `wire`, if given, gets the statuses of everything sent, in order."""
    conn = HttpConnection(config, ResponseEncoder(config.server_name))
    events = []
    for chunk in [*chunks, b""] if eof else chunks:  # b"": EOF
        interim = conn.receive_data(chunk)
        if wire is not None:
            wire += statuses(interim)
        events += serve(conn, wire)
    return events


def run(raw: bytes, config: ServerConfig, mode: str) -> list[HttpEvent]:
    """The events of `raw` fed in `mode`."""
    if mode == "trailing":
        raw += TRAILING
    return feed(config, pieces(raw, mode, config.receive_size))


def with_trailing(expected: list[Expected]) -> list[Expected]:
    """What a case gives with `TRAILING` appended: one more request if it left the door open."""
    last = expected[-1] if expected else None
    if isinstance(last, Req) and last.keep_alive:
        return [*expected, Req("GET", "/trailing")]
    return expected
