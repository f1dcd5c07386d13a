# The "Connections" section of docs/service-spec.md: keep-alive, pipelining, framing, closing.
"""Conformance: what a connection carries and when it ends."""

from __future__ import annotations

from tests.conformance._client import ConnectFactory, chunked, request, wait_until
from tests.conformance._contract import assert_answer, pattern
from tests.conformance._matrix import per_variant
from tests.conformance._metrics import scrape
from tests.conformance._server import Server, Target

PIPELINED = 100


def test_keep_alive_serves_several_requests(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    for i in range(5):
        response = client.exchange(request("POST", "/echo", body=b"request %d" % i))
        assert_answer(response, target.impl, 200, b"request %d" % i)
        assert not response.closes
    assert_answer(client.exchange(request("GET", "/bytes?n=10")), target.impl, 200, pattern(10))


def _pipelined(i: int) -> tuple[bytes, bytes]:
    """Request number `i` of a mixed pipeline and the body its answer must have."""
    match i % 3:
        case 0:
            body = b"sequence %d" % i
            return request("POST", "/echo", body=body), body
        case 1:
            return request("GET", f"/bytes?n={i}"), pattern(i)
        case _:
            return request("GET", "/ping"), b"PONG"


def test_pipelined_requests_answered_in_order(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    pipeline = [_pipelined(i) for i in range(PIPELINED)]
    client.send(b"".join(req for req, _ in pipeline))  # all in one write
    for i, (_, body) in enumerate(pipeline):
        response = client.read_response()
        assert response.body == body, f"answer {i} out of order: {response.body[:40]!r}"
        assert_answer(response, target.impl, 200)
    assert_answer(client.exchange(request("GET", "/ping")), target.impl, 200, b"PONG")


def test_request_split_across_writes(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    raw = request("POST", "/echo", headers=[("Content-Type", "text/x-split")], body=b"abcdef")
    client = connect(server)
    for piece in (raw[:3], raw[3:20], raw[20:-4], raw[-4:-1], raw[-1:]):
        client.send(piece)
    response = client.read_response()
    assert_answer(response, target.impl, 200, b"abcdef")
    assert response.header("content-type") == "text/x-split"


def test_chunked_request_body(server: Server, target: Target, connect: ConnectFactory) -> None:
    chunks = [b"hello ", b"chunked ", b"x" * 70_000, b" world"]
    raw = request(
        "POST", "/echo", headers=[("Transfer-Encoding", "chunked")], body=chunked(*chunks)
    )
    client = connect(server)
    assert_answer(client.exchange(raw), target.impl, 200, b"".join(chunks))
    assert_answer(client.exchange(request("GET", "/ping")), target.impl, 200, b"PONG")


def test_http10_closes_by_default(server: Server, target: Target, connect: ConnectFactory) -> None:
    client = connect(server)
    response = client.exchange(request("GET", "/ping", version="HTTP/1.0", host=False))
    assert_answer(response, target.impl, 200, b"PONG")
    assert response.closes
    assert client.read_until_eof() == b""


def test_http10_keep_alive(server: Server, target: Target, connect: ConnectFactory) -> None:
    client = connect(server)
    keep = [("Connection", "keep-alive")]
    for _ in range(2):
        response = client.exchange(request("GET", "/ping", version="HTTP/1.0", headers=keep))
        assert_answer(response, target.impl, 200, b"PONG")
        assert (response.header("connection") or "").lower() == "keep-alive"
    response = client.exchange(request("GET", "/ping", version="HTTP/1.0"))
    assert_answer(response, target.impl, 200, b"PONG")
    assert client.read_until_eof() == b""


def test_connection_close(server: Server, target: Target, connect: ConnectFactory) -> None:
    client = connect(server)
    response = client.exchange(request("GET", "/ping", headers=[("Connection", "close")]))
    assert_answer(response, target.impl, 200, b"PONG")
    assert response.closes
    assert client.read_until_eof() == b""


def test_connection_close_drops_later_pipelined_requests(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    client.send(
        request("GET", "/ping", headers=[("Connection", "close")]) + request("GET", "/bytes?n=3")
    )
    assert_answer(client.read_response(), target.impl, 200, b"PONG")
    assert client.read_until_eof() == b""


def test_upgrade_is_answered_then_closed(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    upgrade = [("Connection", "Upgrade"), ("Upgrade", "websocket")]
    response = client.exchange(request("GET", "/ping", headers=upgrade))
    assert_answer(response, target.impl, 200, b"PONG")
    assert client.read_until_eof() == b""


def test_half_close_after_pipelined_requests(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    client = connect(server)
    pipeline = [_pipelined(i) for i in range(10)]
    client.send(b"".join(req for req, _ in pipeline))
    client.shutdown_write()
    for _, body in pipeline:
        assert_answer(client.read_response(), target.impl, 200, body)
    assert client.read_until_eof() == b""


@per_variant
def test_delay_does_not_block_other_connections(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    admin = server.admin
    assert admin is not None

    def inflight() -> float:
        return scrape(admin).value("netmodels_inflight_requests")

    wait_until(lambda: inflight() == 0, what="no request in flight before the test")
    slow = connect(server)
    slow.send(request("GET", "/delay?ms=3000"))
    wait_until(lambda: inflight() == 1, what="the /delay request to be in flight")

    response = connect(server).exchange(request("GET", "/ping"))

    assert_answer(response, target.impl, 200, b"PONG")
    assert not slow.readable(), "/ping was answered only after the /delay it should not wait for"
