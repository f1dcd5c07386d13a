# Micro-benchmarks of the shared codec through its public face (`impls.protocol`), as the servers
# use it: an `HttpConnection` fed with `receive_data` and asked `next_event`, the
# `ResponseEncoder`, and an `EchoConnection`.
#
# Rules of this file (it measures; it asserts only that each piece still does its job, so a run
# with --benchmark-disable, each body once, is a smoke test): every parse gets a fresh connection
# from pedantic's untimed `setup`, so a round times exactly "bytes in -> the Request event out" on
# a connection's first request, with no encode and no construction inside; each round is then one
# call, and the ~0.1 us that reading the clock twice costs is inside every figure (noticeable only
# beside httptools' small GET). Requests are raw bytes constants, as a client sends them.
# Run: `python -m pytest benchmarks/test_codec.py --benchmark-enable --benchmark-only`.
"""pytest-benchmark timings of HTTP parse per backend and size, response encode, echo codec."""

from __future__ import annotations

from typing import Any

import pytest

from impls.config import ServerConfig
from impls.protocol import (
    EchoConnection,
    EchoData,
    HttpConnection,
    Request,
    Response,
    ResponseEncoder,
)
from impls.protocol.routes import PONG

Benchmark = Any  # pytest-benchmark's fixture (its package ships no type hints)

KIB = 1024
PARSE_ROUNDS = 2000
"""Rounds of a parse benchmark: one parse each (pedantic takes a count, not a time budget)."""

SMALL_GET = b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1:43121\r\n\r\n"
CURL_GET = (
    b"GET /ping HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: curl/8.5.0\r\n"
    b"Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nX-Request-Id: 7f3a9c\r\n\r\n"
)


def post(size: int) -> bytes:
    """A POST /echo with a `size`-byte body, whole."""
    head = (
        b"POST /echo HTTP/1.1\r\nHost: localhost:8000\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size
    )
    return head + bytes(range(256)) * (size // 256)


REQUESTS = {
    "small-get": (SMALL_GET, "/ping", 0),
    "curl-get": (CURL_GET, "/ping", 0),
    "post-1KiB": (post(1 * KIB), "/echo", 1 * KIB),
    "post-64KiB": (post(64 * KIB), "/echo", 64 * KIB),
}
"""name -> (raw request, its target, its body length)."""


@pytest.fixture(params=["httptools", "h11"])
def config(request: pytest.FixtureRequest) -> ServerConfig:
    """The default config with the parser backend under test (64 KiB fits its body limit)."""
    return ServerConfig(impl="eventloop-callbacks", parser=request.param)


@pytest.mark.parametrize("size", REQUESTS)
def test_parse(benchmark: Benchmark, config: ServerConfig, size: str) -> None:
    """receive_data + next_event on a fresh connection: the whole request in one chunk."""
    raw, target, body_length = REQUESTS[size]
    encoder = ResponseEncoder(config.server_name)

    def fresh() -> tuple[tuple[HttpConnection], dict[str, Any]]:
        return (HttpConnection(config, encoder),), {}

    def parse(conn: HttpConnection) -> object:
        conn.receive_data(raw)
        return conn.next_event()

    event = benchmark.pedantic(
        parse, setup=fresh, rounds=PARSE_ROUNDS, warmup_rounds=PARSE_ROUNDS // 10
    )
    assert isinstance(event, Request)
    assert (event.target, len(event.body), event.keep_alive) == (target, body_length, True)


# A constant answer (routes.PONG, what /ping returns) hits the encoder's cache of the last head;
# two small answers taken in turn miss it every time, as responses built per request do; a 64 KiB
# body is never cached (it would stay referenced), so its head is built and the body copied.
_SMALL_A = Response(200, ((b"content-type", b"text/plain"),), b"hello")
_SMALL_B = Response(200, ((b"content-type", b"text/plain"),), b"hello")
_LARGE = Response(200, ((b"content-type", b"application/octet-stream"),), b"x" * (64 * KIB))
ANSWERS = {
    "small-cached": (PONG, PONG),
    "small-uncached": (_SMALL_A, _SMALL_B),
    "64KiB": (_LARGE, _LARGE),
}


@pytest.mark.parametrize("answer", ANSWERS)
def test_encode(benchmark: Benchmark, answer: str) -> None:
    """ResponseEncoder.encode for a keep-alive HTTP/1.1 answer."""
    encoder = ResponseEncoder("netmodels-bench")
    first, second = ANSWERS[answer]
    turn = [first, second]

    def encode() -> bytes:
        turn.reverse()
        return encoder.encode(turn[0], True)

    data = benchmark(encode)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b"\r\n\r\n" + first.body)
    assert b"content-length: %d\r\n" % len(first.body) in data


@pytest.mark.parametrize("size", [64, 64 * KIB], ids=["64B", "64KiB"])
def test_echo_round_trip(benchmark: Benchmark, size: int) -> None:
    """EchoConnection: receive_data, next_event, send - one chunk in, the same bytes out."""
    conn = EchoConnection(ServerConfig(impl="eventloop-callbacks", protocol="echo"))
    chunk = bytes(range(256)) * (size // 256) if size >= 256 else b"e" * size

    def echo() -> bytes:
        conn.receive_data(chunk)
        event = conn.next_event()
        assert isinstance(event, EchoData)
        return conn.send(event)

    assert benchmark(echo) == chunk
