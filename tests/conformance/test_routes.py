# Every route and status of the "HTTP routes" table of docs/service-spec.md.
"""Conformance: /ping, /echo, /bytes, /delay, /work, 404 and 405."""

from __future__ import annotations

import pytest

from tests.conformance._client import ConnectFactory, request
from tests.conformance._contract import assert_answer, pattern
from tests.conformance._server import Server, Target

MIB = 1024 * 1024


def test_ping(server: Server, target: Target, connect: ConnectFactory) -> None:
    response = connect(server).exchange(request("GET", "/ping"))
    assert_answer(response, target.impl, 200, b"PONG")
    assert response.header("content-type") == "text/plain"
    assert not response.closes


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/json", b'{"seq": 1}', id="json"),
        pytest.param("text/plain; charset=utf-8", "h\u00e9".encode(), id="text-with-params"),
        pytest.param(None, bytes(range(256)), id="default-type"),
        pytest.param(None, b"", id="empty"),
    ],
)
def test_echo(
    server: Server, target: Target, connect: ConnectFactory, content_type: str | None, body: bytes
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    response = connect(server).exchange(
        request("POST", "/echo", headers=headers, body=body, length=True)
    )
    assert_answer(response, target.impl, 200, body)
    assert response.header("content-type") == (content_type or "application/octet-stream")


@pytest.mark.parametrize("n", [0, 1, 16, 17, 65_539, 16 * MIB])
def test_bytes(server: Server, target: Target, connect: ConnectFactory, n: int) -> None:
    response = connect(server).exchange(request("GET", f"/bytes?n={n}"))
    assert_answer(response, target.impl, 200)
    assert len(response.body) == n
    assert response.body == pattern(n)


@pytest.mark.parametrize(
    "target_path",
    [
        "/bytes",
        "/bytes?n=",
        "/bytes?n=-1",
        "/bytes?n=1e3",
        "/bytes?n=0x10",
        "/bytes?n=abc",
        "/bytes?n=1&n=2",
        "/bytes?m=1",
        f"/bytes?n={16 * MIB + 1}",
        "/delay?ms=-1",
        "/delay?ms=10001",
        "/delay",
        "/work?ms=1001",
        "/work?ms=1.5",
        "/work",
    ],
)
def test_out_of_bounds_is_400_and_keeps_the_connection(
    server: Server, target: Target, connect: ConnectFactory, target_path: str
) -> None:
    client = connect(server)
    response = client.exchange(request("GET", target_path))
    assert_answer(response, target.impl, 400)
    assert not response.closes, "a route's 400 is an answer, not a broken request"
    assert_answer(client.exchange(request("GET", "/ping")), target.impl, 200, b"PONG")


@pytest.mark.parametrize("ms", [0, 50])
def test_delay(server: Server, target: Target, connect: ConnectFactory, ms: int) -> None:
    response = connect(server).exchange(request("GET", f"/delay?ms={ms}"))
    assert_answer(response, target.impl, 200, f"slept {ms} ms".encode())


@pytest.mark.parametrize("ms", [0, 5])
def test_work(server: Server, target: Target, connect: ConnectFactory, ms: int) -> None:
    response = connect(server).exchange(request("GET", f"/work?ms={ms}"))
    assert_answer(response, target.impl, 200)
    assert response.body.isdigit(), response.body


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/nope"), ("GET", "/pingx"), ("POST", "/ping/"), ("GET", "/PING")],
)
def test_unknown_path_is_404(
    server: Server, target: Target, connect: ConnectFactory, method: str, path: str
) -> None:
    response = connect(server).exchange(request(method, path))
    assert_answer(response, target.impl, 404)


@pytest.mark.parametrize(
    ("line", "allow"),
    [
        ("POST /ping", "GET, HEAD"),
        ("GET /echo", "POST"),
        ("PUT /bytes?n=1", "GET, HEAD"),
        ("DELETE /delay?ms=1", "GET, HEAD"),
        ("POST /work?ms=1", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(
    server: Server, target: Target, connect: ConnectFactory, line: str, allow: str
) -> None:
    method, path = line.split()
    response = connect(server).exchange(request(method, path))
    assert_answer(response, target.impl, 405)
    assert response.header("allow") == allow
