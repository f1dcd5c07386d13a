# The "Requests that break the rules" table of docs/service-spec.md, at the default limits.
#
# Each case is raw bytes and the one status it must get; after the answer the server closes
# (half-close plus drain, so the client reads a FIN, not a reset). Raw request bytes as test
# constants, as uvicorn's and h11's suites do.
"""Conformance: 400, 413, 431, 501 and 505, each followed by a clean close."""

from __future__ import annotations

import pytest

from tests.conformance._client import ConnectFactory, chunked, request
from tests.conformance._contract import assert_answer, assert_error_then_close
from tests.conformance._matrix import per_variant
from tests.conformance._server import DEFAULTS, Server, Target

MAX_HEADER = DEFAULTS.max_header_bytes
MAX_BODY = DEFAULTS.max_body_bytes
RECEIVE_SIZE = DEFAULTS.receive_size

# Written without optional whitespace, a raw head is its canonical form, byte for byte.
_AT_LIMIT = "a" * (MAX_HEADER - len(request("GET", "/ping", headers=[("X-Pad", "")])))

CASES = [
    pytest.param(
        request("GET", "/ping", headers=[("X-Pad", "a" * MAX_HEADER)]), 431, id="head-too-large"
    ),
    pytest.param(
        request("GET", "/ping", headers=[("X-Pad", _AT_LIMIT + "a")]), 431, id="head-one-byte-over"
    ),
    pytest.param(
        request("GET", "/ping", headers=[(f"X-Pad-{i}", "a" * 100) for i in range(200)]),
        431,
        id="too-many-fields",
    ),
    pytest.param(
        # Optional whitespace is not in the canonical size, but raw bytes are capped too. The cap
        # is checked on heads still incomplete after a receive, so the last receive may add up
        # to RECEIVE_SIZE more: only beyond MAX_HEADER + 2 receives is a 431 certain.
        request("GET", "/ping", headers=[("X-Pad", " " * (MAX_HEADER + 2 * RECEIVE_SIZE) + "v")]),
        431,
        id="raw-whitespace-padding",
    ),
    pytest.param(
        request("POST", "/echo", headers=[("Content-Length", str(MAX_BODY + 1))]),
        413,
        id="declared-body-too-large",
    ),
    pytest.param(
        request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")])
        + b"".join(b"10000\r\n" + b"c" * 0x10000 + b"\r\n" for _ in range(MAX_BODY // 0x10000 + 1)),
        413,
        id="chunked-body-too-large",
    ),
    pytest.param(b"GARBAGE\r\n\r\n", 400, id="malformed-request-line"),
    pytest.param(b"GET /ping HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, id="request-line-extra"),
    pytest.param(
        b"GET /ping HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, id="malformed-header"
    ),
    pytest.param(b"GET /ping HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400, id="space-in-name"),
    pytest.param(
        request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + b"zz\r\nabc\r\n",
        400,
        id="malformed-chunk-size",
    ),
    pytest.param(
        request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + b"3\r\nabcdef\r\n",
        400,
        id="chunk-longer-than-size",
    ),
    pytest.param(request("BREW", "/ping"), 400, id="unknown-method"),
    pytest.param(request("GET", "ping"), 400, id="bad-target"),
    pytest.param(request("GET", "/ping", host=False), 400, id="missing-host"),
    pytest.param(request("GET", "/ping", headers=[("Host", "again")]), 400, id="repeated-host"),
    pytest.param(
        request(
            "POST",
            "/echo",
            headers=[("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
            body=chunked(b"abc"),
            length=False,
        ),
        400,
        id="content-length-and-transfer-encoding",
    ),
    pytest.param(
        request(
            "POST",
            "/echo",
            headers=[("Content-Length", "3"), ("Content-Length", "4")],
            body=b"abcd",
            length=False,
        ),
        400,
        id="conflicting-content-length",
    ),
    pytest.param(
        request("POST", "/echo", headers=[("Content-Length", "three")], length=False),
        400,
        id="non-numeric-content-length",
    ),
    pytest.param(
        request("POST", "/echo", headers=[("Transfer-Encoding", "gzip")], length=False),
        501,
        id="transfer-encoding-gzip",
    ),
    pytest.param(
        request(
            "POST",
            "/echo",
            headers=[("Transfer-Encoding", "gzip, chunked")],
            body=chunked(b"abc"),
            length=False,
        ),
        501,
        id="transfer-encoding-gzip-chunked",
    ),
    pytest.param(request("GET", "/ping", version="HTTP/2.0"), 505, id="http-2.0"),
    pytest.param(request("GET", "/ping", version="HTTP/1.2"), 505, id="http-1.2"),
]


@pytest.mark.parametrize(("raw", "status"), CASES)
def test_broken_request_is_answered_then_closed(
    server: Server, target: Target, connect: ConnectFactory, raw: bytes, status: int
) -> None:
    client = connect(server)
    client.send(raw)
    assert_error_then_close(client.read_response(), target.impl, status)
    assert client.read_until_eof() == b""


@per_variant
def test_error_answer_then_input_is_drained(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(b"GARBAGE\r\n\r\n")
    assert_error_then_close(client.read_response(), target.impl, 400)
    client.send(b"j" * 256 * 1024)  # arrives after the answer: drained, so no reset follows
    client.shutdown_write()
    assert client.read_until_eof() == b""


def test_error_after_good_pipelined_requests(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(request("GET", "/ping") + request("POST", "/echo", body=b"ok") + b"GARBAGE\r\n\r\n")
    assert_answer(client.read_response(), target.impl, 200, b"PONG")
    assert_answer(client.read_response(), target.impl, 200, b"ok")
    assert_error_then_close(client.read_response(), target.impl, 400)
    assert client.read_until_eof() == b""


def test_head_at_the_limit_is_served(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    raw = request("GET", "/ping", headers=[("X-Pad", _AT_LIMIT)])
    assert len(raw) == MAX_HEADER
    response = connect(server).exchange(raw)
    assert_answer(response, target.impl, 200, b"PONG")


def test_body_at_the_limit_is_served(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    body = b"b" * MAX_BODY
    response = connect(server).exchange(request("POST", "/echo", body=body))
    assert_answer(response, target.impl, 200, body)


def test_connect_is_answered_then_closed(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(b"CONNECT conformance.test:443 HTTP/1.1\r\nHost: conformance.test:443\r\n\r\n")
    response = client.read_response()
    assert 400 <= response.status < 500, response
    assert_answer(response, target.impl, response.status)
    assert client.read_until_eof() == b""
