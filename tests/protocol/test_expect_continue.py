# `Expect: 100-continue` (RFC 9110 section 10.1.1), decided once in the shared layer for every
# impl and both parser backends (docs/service-spec.md, "Expect: 100-continue").
#
# Rules of this file: one table of raw heads and bodies says, for each, the events and whether a
# client that waits gets an interim 100 Continue. Every case runs through both backends, fed
# whole (head and body in one receive: no 100, the body is already here), byte by byte (the 100
# comes with the head's last byte, once), head then body (a client that waits), and whole with a
# further request appended. What the connection hands back to be sent is recorded as statuses in
# wire order, so a test sees the 100 exactly where an impl would write it. The tests after the
# table pin the ordering rule: the 100 never overtakes the answer to an earlier request.
"""Expect: 100-continue through HttpConnection, both backends: the table, then pipelining."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from impls.config import ServerConfig
from impls.protocol import (
    EchoConnection,
    HttpConnection,
    Phase,
    Request,
    RequestError,
    Response,
    ResponseEncoder,
)
from impls.protocol._encode import CONTINUE
from impls.protocol.routes import error_response
from tests.protocol._drive import (
    TRAILING,
    Err,
    Expected,
    Req,
    serve,
    statuses,
    views,
    with_trailing,
)
from tests.protocol.cases import AT_BODY_LIMIT, CONFIG, PING

EXPECTING = b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
"""The head of a request whose client waits for 100 Continue before it sends `hello`."""


@dataclass(frozen=True)
class Case:
    """A head, the body a client sends after it, the events, and whether a 100 is due."""

    id: str
    head: bytes
    body: bytes = b""
    events: list[Expected] = field(default_factory=list)
    continues: bool = False  # a client waiting after `head` gets a 100 Continue


def _post(fields: bytes, version: bytes = b"1.1") -> bytes:
    host = b"Host: x\r\n" if version == b"1.1" else b""
    return b"POST /echo HTTP/" + version + b"\r\n" + host + fields + b"\r\n"


ECHOED = Req("POST", "/echo", b"hello")

CASES = [
    # --- a 100 for a client that waits -------------------------------------------------------
    Case("content-length", EXPECTING, b"hello", [ECHOED], continues=True),
    Case(
        "chunked",
        _post(b"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n"),
        b"5\r\nhello\r\n0\r\n\r\n",
        [ECHOED],
        continues=True,
    ),
    Case(
        "expectation-in-any-case",
        _post(b"Expect: 100-Continue\r\nContent-Length: 5\r\n"),
        b"hello",
        [ECHOED],
        continues=True,
    ),
    Case(
        "expect-field-repeated",
        _post(b"Expect: 100-continue\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"),
        b"hello",
        [ECHOED],
        continues=True,
    ),
    Case(
        "body-at-limit",
        _post(b"Expect: 100-continue\r\nContent-Length: %d\r\n" % len(AT_BODY_LIMIT)),
        AT_BODY_LIMIT,
        [Req("POST", "/echo", AT_BODY_LIMIT)],
        continues=True,
    ),
    # --- no 100: nothing to wait for -----------------------------------------------------------
    Case(
        "http10-expectation-ignored",
        _post(b"Expect: 100-continue\r\nContent-Length: 5\r\n", b"1.0"),
        b"hello",
        [Req("POST", "/echo", b"hello", keep_alive=False, version="1.0")],
    ),
    Case("no-body", b"GET /ping HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", b"", [PING]),
    Case(
        "zero-length-body",
        _post(b"Expect: 100-continue\r\nContent-Length: 0\r\n"),
        b"",
        [Req("POST", "/echo")],
    ),
    Case(
        "upgrade-body-unread",
        _post(
            b"Connection: upgrade\r\nUpgrade: websocket\r\n"
            b"Expect: 100-continue\r\nContent-Length: 5\r\n"
        ),
        b"hello",
        [Req("POST", "/echo", b"", keep_alive=False)],
    ),
    Case("empty-expect-field", _post(b"Expect:\r\nContent-Length: 5\r\n"), b"hello", [ECHOED]),
    Case("no-expect-field", _post(b"Content-Length: 5\r\n"), b"hello", [ECHOED]),
    # --- the final answer instead of a 100: the head alone decides it (the client sends no body)
    Case(
        "declared-body-too-large",
        _post(b"Expect: 100-continue\r\nContent-Length: %d\r\n" % (len(AT_BODY_LIMIT) + 1)),
        events=[Err(413)],
    ),
    Case(
        "unknown-expectation",
        _post(b"Expect: 200-ok\r\nContent-Length: 5\r\n"),
        events=[Err(417)],
    ),
    Case(
        "unknown-expectation-beside-100-continue",
        _post(b"Expect: 100-continue, x-other\r\nContent-Length: 5\r\n"),
        events=[Err(417)],
    ),
    Case(
        "expectation-with-parameters",
        _post(b"Expect: 100-continue;x=1\r\nContent-Length: 5\r\n"),
        events=[Err(417)],
    ),
    Case(
        "unknown-expectation-in-http10",
        _post(b"Expect: x-other\r\nContent-Length: 5\r\n", b"1.0"),
        events=[Err(417)],
    ),
    Case(
        "unknown-expectation-without-body",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nExpect: x-other\r\n\r\n",
        events=[Err(417)],
    ),
    Case(
        "too-large-beats-unknown-expectation",
        _post(b"Expect: x-other\r\nContent-Length: %d\r\n" % (len(AT_BODY_LIMIT) + 1)),
        events=[Err(413)],
    ),
    Case(
        "bad-framing-beats-unknown-expectation",
        _post(b"Expect: x-other\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
        events=[Err(400)],
    ),
]

MODES = ("whole", "bytewise", "head-then-body", "trailing")


def transcript(
    config: ServerConfig, chunks: list[bytes]
) -> tuple[list[Request | RequestError], list[tuple[int, int]]]:
    """The events of a fresh connection fed `chunks` then EOF, each answered at once as an impl
    answers it, and every status sent as (index of the chunk it came after, status)."""
    conn = HttpConnection(config, ResponseEncoder(config.server_name))
    events: list[Request | RequestError] = []
    wire: list[tuple[int, int]] = []
    for i, chunk in enumerate([*chunks, b""]):
        sent = statuses(conn.receive_data(chunk))
        answers: list[int] = []
        events += serve(conn, answers)
        wire += [(i, status) for status in sent + answers]
    return events, wire


def chunks_of(case: Case, mode: str) -> list[bytes]:
    raw = case.head + case.body
    if mode == "bytewise":
        return [raw[i : i + 1] for i in range(len(raw))]
    if mode == "head-then-body":
        return [case.head, case.body] if case.body else [case.head]
    return [raw + TRAILING] if mode == "trailing" else [raw]


def answered(events: list[Expected]) -> list[int]:
    """The statuses of the answers to `events` (200 for a request, as `_drive.answer`)."""
    return [e.status if isinstance(e, Err) else 200 for e in events]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, mode: str, parser: str) -> None:
    config = CONFIG.replace(parser=parser)
    expected = with_trailing(case.events) if mode == "trailing" else case.events
    events, wire = transcript(config, chunks_of(case, mode))
    assert views(events, expected) == expected
    waited = mode in ("bytewise", "head-then-body")  # the head arrived without its body
    interim = [100] if case.continues and waited else []
    assert [status for _, status in wire] == interim + answered(expected)
    if interim:
        # With the head's last byte, before any byte of the body: what the client waits for.
        head_end = len(case.head) - 1 if mode == "bytewise" else 0
        assert wire[0] == (head_end, 100)


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


def test_417_answer_closes(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(_post(b"Expect: x-other\r\nContent-Length: 5\r\n") + b"hello" + TRAILING)
    error = conn.next_event()
    assert isinstance(error, RequestError)
    data = conn.send(error_response(error))
    assert data.startswith(b"HTTP/1.1 417 Expectation Failed\r\n")
    assert b"\r\nconnection: close\r\n" in data
    assert conn.done


# --- ordering: the 100 belongs to the request being read, and goes out after earlier answers --

GET = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
OK = Response(200, body=b"ok")


def http(parser: str) -> HttpConnection:
    config = CONFIG.replace(parser=parser)
    return HttpConnection(config, ResponseEncoder(config.server_name))


def answer_next(conn: HttpConnection, reply: Response = OK) -> list[int]:
    """Take the next request, answer it; the statuses that answer carries, in wire order."""
    assert isinstance(conn.next_event(), Request)
    return statuses(conn.send(reply))


def test_100_right_after_the_head(parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(EXPECTING) == CONTINUE
    assert conn.next_event() is None
    assert conn.phase() is Phase.BODY  # waiting for the body: --body-timeout runs
    assert conn.receive_data(b"hello") == b""
    assert answer_next(conn) == [200]


def test_100_behind_an_earlier_answer_in_the_same_read(parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(GET + EXPECTING) == b""  # GET /a is not answered yet
    assert answer_next(conn) == [200, 100]
    conn.receive_data(b"hello")
    assert answer_next(conn) == [200]


def test_100_behind_the_request_being_served(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(GET)
    assert isinstance(conn.next_event(), Request)  # being served: a /delay, say
    assert conn.receive_data(EXPECTING) == b""
    assert statuses(conn.send(OK)) == [200, 100]


def test_100_behind_every_earlier_answer(parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(GET + GET + EXPECTING) == b""
    assert answer_next(conn) == [200]
    assert answer_next(conn) == [200, 100]


def test_no_100_once_the_body_came_anyway(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(GET + EXPECTING)
    assert conn.receive_data(b"hello") == b""  # the client's own timeout ran out first
    assert answer_next(conn) == [200]
    assert answer_next(conn) == [200]


def test_no_100_after_an_answer_that_closes(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(GET + EXPECTING)
    assert answer_next(conn, Response(200, body=b"ok", close=True)) == [200]
    assert conn.done


def test_no_100_behind_a_final_request(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(GET.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n") + EXPECTING)
    assert answer_next(conn) == [200]
    assert conn.done


def test_100_sent_once_per_request(parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(EXPECTING) == CONTINUE
    assert conn.receive_data(b"he") == b""
    assert conn.receive_data(b"llo") == b""
    assert answer_next(conn) == [200]
    assert conn.receive_data(EXPECTING) == CONTINUE  # the next request's own
    conn.receive_data(b"hello")
    assert answer_next(conn) == [200]


def test_each_request_gets_its_own_100_in_turn(parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(EXPECTING) == CONTINUE
    assert conn.receive_data(b"hello" + EXPECTING) == b""  # the first is not answered yet
    assert answer_next(conn) == [200, 100]
    conn.receive_data(b"hello")
    assert answer_next(conn) == [200]


def test_waiting_for_the_body_times_out_as_a_body_does(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(EXPECTING)
    timer = conn.timer()
    assert timer is not None
    assert timer.phase is Phase.BODY
    data = conn.expire(timer.token)
    assert data is not None
    assert statuses(data) == [408]


def test_eof_after_the_100_abandons_the_request(parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(EXPECTING) == CONTINUE
    assert conn.receive_data(b"") == b""
    assert conn.next_event() is None
    assert conn.done


# --- a bad byte of the body in the same read as the head: the refusal, and no 100 before it ----
# llhttp refuses the byte as it arrives; the h11 backend judges the start of a chunk-size line
# or trailer field that came with the head for the same reason (impls/protocol/_framing.py).

CHUNKED_EXPECTING = _post(b"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n")
BAD_BODY_STARTS = {
    "control-byte-in-trailer-value": b"0\r\nX-T: v\x05",
    "space-in-trailer-name": b"0\r\nX T",
    "content-length-in-trailers": b"0\r\nContent-Length:",
    "transfer-encoding-in-trailers": b"0\r\nTransfer-Encoding: c",
    "not-a-chunk-size": b"z",
    "space-after-semicolon": b"1; ",
    "control-byte-in-quoted-extension": b'1;e="\x01',
    "chunk-size-overflow": b"1" * 17,
    "bad-second-chunk-size": b"2\r\nab\r\nx",
    "bad-whole-line-but-its-lf": b"1;\r",
}
GOOD_BODY_STARTS = {
    "trailer-value": b"0\r\nX-T: v",
    "transfer-encoding-name-in-trailers": b"0\r\nTransfer-Encoding: ",
    "quoted-extension-escape": b'1;e="a\\',
    "largest-chunk-size": b"0" * 20 + b"f" * 16,
    "whole-line-but-its-lf": b"1;e=x\r",
}


@pytest.mark.parametrize("start", BAD_BODY_STARTS.values(), ids=BAD_BODY_STARTS.keys())
def test_no_100_for_a_bad_byte_that_came_with_the_head(start: bytes, parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(CHUNKED_EXPECTING + start) == b""
    error = conn.next_event()
    assert isinstance(error, RequestError)
    assert error.status == 400


@pytest.mark.parametrize("start", BAD_BODY_STARTS.values(), ids=BAD_BODY_STARTS.keys())
def test_no_100_for_a_bad_byte_behind_an_earlier_answer(start: bytes, parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(GET + CHUNKED_EXPECTING + start) == b""
    assert answer_next(conn) == [200]
    error = conn.next_event()
    assert isinstance(error, RequestError)
    assert error.status == 400


@pytest.mark.parametrize("start", GOOD_BODY_STARTS.values(), ids=GOOD_BODY_STARTS.keys())
def test_100_for_a_good_start_of_the_body(start: bytes, parser: str) -> None:
    conn = http(parser)
    assert conn.receive_data(CHUNKED_EXPECTING + start) == CONTINUE
    assert conn.next_event() is None


def test_echo_has_nothing_to_send_unasked() -> None:
    assert EchoConnection(ServerConfig(protocol="echo")).receive_data(EXPECTING) == b""
