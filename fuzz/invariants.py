# What must hold for any byte stream fed to the shared protocol layer: the one home of the fuzz
# checks, run by the atheris targets and replayed by tests/protocol/test_fuzz_regressions.py.
#
# Rules of this file: a check drives a connection as an impl does (tests/protocol/_drive.py:
# feed a receive, take every ready event, answer it at once) and raises `InvariantError` when a rule
# breaks; anything else the layer raises propagates unchanged, so its traceback points into the
# layer. One input is one `FuzzInput`, decoded from raw bytes (the format the corpus files and
# the fuzzer's mutations share). Nothing here is random: the same bytes give the same run.
"""Invariant checks over `HttpConnection` (both backends) and `EchoConnection`."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from impls.config import Parser, ServerConfig
from impls.protocol import (
    EchoConnection,
    EchoData,
    HttpConnection,
    HttpEvent,
    Phase,
    ProtocolError,
    Request,
    RequestError,
    Response,
    ResponseEncoder,
)
from impls.protocol._parsers import H11Backend, HttptoolsBackend
from impls.protocol._rules import KNOWN_METHODS, head_size
from impls.protocol.routes import error_response

PARSERS: tuple[Parser, ...] = ("httptools", "h11")

# Two sets of limits, chosen by a flag: small ones put every limit within a few hundred bytes of
# mutation (the fuzzer reaches 413 and 431 quickly); those of tests/protocol/cases.py keep the
# seed cases meaning what they were written to mean.
SMALL = ServerConfig(max_header_bytes=128, max_body_bytes=64, receive_size=64)
LARGE = ServerConfig(max_header_bytes=512, max_body_bytes=256, receive_size=1024)

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
"""The interim answer to `Expect: 100-continue`, as it must appear on the wire."""

# --- the input format -----------------------------------------------------------------------
# byte 0: flags; then 2 bytes (big-endian) per cut point; the rest is the payload.
_CUTS_MASK = 0b0000_0111  # number of cut points, 0-7
LARGE_LIMITS = 0b0000_1000  # LARGE rather than SMALL
NO_EOF = 0b0001_0000  # input ends without the peer's EOF (b"")
CLOSE = 0b0010_0000  # HTTP: every answer says close; echo: drain only once, at the end
EXPIRE = 0b0100_0000  # the connection's timer fires after the first receive
_CUT_BYTES = 2


@dataclass(frozen=True, slots=True)
class FuzzInput:
    """One fuzz input: a payload, where it is cut into receives, and how the run goes."""

    payload: bytes
    cuts: tuple[int, ...] = ()
    flags: int = 0

    @classmethod
    def decode(cls, data: bytes) -> FuzzInput:
        """Read the format above; any bytes decode (a short header reads as zeros)."""
        flags = data[0] if data else 0
        count = flags & _CUTS_MASK
        header = 1 + _CUT_BYTES * count
        raw_cuts = data[1:header].ljust(_CUT_BYTES * count, b"\0")
        cuts = tuple(
            int.from_bytes(raw_cuts[i : i + _CUT_BYTES], "big")
            for i in range(0, len(raw_cuts), _CUT_BYTES)
        )
        return cls(data[header:], cuts, flags & ~_CUTS_MASK)

    def encode(self) -> bytes:
        """The bytes that decode to this input (at most 7 cuts, each below 65536)."""
        flags = (self.flags & ~_CUTS_MASK) | len(self.cuts)
        cuts = b"".join(c.to_bytes(_CUT_BYTES, "big") for c in self.cuts)
        return bytes([flags]) + cuts + self.payload

    @property
    def config(self) -> ServerConfig:
        return LARGE if self.flags & LARGE_LIMITS else SMALL

    def receives(self, receive_size: int) -> list[bytes]:
        """The payload cut at `cuts`, each piece then at most `receive_size` bytes, as an impl's
        recv() hands them over; never b"", which would mean EOF."""
        n = len(self.payload)
        edges = sorted({0, n, *(c % (n + 1) for c in self.cuts)})
        out = []
        for start, end in itertools.pairwise(edges):
            out += [
                self.payload[i : min(i + receive_size, end)]
                for i in range(start, end, receive_size)
            ]
        return out


class InvariantError(AssertionError):
    """An invariant of the protocol layer does not hold for a fuzz input."""


_T = TypeVar("_T")


def _call(what: str, step: Callable[[], _T]) -> _T:
    """Run one call into the layer. Every rule a request breaks must come out as a
    `RequestError` event (impls/protocol/_parsers.py), so a `ProtocolError` escaping is a
    violation too; any other exception propagates as it is."""
    try:
        return step()
    except ProtocolError as exc:
        raise InvariantError(f"{what} raised ProtocolError({exc.status}, {exc.reason!r})") from exc


# --- HTTP -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Continue:
    """A `100 Continue` the connection sent, during the handling of receive number `receive`."""

    receive: int


Step = HttpEvent | Continue


@dataclass
class HttpRun:
    """What one backend did with one input."""

    parser: Parser
    timeline: list[Step] = field(default_factory=list)
    """Events and interim answers, in the order the connection produced them."""
    final: bool = False
    """An error or a closing answer was sent: nothing may follow."""
    unfinished: bool = False
    """A request had begun and was not complete when the input stopped (end or timeout)."""

    @property
    def events(self) -> list[HttpEvent]:
        return [s for s in self.timeline if not isinstance(s, Continue)]


def held_bytes(conn: HttpConnection) -> int:
    """Request bytes the connection's parser holds in Python objects.

    A white-box probe: the layer exposes no figure of what it buffers, so this reads the
    backends' private fields. llhttp's and h11's own buffers beyond these are not counted.
    """
    parser = conn._parser
    if isinstance(parser, HttptoolsBackend):
        return (
            len(parser._url)
            + sum(len(n) + len(v) for n, v in parser._headers)
            + sum(map(len, parser._body))
        )
    assert isinstance(parser, H11Backend)
    framing = parser._framing
    return (
        len(framing._line)
        + sum(len(n) + len(v) for n, v in framing._fields)
        + len(parser._conn._receive_buffer)
        + sum(map(len, parser._body))
    )


def held_limit(config: ServerConfig) -> int:
    """What a connection may hold at most: a body, a head's fields, and one raw head cap
    (`max_header_bytes + receive_size`, impls/protocol/_parsers.py) each for the line being
    read and for what h11 has not consumed yet."""
    raw_head_cap = config.max_header_bytes + config.receive_size
    return config.max_body_bytes + config.max_header_bytes + 2 * raw_head_cap


def _split_answer(data: bytes, head_only: bool, who: str) -> tuple[bytes, bytes, bytes]:
    """(head, content, what follows) of an answer's bytes, by its Content-Length."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        raise InvariantError(f"{who}: an answer without the end of its head: {data[:200]!r}")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    if head_only:
        length = 0
    return head, rest[:length], rest[length:]


def _check_closing_answer(conn: HttpConnection, head: bytes, who: str, status: int) -> None:
    if not head.startswith(b"HTTP/1.1 %d " % status):
        raise InvariantError(f"{who}: {status} answered as {head[:40]!r}")
    if b"\r\nconnection: close" not in head:
        raise InvariantError(f"{who}: the {status} answer keeps the connection: {head!r}")
    if not conn.done or conn.phase() is not Phase.CLOSING:
        raise InvariantError(f"{who}: {conn.phase()} (done={conn.done}) after a {status} answer")
    if conn.timer() is not None:
        raise InvariantError(f"{who}: a timer runs on a closing connection")
    if conn.next_event() is not None or conn.pending:
        raise InvariantError(f"{who}: an event is ready after a {status} answer")


def _check_request(request: Request, config: ServerConfig, who: str) -> None:
    """A request is one the rules accept: within the limits, its fields as documented."""
    if request.method not in KNOWN_METHODS:
        raise InvariantError(f"{who}: unknown method {request.method!r}")
    if request.http_version not in ("1.0", "1.1"):
        raise InvariantError(f"{who}: version {request.http_version!r} accepted")
    if len(request.body) > config.max_body_bytes:
        raise InvariantError(f"{who}: a body of {len(request.body)} bytes, over max_body_bytes")
    size = head_size(request.method, request.target, request.headers)
    if size > config.max_header_bytes:
        raise InvariantError(f"{who}: a head of {size} bytes, over max_header_bytes")
    target = request.target
    if not target or not target.isascii():
        raise InvariantError(f"{who}: target {target!r}")
    if not request.path.startswith("/"):
        raise InvariantError(f"{who}: path {request.path!r} of {target!r}")
    if target.startswith("/"):
        query = "?" + request.query if "?" in target else ""
        if request.path + query != target:
            raise InvariantError(
                f"{who}: path {request.path!r}, query {request.query!r} of {target!r}"
            )
    for name, value in request.headers:
        if not name or name != name.lower():
            raise InvariantError(f"{who}: field name {name!r}")
        if value != value.strip(b" \t"):
            raise InvariantError(f"{who}: field value not trimmed: {value!r}")
        if not all(c == 9 or 32 <= c != 127 for c in value):
            raise InvariantError(f"{who}: a control byte in field value {value!r}")


def _waited_for_continue(request: Request) -> bool:
    """Whether `request` may have been sent a `100 Continue`: HTTP/1.1, `Expect: 100-continue`
    and a body announced (the rules of docs/service-spec.md, "Expect: 100-continue")."""
    expects = any(
        name == b"expect" and b"100-continue" in value.lower() for name, value in request.headers
    )
    announced = any(
        (name == b"content-length" and value.strip(b"0") != b"") or name == b"transfer-encoding"
        for name, value in request.headers
    )
    return expects and announced and request.http_version == "1.1"


def _record(run: HttpRun, step: Step) -> None:
    """Add `step` to the run, checking that it may follow what came before."""
    who = run.parser
    if run.final:
        raise InvariantError(f"{who}: {step!r} after the final event {run.events[-1]!r}")
    previous = run.timeline[-1] if run.timeline else None
    if isinstance(step, Continue):
        if isinstance(previous, Continue):
            raise InvariantError(f"{who}: two 100 Continue for one request")
    elif (
        isinstance(previous, Continue)
        and isinstance(step, Request)
        and not _waited_for_continue(step)
    ):
        raise InvariantError(f"{who}: a 100 Continue for a request without one: {step!r}")
    run.timeline.append(step)


def _interim(run: HttpRun, data: bytes, receive: int, what: str) -> None:
    if data == CONTINUE:
        _record(run, Continue(receive))
    elif data:
        raise InvariantError(f"{run.parser}: {what} sent {data[:80]!r}")


def _serve(conn: HttpConnection, run: HttpRun, fuzz: FuzzInput, receive: int) -> None:
    """Take and answer every ready event, checking each answer and what follows it."""
    config = fuzz.config
    who = run.parser
    close = bool(fuzz.flags & CLOSE)
    while (event := _call("next_event", conn.next_event)) is not None:
        _record(run, event)
        if isinstance(event, RequestError):
            if not 400 <= event.status <= 599:
                raise InvariantError(f"{who}: error status {event.status} ({event.reason})")
            data = _call("send", partial(conn.send, error_response(event)))
            run.final = True
            head, _content, tail = _split_answer(data, False, who)
            if tail:
                raise InvariantError(f"{who}: {tail[:80]!r} after a {event.status} answer")
            _check_closing_answer(conn, head, who, event.status)
            continue
        if not isinstance(event, Request):
            raise InvariantError(f"{who}: not an HTTP event: {event!r}")
        _check_request(event, config, who)
        data = _call("send", partial(conn.send, Response(200, body=b"ok", close=close)))
        head, content, tail = _split_answer(data, event.method == "HEAD", who)
        if content != (b"" if event.method == "HEAD" else b"ok"):
            raise InvariantError(f"{who}: the answer to {event.method} has content {content!r}")
        if close or not event.keep_alive:
            run.final = True
            if tail:
                raise InvariantError(f"{who}: {tail[:80]!r} after a closing answer")
            _check_closing_answer(conn, head, who, 200)
        elif not head.startswith(b"HTTP/1.1 200 ") or b"\r\nconnection: close" in head:
            raise InvariantError(f"{who}: a keep-alive answer reads {head!r}")
        else:
            _interim(run, tail, receive, "an answer's tail")


def run_http(fuzz: FuzzInput, parser: Parser) -> HttpRun:
    """Feed `fuzz` to a fresh connection with `parser`, checking every step; what it did."""
    config = fuzz.config.replace(parser=parser)
    conn = HttpConnection(config, ResponseEncoder("fuzz"))
    run = HttpRun(parser)
    who = parser
    limit = held_limit(config)
    stopped = False  # a timeout closed the connection: no more input is read
    receives = fuzz.receives(config.receive_size)
    for i, data in enumerate(receives):
        _interim(run, _call("receive_data", partial(conn.receive_data, data)), i, "a receive")
        _serve(conn, run, fuzz, i)
        if conn.pending:
            raise InvariantError(f"{who}: {conn.pending} events left after serving")
        if not conn.done and (held := held_bytes(conn)) > limit:
            raise InvariantError(f"{who}: holds {held} bytes, more than {limit}")
        if i == 0 and fuzz.flags & EXPIRE:
            run.unfinished = conn._parser.mid_message
            stopped = _expire(conn, who)
    if not stopped:
        run.unfinished = conn._parser.mid_message and not conn.done
    if not fuzz.flags & NO_EOF:
        eof = len(receives)
        _interim(run, _call("receive_data", partial(conn.receive_data, b"")), eof, "EOF")
        _serve(conn, run, fuzz, eof)
        if not conn.done or conn.phase() is not Phase.CLOSING or conn.timer() is not None:
            raise InvariantError(f"{who}: {conn.phase()} (done={conn.done}) after EOF")
    return run


def _expire(conn: HttpConnection, who: str) -> bool:
    """Fire the connection's timer, as an impl does when it runs out; True if it closed."""
    timer = _call("timer", conn.timer)
    if timer is None:
        if conn.phase() not in (Phase.BUSY, Phase.CLOSING):
            raise InvariantError(f"{who}: no timer in phase {conn.phase()}")
        return False
    if _call("expire", partial(conn.expire, timer.token + 1)) is not None:
        raise InvariantError(f"{who}: a stale timer token fired")
    phase = conn.phase()
    data = _call("expire", partial(conn.expire, timer.token))
    if data is None:
        raise InvariantError(f"{who}: the current timer {timer} was taken for stale")
    if phase is Phase.IDLE:
        if data:
            raise InvariantError(f"{who}: an idle timeout sent {data[:40]!r}")
        if not conn.done:
            raise InvariantError(f"{who}: open after its idle timeout")
    else:
        head, _content, tail = _split_answer(data, False, who)
        if tail:
            raise InvariantError(f"{who}: {tail[:80]!r} after a 408 answer")
        _check_closing_answer(conn, head, who, 408)
    if conn.expire(timer.token) is not None:
        raise InvariantError(f"{who}: a timer fired twice")
    return True


def _request_view(r: Request) -> tuple[object, ...]:
    return (r.method, r.target, r.headers, r.body, r.http_version, r.keep_alive, r.path, r.query)


def _same(a: Step, b: Step) -> bool:
    if isinstance(a, Request) and isinstance(b, Request):
        return _request_view(a) == _request_view(b)
    if isinstance(a, RequestError) and isinstance(b, RequestError):
        return True  # which error: see check_differential
    return a == b  # two Continue, in the same receive


def check_differential(runs: list[HttpRun]) -> None:
    """The backends accept and reject alike, accepted requests are identical, and each sends
    its `100 Continue` in the same receive.

    Which error ends a stream is not compared: with two or more defects the backends may
    report different ones first (docs/service-spec.md). Nor is an error one backend reports
    while the other is still inside that request when the input stops: llhttp refuses a bad
    byte as it arrives, `StrictFraming` when its line ends, so only a complete input must agree;
    the backend that reads on may send that request a 100 Continue meanwhile (`_comparable`).
    """
    first, *others = runs
    for other in others:
        pair = f"{first.parser}/{other.parser}"
        a, b = _comparable(first, other), _comparable(other, first)
        for i, (sa, sb) in enumerate(zip(a, b, strict=False)):
            if _same(sa, sb):
                continue
            if isinstance(sa, Request) and isinstance(sb, Request):
                raise InvariantError(
                    f"{pair}: step {i}: the requests differ: {sa!r} against {sb!r}"
                )
            raise InvariantError(f"{pair}: step {i} is {sa!r} against {sb!r}")
        if len(a) != len(b):
            longer, shorter = (first, other) if len(a) > len(b) else (other, first)
            extra = (a if longer is first else b)[min(len(a), len(b)) :]
            if not (len(extra) == 1 and isinstance(extra[0], RequestError) and shorter.unfinished):
                raise InvariantError(f"{pair}: only {longer.parser} reports {extra!r}")


def _comparable(run: HttpRun, other: HttpRun) -> list[Step]:
    """`run`'s timeline less a 100 Continue it sent for the request `other` refused, if `run`
    then refused that request too or was still reading it when the input stopped: llhttp
    refuses a bad byte in the body as it arrives, `StrictFraming` waits for the end of its line
    and may send the 100 Continue meanwhile."""
    steps = run.timeline
    refused = len(other.timeline) - 1
    if not other.timeline or not isinstance(other.timeline[-1], RequestError):
        return steps
    if refused < len(steps) and isinstance(steps[refused], Continue):
        rest = steps[refused + 1 :]
        if (not rest and run.unfinished) or (len(rest) == 1 and isinstance(rest[0], RequestError)):
            return steps[:refused] + rest
    return steps


def check_http(data: bytes, parsers: tuple[Parser, ...] = PARSERS) -> list[HttpRun]:
    """Every HTTP invariant for one fuzz input: each backend's, then their agreement."""
    fuzz = FuzzInput.decode(data)
    runs = [run_http(fuzz, parser) for parser in parsers]
    check_differential(runs)
    return runs


# --- echo -------------------------------------------------------------------------------------


def check_echo(data: bytes) -> bytes:
    """Every echo invariant for one fuzz input; the bytes echoed.

    Whatever is received comes back byte for byte and in order; the connection holds exactly
    what was received since the last drain and nothing once drained; the idle timer restarts
    on every receive, and firing closes the connection quietly.
    """
    fuzz = FuzzInput.decode(data)
    config = fuzz.config.replace(protocol="echo")
    conn = EchoConnection(config)
    echoed: list[bytes] = []
    undrained: list[bytes] = []  # received, not yet echoed

    def drain() -> None:
        event = conn.next_event()
        if not undrained:
            if event is not None:
                raise InvariantError(f"echo: {event!r} with nothing to echo")
            return
        if not isinstance(event, EchoData) or event.data != b"".join(undrained):
            raise InvariantError(f"echo: {event!r} is not the {len(undrained)} receives in order")
        out = conn.send(event)
        if out != event.data:
            raise InvariantError("echo: send changed the data")
        echoed.append(out)
        undrained.clear()
        if conn.pending or conn.next_event() is not None:
            raise InvariantError("echo: holds data once drained")

    timer = conn.timer()
    closed = False  # by the idle timeout
    for i, chunk in enumerate(fuzz.receives(config.receive_size)):
        if conn.receive_data(chunk):
            raise InvariantError("echo: a receive sent something of its own")
        if not closed:
            undrained.append(chunk)
            new = conn.timer()
            if new is None or new == timer:
                raise InvariantError(f"echo: a receive left the timer at {new}")
            timer = new
        if conn.pending != len(undrained):
            raise InvariantError(f"echo: {conn.pending} chunks pending, {len(undrained)} received")
        if not fuzz.flags & CLOSE:
            drain()
        if i == 0 and fuzz.flags & EXPIRE and timer is not None:
            if conn.expire(timer.token) != b"":
                raise InvariantError("echo: an idle timeout sent data")
            closed = True
            undrained.clear()
            if not conn.done or conn.timer() is not None:
                raise InvariantError("echo: open after its idle timeout")
    drain()
    if not fuzz.flags & NO_EOF:
        conn.receive_data(b"")
        drain()
    if closed or not fuzz.flags & NO_EOF:
        if not conn.done or conn.phase() is not Phase.CLOSING or conn.timer() is not None:
            raise InvariantError(f"echo: {conn.phase()} (done={conn.done}) after EOF or timeout")
    elif conn.done or conn.phase() is not Phase.IDLE:
        raise InvariantError(f"echo: {conn.phase()} (done={conn.done}) without EOF")
    out = b"".join(echoed)
    if out != fuzz.payload and (not closed or not fuzz.payload.startswith(out)):
        raise InvariantError("echo: what came back is not what was sent")
    return out
