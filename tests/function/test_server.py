"""The server binding over real sockets, on uvloop and on the stock loop: request order,
back-pressure on pipelining, interrupts on a lost connection, graceful stop. Every wait is on an
event or a condition with a deadline."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable, Coroutine
from typing import Any

from impls.config import ServerConfig
from impls.function import FunctionServer, Service, serve, service_of
from impls.protocol import HttpConnection, Request, Response, ResponseEncoder
from tests.function._support import DEADLINE, wait_for_condition

Run = Callable[[Coroutine[Any, Any, Any]], Any]

CONFIG = ServerConfig(impl="function")


def raw_get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


async def start(
    service: Service[Request, Response], config: ServerConfig = CONFIG
) -> FunctionServer[Request, Response]:
    encoder = ResponseEncoder(config.server_name)
    return await serve(lambda: HttpConnection(config, encoder), service, config)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one response (framed by Content-Length, as every answer is)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DEADLINE)
    lines = head.decode().split("\r\n")
    length = next(int(line.split(":")[1]) for line in lines if line.startswith("content-length"))
    body = await asyncio.wait_for(reader.readexactly(length), DEADLINE)
    return int(lines[0].split()[1]), body


class Gated:
    """A service that answers `/slow` only once `gate` is set, and notes what it saw."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.seen: list[str] = []
        self.interrupted = asyncio.Event()

    async def __call__(self, request: Request) -> Response:
        self.seen.append(request.path)
        if request.path == "/slow":
            self.entered.set()
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.interrupted.set()
                raise
        return Response(200, (), request.path.encode())


def test_pipelined_answers_keep_request_order(run_on: Run) -> None:
    async def main() -> None:
        gated = Gated()
        server = await start(service_of(gated))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(raw_get("/slow") + raw_get("/fast"))
        await asyncio.wait_for(gated.entered.wait(), DEADLINE)
        assert gated.seen == ["/slow"], "the next pipelined request waits for this answer"
        gated.gate.set()
        assert await read_response(reader) == (200, b"/slow")
        assert await read_response(reader) == (200, b"/fast")
        writer.close()
        await server.stop()

    run_on(main())


def test_pipelining_behind_a_waiting_call_pauses_reading(run_on: Run) -> None:
    async def main(backpressure: bool) -> int:
        gated = Gated()
        server = await start(service_of(gated), CONFIG.replace(backpressure=backpressure))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(raw_get("/slow"))
        await asyncio.wait_for(gated.entered.wait(), DEADLINE)
        writer.write(raw_get("/fast"))
        await wait_for_condition(
            lambda: server.statistics().queue_depths["pipeline"] == 1, "the request to be parsed"
        )
        paused = server.statistics().reading_paused_connections
        gated.gate.set()
        assert [await read_response(reader) for _ in range(2)] == [(200, b"/slow"), (200, b"/fast")]
        assert server.statistics().reading_paused_connections == 0, "reading resumed"
        writer.close()
        await server.stop()
        return paused

    assert run_on(main(backpressure=True)) == 1
    assert run_on(main(backpressure=False)) == 0


def test_a_lost_connection_interrupts_its_call(run_on: Run) -> None:
    async def main() -> None:
        gated = Gated()
        server = await start(service_of(gated))
        _, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(raw_get("/slow"))
        await asyncio.wait_for(gated.entered.wait(), DEADLINE)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # a reset, as a client that gave up would send
        await asyncio.wait_for(gated.interrupted.wait(), DEADLINE)
        await wait_for_condition(lambda: server.counters.connections_open == 0, "the close")
        await server.stop()

    run_on(main())


def test_stop_finishes_calls_in_flight_and_closes_idle_connections(run_on: Run) -> None:
    async def main() -> None:
        gated = Gated()
        server = await start(service_of(gated))
        idle_reader, idle_writer = await asyncio.open_connection(server.host, server.port)
        idle_writer.write(raw_get("/fast"))
        assert await read_response(idle_reader) == (200, b"/fast")
        busy_reader, busy_writer = await asyncio.open_connection(server.host, server.port)
        busy_writer.write(raw_get("/slow"))
        await asyncio.wait_for(gated.entered.wait(), DEADLINE)
        stopping = asyncio.ensure_future(server.stop())
        assert await asyncio.wait_for(idle_reader.read(), DEADLINE) == b"", "idle: closed at once"
        gated.gate.set()
        assert await read_response(busy_reader) == (200, b"/slow")
        assert await asyncio.wait_for(busy_reader.read(), DEADLINE) == b"", "then closed"
        for writer in (idle_writer, busy_writer):
            writer.close()  # the server lingers until the client's side closes too
        await asyncio.wait_for(stopping, DEADLINE)

    run_on(main())


def test_stop_interrupts_what_outlives_the_grace_period(run_on: Run) -> None:
    async def main() -> None:
        gated = Gated()
        server = await start(service_of(gated), CONFIG.replace(grace=0.05))
        _, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(raw_get("/slow"))
        await asyncio.wait_for(gated.entered.wait(), DEADLINE)
        await asyncio.wait_for(server.stop(), DEADLINE)
        assert gated.interrupted.is_set()
        writer.close()

    run_on(main())


def test_abort_during_stop_interrupts_the_calls_in_flight_at_once(run_on: Run) -> None:
    async def main() -> None:
        gated = Gated()
        server = await start(service_of(gated), CONFIG.replace(grace=60.0))
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(raw_get("/slow"))
        await asyncio.wait_for(gated.entered.wait(), DEADLINE)
        stopping = asyncio.ensure_future(server.stop())
        await asyncio.sleep(0)  # one turn of the loop: `stop` runs to its wait for the grace
        assert not stopping.done()
        server.abort()  # the second signal
        await asyncio.wait_for(stopping, DEADLINE)  # well before the 60 s grace
        assert gated.interrupted.is_set()
        try:
            rest = await asyncio.wait_for(reader.read(), DEADLINE)
        except ConnectionResetError:
            rest = b""
        assert rest == b"", "the call was abandoned, not answered"
        writer.close()

    run_on(main())
