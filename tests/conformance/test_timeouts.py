# The timeouts of docs/service-spec.md, on a server started with short ones.
#
# Nothing here measures time: a test sends a partial request (or nothing) and reads, with a
# deadline far above the timeout, until the server answers 408 and closes, or closes quietly.
"""Conformance: header timeout (slowloris), body timeout, idle keep-alive timeout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance._client import ConnectFactory, request
from tests.conformance._contract import assert_answer, assert_error_then_close
from tests.conformance._server import Server, Target

SHORT = "0.5"
"""Seconds for each timeout of the module's server: short to keep the suite fast."""


@pytest.fixture(scope="module")
def short_timeouts(target: Target) -> Iterator[Server]:
    """`target` with 0.5 s header, body and keep-alive timeouts (one per module and target)."""
    s = Server.start(
        target,
        "--header-timeout",
        SHORT,
        "--body-timeout",
        SHORT,
        "--keepalive-timeout",
        SHORT,
        "--linger-timeout",
        SHORT,
    )
    yield s
    s.stop()


def test_slowloris_partial_head_gets_408(
    short_timeouts: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(short_timeouts)
    client.send(b"GET /ping HTTP/1.1\r\nHost: conformance.test\r\nX-Slow: ")
    assert_error_then_close(client.read_response(), target.impl, 408)
    assert client.read_until_eof() == b""


def test_silent_connection_gets_408(
    short_timeouts: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(short_timeouts)
    assert_error_then_close(client.read_response(), target.impl, 408)
    assert client.read_until_eof() == b""


def test_partial_body_gets_408(
    short_timeouts: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(short_timeouts)
    client.send(request("POST", "/echo", headers=[("Content-Length", "10")]) + b"abc")
    assert_error_then_close(client.read_response(), target.impl, 408)
    assert client.read_until_eof() == b""


def test_partial_chunked_body_gets_408(
    short_timeouts: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(short_timeouts)
    client.send(
        request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")]) + b"5\r\nabcde\r\n"
    )
    assert_error_then_close(client.read_response(), target.impl, 408)
    assert client.read_until_eof() == b""


def test_idle_keep_alive_connection_closes_quietly(
    short_timeouts: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(short_timeouts)
    assert_answer(client.exchange(request("GET", "/ping")), target.impl, 200, b"PONG")
    assert client.read_until_eof() == b"", "an idle close sends nothing (no 408)"
