"""The threads impl in-process, over real sockets: what only this model has to get right.

The conformance suite checks the service contract; these tests check the thread-per-connection
machinery behind it - bounded sends, a failing connection thread, the graceful stop, the queue
figures read from the admin thread - driving `ThreadServer` directly.
"""

from __future__ import annotations

import logging
import socket
import threading

import pytest

from impls.config import ServerConfig
from impls.protocol import Action, EchoData, HttpEvent, Request, routes
from impls.threads import connection
from impls.threads.server import ThreadServer
from tests.conformance._client import wait_until
from tests.threads._support import connect, exchange, get, read_to_eof, running


def test_ping_and_statistics() -> None:
    with running() as server:
        assert exchange(server, get("/ping")).endswith(b"\r\n\r\nPONG")
        wait_until(
            lambda: server.statistics().connections_open == 0, what="the connection to close"
        )
        stats = server.statistics()
        assert stats.requests_total == 1
        assert stats.inflight_requests == 0
        assert stats.loop_lag_seconds is None  # no loop in this model


def test_a_peer_that_stops_reading_is_given_up_after_the_stall_timeout() -> None:
    with running(send_timeout=0.2) as server, connect(server) as stuck:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.sendall(get("/bytes?n=16000000", close=False))
        wait_until(
            lambda: server.statistics().rejected.get("send_timeout") == 1, what="send_timeout"
        )
        wait_until(
            lambda: server.statistics().connections_open == 0, what="the connection to close"
        )
        assert exchange(server, get("/ping")).endswith(b"PONG")  # everyone else is served


def test_a_failing_connection_thread_closes_only_its_connection(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def dispatch(event: HttpEvent | EchoData) -> Action | EchoData:
        if isinstance(event, Request) and event.path == "/boom":
            raise RuntimeError("a bug in one connection")
        return routes.dispatch(event)

    monkeypatch.setattr(connection, "dispatch", dispatch)
    with running() as server, connect(server) as other:
        other.sendall(get("/ping", close=False))
        assert other.recv(1 << 16).endswith(b"PONG")
        with caplog.at_level(logging.ERROR, logger="impls.threads.connection"):
            assert exchange(server, get("/boom", close=False)) == b""
        assert "a bug in one connection" in caplog.text
        other.sendall(get("/ping"))
        assert read_to_eof(other).endswith(b"PONG")


def test_pipelined_requests_show_in_the_pipeline_queue() -> None:
    with running() as server, connect(server) as sock:
        sock.sendall(get("/delay?ms=300", close=False) + get("/ping", close=False) * 3)
        wait_until(
            lambda: server.statistics().queue_depths["pipeline"] == 3, what="3 requests queued"
        )
        assert server.statistics().inflight_requests == 1


def test_jobs_waiting_for_the_pool_show_in_the_offload_queue() -> None:
    with running(offload="thread", workers=1) as server:
        clients = [connect(server) for _ in range(2)]
        try:
            for sock in clients:
                sock.sendall(get("/work?ms=300"))
            wait_until(lambda: server.statistics().queue_depths["offload"] == 2, what="2 jobs")
            for sock in clients:
                assert read_to_eof(sock).startswith(b"HTTP/1.1 200")
        finally:
            for sock in clients:
                sock.close()


def test_stop_lets_the_request_in_flight_finish_and_closes_idle_connections() -> None:
    server = ThreadServer(ServerConfig(impl="threads"))
    server.start()
    address = server.address
    with connect(server) as busy, connect(server) as idle:
        busy.sendall(get("/delay?ms=200", close=False))
        idle.sendall(get("/ping", close=False))
        assert idle.recv(1 << 16).endswith(b"PONG")
        wait_until(lambda: server.statistics().inflight_requests == 1, what="the delay in flight")
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        assert read_to_eof(busy).endswith(b"slept 200 ms")
        assert read_to_eof(idle) == b""
        stopper.join()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address)  # the listener is closed


def test_close_after_stop_accepting_abandons_the_request_in_flight() -> None:
    # What `serve` does on a second signal: no waiting for the /delay, nor for its thread.
    server = ThreadServer(ServerConfig(impl="threads", grace=60.0))
    server.start()
    all_closed = threading.Event()
    with connect(server) as busy:
        busy.sendall(get("/delay?ms=10000", close=False))
        wait_until(lambda: server.statistics().inflight_requests == 1, what="the delay in flight")
        server.stop_accepting(on_all_closed=all_closed.set)
        assert not all_closed.is_set(), "the /delay still holds its connection open"
        assert server.connections_open() == 1
        server.close(wait=False)
        assert read_to_eof(busy) == b"", "closed without an answer"
