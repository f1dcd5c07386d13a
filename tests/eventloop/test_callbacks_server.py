"""The callback-style server in-process, on uvloop and on the stock loop: an inline /work is a
request in flight, and a second `stop` aborts what the first would have waited for. The loop
runs on a thread of its own, so the test thread reads `statistics()` as the admin thread does;
every wait is on an event or a condition with a deadline."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import pytest

from impls import sockets
from impls.aioserver import new_loop
from impls.config import ServerConfig
from impls.eventloop.callbacks import protocol as callbacks_protocol
from impls.eventloop.callbacks.protocol import ConnectionProtocol
from impls.eventloop.callbacks.server import CallbackServer
from tests.conformance._client import wait_until

DEADLINE = 10.0
"""Seconds any wait of a test may take before the test fails (a bound, not an expected duration)."""


@dataclass(frozen=True, slots=True)
class Running:
    """A callback server whose loop runs on another thread."""

    state: CallbackServer
    address: tuple[str, int]
    stopped: threading.Event  # set by `stop`'s `on_stopped`, on the loop thread

    def stop(self) -> None:
        """`CallbackServer.stop`, called on the loop thread (as the signal handler calls it)."""
        self.state.loop.call_soon_threadsafe(self.state.stop, self.stopped.set)

    def inflight(self) -> int:
        return self.state.statistics().inflight_requests


@pytest.fixture(params=["uvloop", "asyncio"])
def loop_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@contextmanager
def running(loop_kind: str, **changes: object) -> Iterator[Running]:
    config = ServerConfig(impl="eventloop-callbacks").replace(loop=loop_kind, **changes)
    loop = new_loop(config)
    state = CallbackServer(config, loop, None)
    sock = sockets.listen(config)
    listener = loop.run_until_complete(
        loop.create_server(lambda: ConnectionProtocol(state), sock=sock)
    )
    host, port = sock.getsockname()[:2]
    server = Running(state, (host, port), threading.Event())
    thread = threading.Thread(target=loop.run_forever, name="loop")
    thread.start()
    try:
        yield server
    finally:

        def close_all() -> None:
            listener.close()
            for protocol in list(state.connections):
                protocol.abort()

        loop.call_soon_threadsafe(close_all)
        wait_until(lambda: not state.connections, what="every connection to be gone")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
        loop.close()


def connect(server: Running) -> socket.socket:
    return socket.create_connection(server.address, timeout=DEADLINE)


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()


def read_response(reader: BinaryIO) -> tuple[bytes, bytes]:
    """The status line and body of one response (framed by Content-Length, as every answer is)."""
    status = reader.readline()
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return status, reader.read(length)


def read_to_end(sock: socket.socket) -> bytes:
    """Everything until the server closes (a reset counts as a close)."""
    data = b""
    try:
        while chunk := sock.recv(1 << 16):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def replace_spin(monkeypatch: pytest.MonkeyPatch, spin: Callable[[int], int]) -> None:
    monkeypatch.setattr(callbacks_protocol, "spin", spin)


def test_an_inline_work_is_in_flight_while_it_runs(
    loop_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()

    def gated_spin(iterations: int) -> int:  # holds the loop, as the real spin does
        entered.set()
        release.wait(DEADLINE)
        return 7

    replace_spin(monkeypatch, gated_spin)
    with running(loop_kind) as server, connect(server) as sock, sock.makefile("rb") as reader:
        sock.sendall(get("/work?ms=500") + get("/ping"))
        assert entered.wait(DEADLINE)
        assert server.inflight() == 1, "the loop is blocked, and the request in flight"
        release.set()
        assert read_response(reader) == (b"HTTP/1.1 200 OK\r\n", b"7")
        assert read_response(reader)[1] == b"PONG"  # served after the /work was settled
        assert server.inflight() == 0


def test_an_inline_work_that_fails_leaves_the_in_flight_count(
    loop_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_spin(iterations: int) -> int:
        raise RuntimeError("spin failed")

    replace_spin(monkeypatch, failing_spin)
    with running(loop_kind) as server:
        with connect(server) as sock:
            sock.sendall(get("/work?ms=5"))
            assert b"200" not in read_to_end(sock), "the failing connection is closed"
        with connect(server) as sock, sock.makefile("rb") as reader:
            sock.sendall(get("/ping"))
            assert read_response(reader)[1] == b"PONG"  # the server serves on
        assert server.inflight() == 0


def test_a_second_stop_aborts_what_is_in_flight(loop_kind: str) -> None:
    with running(loop_kind, grace=60.0) as server, connect(server) as busy:
        busy.sendall(get("/delay?ms=10000"))
        wait_until(lambda: server.inflight() == 1, what="the /delay to be in flight")
        server.stop()
        server.stop()  # the second signal
        assert server.stopped.wait(DEADLINE), "the second stop still waited for the /delay"
        assert read_to_end(busy) == b"", "the /delay was abandoned, not answered"
        assert server.inflight() == 0
