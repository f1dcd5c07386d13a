# The actor server in-process: what the conformance suite cannot see from outside - a handler
# that raises, the Akka IO back-pressure accounting, and the metrics only this impl has.
#
# Rules of this file: real sockets on 127.0.0.1, an `ActorServer` per test, and waits on the
# server's own statistics with a deadline, never a sleep.
"""Server tests of the actor impl: supervision, back-pressure, metrics, graceful stop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from impls.actor import connection
from impls.actor.server import ActorServer
from impls.config import ServerConfig
from impls.protocol import Request, routes
from impls.stats import ServerStatistics
from tests.conformance._client import Client, request

DEADLINE = 10.0
KIB = 1024


def wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)  # a poll interval; the condition is the synchronisation


@pytest.fixture
def start() -> Iterator[Callable[..., ActorServer]]:
    servers: list[ActorServer] = []

    def run(**options: object) -> ActorServer:
        server = ActorServer(ServerConfig(impl="actor", **options))  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield run
    for server in servers:
        server.close()


def stats(server: ActorServer) -> ServerStatistics:
    return server.statistics()


def test_a_handler_that_raises_gets_500_and_the_server_carries_on(
    start: Callable[..., ActorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    def dispatch(event: object) -> object:
        if isinstance(event, Request) and event.path == "/boom":
            raise RuntimeError("handler bug")
        return routes.dispatch(event)  # type: ignore[arg-type]

    monkeypatch.setattr(connection, "dispatch", dispatch)
    server = start()
    with Client(server.address) as failing, Client(server.address) as bystander:
        assert bystander.exchange(request("GET", "/ping")).status == 200
        response = failing.exchange(request("GET", "/boom"))
        assert response.status == 500
        assert response.closes
        assert failing.read_until_eof() == b""
        assert bystander.exchange(request("GET", "/ping")).body == b"PONG"
    with Client(server.address) as later:
        assert later.exchange(request("GET", "/ping")).body == b"PONG"
    wait_for(lambda: stats(server).inflight_requests == 0, "the failed request to be counted")


def test_slow_reader_is_suspended_above_high_water_and_resumed(
    start: Callable[..., ActorServer],
) -> None:
    high, low, size, count = 64 * KIB, 16 * KIB, 100_000, 40
    server = start(write_high_water=high, write_low_water=low)
    with Client(server.address) as client:
        client.send(request("GET", f"/bytes?n={size}") * count)
        wait_for(lambda: stats(server).reading_paused_connections == 1, "reading to be suspended")
        # unacknowledged output is bounded by the watermark plus the answer that crossed it
        assert stats(server).buffered_bytes_out <= high + size + KIB
        assert stats(server).queue_depths["unacked_writes"] >= 1
        responses = client.read_responses(count)
        assert [len(r.body) for r in responses] == [size] * count
        wait_for(lambda: stats(server).buffered_bytes_out == 0, "every write to be acknowledged")
        assert stats(server).reading_paused_connections == 0
        assert stats(server).queue_depths["unacked_writes"] == 0


def test_without_backpressure_output_grows_past_the_watermark(
    start: Callable[..., ActorServer],
) -> None:
    # 40 MB of answers: more than the kernel's socket buffers can absorb
    high, size, count = 64 * KIB, 1_000_000, 40
    server = start(write_high_water=high, write_low_water=16 * KIB, backpressure=False)
    with Client(server.address) as client:
        client.send(request("GET", f"/bytes?n={size}") * count)
        wait_for(
            lambda: stats(server).buffered_bytes_out > 100 * high,
            "output to pile up unacknowledged",
        )
        assert stats(server).reading_paused_connections == 0
        assert len(client.read_responses(count)) == count


def test_metrics_name_mailboxes_and_dead_letters(start: Callable[..., ActorServer]) -> None:
    server = start()
    with Client(server.address) as client:
        assert client.exchange(request("GET", "/ping")).status == 200
        depths = stats(server).queue_depths
    assert {"mailbox:Listener", "mailbox:Connection", "unacked_writes", "sender"} <= set(depths)
    assert "dead_letter" in stats(server).rejected
    wait_for(lambda: stats(server).connections_open == 0, "the connection to be closed")


def test_unbind_finishes_the_request_in_flight_then_closes(
    start: Callable[..., ActorServer],
) -> None:
    server = start()
    with Client(server.address) as busy, Client(server.address) as idle:
        assert idle.exchange(request("GET", "/ping")).status == 200
        busy.send(request("GET", "/delay?ms=200"))
        wait_for(lambda: stats(server).inflight_requests == 1, "the /delay to be in flight")
        server.unbind()
        assert busy.read_response().body == b"slept 200 ms"
        assert idle.read_until_eof() == b""
        busy.close()
        assert server.all_closed.wait(DEADLINE)


@pytest.mark.parametrize("threads", [1, 2])
def test_pipelined_answers_stay_in_order_on_any_number_of_threads(
    start: Callable[..., ActorServer], threads: int
) -> None:
    server = start(actor_threads=threads)
    clients = [Client(server.address) for _ in range(4)]
    try:
        for i, client in enumerate(clients):
            client.send(
                b"".join(request("POST", "/echo", body=b"%d-%d" % (i, n)) for n in range(50))
            )
        for i, client in enumerate(clients):
            bodies = [r.body for r in client.read_responses(50)]
            assert bodies == [b"%d-%d" % (i, n) for n in range(50)]
    finally:
        for client in clients:
            client.close()
