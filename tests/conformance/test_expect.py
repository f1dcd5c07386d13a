# `Expect: 100-continue` (docs/service-spec.md, "Expect: 100-continue"), on real sockets.
#
# A client that sends `Expect: 100-continue` holds its body back until the server says go. Here
# it really does: the test reads the interim `100 Continue` *before* it sends a byte of the body,
# so an impl that does not answer fails on the read's deadline instead of passing after curl's
# one-second fallback. The refusals the head alone decides (413, 417) come instead of the 100,
# and close the connection as every broken-rule answer does.
"""Conformance: interim 100 Continue, 413 and 417 instead of it, and its order in a pipeline."""

from __future__ import annotations

from tests.conformance._client import ConnectFactory, request
from tests.conformance._contract import assert_answer, assert_error_then_close
from tests.conformance._server import DEFAULTS, Server, Target

BODY = b"sent only after the go-ahead"


def _expecting(
    body_length: int, expectation: str = "100-continue", version: str = "HTTP/1.1"
) -> bytes:
    """The head of a POST /echo announcing a body of `body_length` bytes, without the body."""
    headers = [("Expect", expectation), ("Content-Length", str(body_length))]
    return request("POST", "/echo", headers=headers, version=version)


def test_100_continue_comes_before_the_body_is_sent(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(_expecting(len(BODY)))
    interim = client.read_interim()  # no byte of the body is sent before this arrives
    assert (interim.version, interim.status) == ("HTTP/1.1", 100)
    client.send(BODY)
    response = client.read_response()
    assert_answer(response, target.impl, 200, BODY)
    assert not response.closes
    assert_answer(client.exchange(request("GET", "/ping")), target.impl, 200, b"PONG")


def test_100_continue_waits_for_the_answer_to_an_earlier_request(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    # Pipelined behind a /delay: the 100 belongs after its answer, never before it.
    client.send(request("GET", "/delay?ms=20") + _expecting(len(BODY)))
    assert_answer(client.read_response(), target.impl, 200)  # a 100 first would fail here
    assert client.read_interim().status == 100
    client.send(BODY)
    assert_answer(client.read_response(), target.impl, 200, BODY)


def test_declared_body_too_large_gets_413_instead_of_100(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(_expecting(DEFAULTS.max_body_bytes + 1))
    assert_error_then_close(client.read_response(), target.impl, 413)  # a 100 would fail here
    assert client.read_until_eof() == b""


def test_unknown_expectation_gets_417(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(_expecting(len(BODY), expectation="x-unmet"))
    assert_error_then_close(client.read_response(), target.impl, 417)
    assert client.read_until_eof() == b""


def test_http10_expectation_is_ignored(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(_expecting(len(BODY), version="HTTP/1.0"))
    client.send(BODY)  # an HTTP/1.0 client cannot wait for a 100, and gets none
    response = client.read_response()  # a 100 ahead of it would fail here
    assert_answer(response, target.impl, 200, BODY)
