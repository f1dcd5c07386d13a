# Micro-benchmarks of the shared protocol layer's per-request path, piece by piece.
#
# Rules of this file (it measures; it asserts only that each piece still does its job): every
# piece is timed on the request wrk sends in benchmarks/ping.py (GET /ping with one Host field)
# and, where a piece depends on the head, on a curl-like head with a few more fields, so a
# shortcut that only pays for wrk's request shows up as one. Nothing here caches across calls
# what the server would not cache: each call parses, checks, builds and encodes afresh.
# Run: `pytest benchmarks/test_shared_layer.py --benchmark-enable --benchmark-only` (the test
# run executes each body once, with --benchmark-disable, as a smoke test).
"""pytest-benchmark timings of parse, check_head, Request, dispatch, encode, timer, callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from impls.config import ServerConfig
from impls.protocol import HttpConnection, Request, Response, ResponseEncoder, dispatch
from impls.protocol._parsers import H11Backend, HttptoolsBackend, make_request
from impls.protocol._rules import check_head
from impls.protocol.routes import PONG

WRK_PING = b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1:43121\r\n\r\n"
CURL_PING = (
    b"GET /ping HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: curl/8.5.0\r\n"
    b"Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nX-Request-Id: 7f3a9c\r\n\r\n"
)
HEADS = {"wrk": WRK_PING, "curl": CURL_PING}
FIELDS = {
    "wrk": ((b"host", b"127.0.0.1:43121"),),
    "curl": (
        (b"host", b"localhost:8000"),
        (b"user-agent", b"curl/8.5.0"),
        (b"accept", b"*/*"),
        (b"accept-encoding", b"gzip, deflate"),
        (b"x-request-id", b"7f3a9c"),
    ),
}
CONFIG = ServerConfig(impl="eventloop-callbacks")
LIMITS = (CONFIG.max_header_bytes, CONFIG.max_body_bytes, CONFIG.receive_size)

Benchmark = Any  # pytest-benchmark's fixture (its package ships no type hints)


@pytest.fixture(params=["wrk", "curl"])
def head(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_httptools_feed(benchmark: Benchmark, head: str) -> None:
    """llhttp and its callbacks, check_head and Request included: bytes in, a Request out."""
    backend = HttptoolsBackend(*LIMITS)
    raw = HEADS[head]

    def feed() -> None:
        backend.feed(raw)
        backend.events.clear()

    benchmark(feed)
    backend.feed(raw)
    assert isinstance(backend.events[0], Request)


def test_h11_feed(benchmark: Benchmark) -> None:
    """The h11 backend on the same input, for scale (not on the default path)."""
    backend = H11Backend(*LIMITS)

    def feed() -> None:
        backend.feed(WRK_PING)
        backend.events.clear()

    benchmark(feed)


def test_check_head(benchmark: Benchmark, head: str) -> None:
    fields = FIELDS[head]
    framing = benchmark(
        lambda: check_head(
            "GET",
            "/ping",
            "1.1",
            fields,
            max_header_bytes=CONFIG.max_header_bytes,
            max_body_bytes=CONFIG.max_body_bytes,
        )
    )
    assert (framing.length, framing.keep_alive) == (0, True)


def test_make_request(benchmark: Benchmark) -> None:
    """Building the Request event (target split into path and query)."""
    fields = FIELDS["wrk"]
    request = benchmark(lambda: make_request("GET", "/ping", fields, b"", "1.1", True))
    assert request.path == "/ping"


def test_dispatch(benchmark: Benchmark) -> None:
    request = make_request("GET", "/ping", FIELDS["wrk"], b"", "1.1", True)
    assert benchmark(dispatch, request) is PONG


def test_encode(benchmark: Benchmark) -> None:
    encoder = ResponseEncoder(CONFIG.server_name)
    data = benchmark(encoder.encode, PONG, True)
    assert data.endswith(b"\r\n\r\nPONG")


def test_timer(benchmark: Benchmark) -> None:
    """timer() while nothing changed: the Timer handed out last."""
    conn = HttpConnection(CONFIG, ResponseEncoder(CONFIG.server_name))
    benchmark(conn.timer)


def test_timer_after_request(benchmark: Benchmark) -> None:
    """timer() after each answered request: the idle timeout restarts, a new Timer is due."""
    conn = HttpConnection(CONFIG, ResponseEncoder(CONFIG.server_name))

    def answered() -> None:
        conn._served += 1  # what send() counts; the round-trip benchmarks take the real path
        conn.timer()

    benchmark(answered)


def _served(conn: HttpConnection, raw: bytes) -> Callable[[], bytes]:
    def serve() -> bytes:
        conn.receive_data(raw)
        event = conn.next_event()
        assert event is not None
        reply = dispatch(event)
        assert isinstance(reply, Response)
        data = conn.send(reply)
        conn.timer()
        return data

    return serve


def test_connection_round_trip(benchmark: Benchmark, head: str) -> None:
    """What an impl does per request: receive_data, next_event, dispatch, send, timer."""
    conn = HttpConnection(CONFIG, ResponseEncoder(CONFIG.server_name))
    data = benchmark(_served(conn, HEADS[head]))
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")


class _Transport:
    """Just enough of an asyncio transport for the callbacks protocol's hot path."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += 1

    def set_write_buffer_limits(self, high: int, low: int) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    import uvloop

    event_loop = uvloop.new_event_loop()
    yield event_loop
    event_loop.close()


def test_callbacks_protocol(benchmark: Benchmark, loop: asyncio.AbstractEventLoop) -> None:
    """eventloop-callbacks per request: buffer_updated with one /ping in the receive buffer."""
    from impls.eventloop.callbacks.protocol import ConnectionProtocol
    from impls.eventloop.callbacks.server import CallbackServer

    server = CallbackServer(CONFIG, loop, None)
    protocol = ConnectionProtocol(server)
    transport = _Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    server.receive_buffer[: len(WRK_PING)] = WRK_PING

    def request() -> None:
        protocol.get_buffer(-1)
        protocol.buffer_updated(len(WRK_PING))

    benchmark(request)
    assert transport.written == server.counters.requests_total > 0
