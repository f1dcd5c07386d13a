"""Clients are Services: a proxy whose backend is an `HttpClient` / `EchoClient`, in process
(the stacks `netmodels serve --upstream` runs) and end to end through `netmodels serve`.

Every server a test starts is stopped by an `async with`, so a failing assertion ends the test
with its servers closed instead of leaving them to hang the loop's shutdown."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from impls.config import ServerConfig
from impls.function import FunctionServer, Service, serve
from impls.function.server import echo_stack, http_stack
from impls.protocol import EchoConnection, HttpConnection, ResponseEncoder
from impls.stats import Counters
from tests.function._support import DEADLINE, wait_for_condition

Run = Callable[[Coroutine[Any, Any, Any]], Any]

CONFIG = ServerConfig(impl="function")


class Running:
    """A server with the stack `netmodels serve` would build for `config`; `async with` stops
    it on every way out of the block."""

    def __init__(self, server: FunctionServer[Any, Any], service: Service[Any, Any]) -> None:
        self.server = server
        self.service = service

    async def stop(self) -> None:
        await self.server.stop()
        await self.service.close()  # a proxy's idle upstream connections

    async def __aenter__(self) -> Running:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def start_http(config: ServerConfig) -> Running:
    counters = Counters()
    stack = http_stack(config, counters, pool=None)
    encoder = ResponseEncoder(config.server_name)
    server = await serve(
        lambda: HttpConnection(config, encoder), stack.service, config, counters=counters
    )
    return Running(server, stack.service)


async def start_echo(config: ServerConfig) -> Running:
    counters = Counters()
    stack = echo_stack(config, counters)
    server = await serve(lambda: EchoConnection(config), stack, config, counters=counters)
    return Running(server, stack)


def upstream_of(running: Running) -> str:
    return f"{running.server.host}:{running.server.port}"


async def exchange(running: Running, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one raw request on a new connection; the status, headers and body of the answer."""
    reader, writer = await asyncio.open_connection(running.server.host, running.server.port)
    try:
        writer.write(raw)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DEADLINE)
        lines = head.decode().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if line)
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), DEADLINE)
        return int(lines[0].split()[1]), headers, body
    finally:
        writer.close()
        await writer.wait_closed()


def get(path: str, *extra: str) -> bytes:
    return "\r\n".join([f"GET {path} HTTP/1.1", "Host: test", *extra, "", ""]).encode()


def test_proxy_round_trip(run_on: Run) -> None:
    async def main() -> None:
        async with (
            await start_http(CONFIG) as upstream,
            await start_http(CONFIG.replace(upstream=upstream_of(upstream))) as proxy,
        ):
            await round_trip(proxy)

    run_on(main())


async def round_trip(proxy: Running) -> None:
    """Every kind of request through `proxy`, checked."""
    status, headers, body = await exchange(proxy, get("/ping"))
    assert (status, body, headers["server"]) == (200, b"PONG", "netmodels-function")
    echo = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: a/b\r\nContent-Length: 5\r\n\r\nhello"
    status, headers, body = await exchange(proxy, echo)
    assert (status, body, headers["content-type"]) == (200, b"hello", "a/b")
    status, _, body = await exchange(proxy, get("/bytes?n=100000"))
    assert (status, len(body)) == (200, 100_000)
    status, headers, _ = await exchange(proxy, get("/ping", "X-Trace-Id: 00c0ffee"))
    assert headers["x-trace-id"] == "00c0ffee", "the caller's trace id made the round trip"
    status, headers, _ = await exchange(proxy, b"PUT /ping HTTP/1.1\r\nHost: t\r\n\r\n")
    assert (status, headers["allow"]) == (405, "GET, HEAD")


def test_proxy_timeout_interrupts_the_upstream_call(run_on: Run) -> None:
    async def main() -> None:
        async with (
            await start_http(CONFIG) as upstream,
            await start_http(
                CONFIG.replace(upstream=upstream_of(upstream), timeout_ms=100)
            ) as proxy,
        ):
            status, _, _ = await exchange(proxy, get("/delay?ms=10000"))
            assert status == 504
            # The client aborted its connection, so the upstream's own call was interrupted too.
            await wait_for_condition(
                lambda: upstream.server.counters.inflight == 0,
                "the upstream /delay to be interrupted",
            )

    run_on(main())


def test_proxy_answers_502_when_the_upstream_is_down(run_on: Run) -> None:
    async def main() -> None:
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
            async with await start_http(
                CONFIG.replace(upstream=f"127.0.0.1:{unused.getsockname()[1]}")
            ) as proxy:
                status, _, _ = await exchange(proxy, get("/ping"))
                assert status == 502

    run_on(main())


def test_proxy_survives_the_upstream_closing_idle_connections(run_on: Run) -> None:
    async def main() -> None:
        async with (
            await start_http(
                CONFIG.replace(keepalive_timeout=0.05, linger_timeout=0.05)
            ) as upstream,
            await start_http(CONFIG.replace(upstream=upstream_of(upstream))) as proxy,
        ):
            assert (await exchange(proxy, get("/ping")))[0] == 200
            await wait_for_condition(
                lambda: upstream.server.counters.connections_open == 0,
                "the upstream to drop the idle one",
            )
            fresh = await exchange(proxy, get("/ping"))
            assert fresh[0] == 200, "a fresh connection (or a retry)"

    run_on(main())


def test_echo_proxy_round_trip(run_on: Run) -> None:
    async def main() -> None:
        config = CONFIG.replace(protocol="echo")
        async with (
            await start_echo(config) as upstream,
            await start_echo(config.replace(upstream=upstream_of(upstream))) as proxy,
        ):
            reader, writer = await asyncio.open_connection(proxy.server.host, proxy.server.port)
            try:
                for chunk in (b"hello", b" ", b"world" * 1000):
                    writer.write(chunk)
                    echoed = await asyncio.wait_for(reader.readexactly(len(chunk)), DEADLINE)
                    assert echoed == chunk
                writer.write_eof()
                assert await asyncio.wait_for(reader.read(), DEADLINE) == b""
            finally:
                writer.close()
                await writer.wait_closed()

    run_on(main())


def test_a_failing_check_still_stops_both_servers(run_on: Run) -> None:
    addresses: list[tuple[str, int]] = []

    async def main() -> None:
        async with (
            await start_http(CONFIG) as upstream,
            await start_http(CONFIG.replace(upstream=upstream_of(upstream))) as proxy,
        ):
            assert (await exchange(proxy, get("/ping")))[0] == 200
            addresses.extend((r.server.host, r.server.port) for r in (upstream, proxy))
            raise AssertionError("a check that failed mid-test")

    with pytest.raises(AssertionError, match="a check that failed mid-test"):
        run_on(main())
    for address in addresses:  # both listeners are closed: the test ended cleanly
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=DEADLINE).close()


@pytest.mark.parametrize("upstream", ["nope", "host:", ":80", "host:0", "host:65536", "host:x"])
def test_a_malformed_upstream_is_a_config_error(upstream: str) -> None:
    with pytest.raises(ValueError, match="upstream must be HOST:PORT"):
        ServerConfig(upstream=upstream)


@pytest.mark.parametrize("protocol", ["http", "echo"])
def test_netmodels_serve_upstream_end_to_end(protocol: str) -> None:
    from tests.conformance._client import Client, request
    from tests.conformance._server import Server, Target

    target = Target("function")
    upstream = Server.start(target, "--protocol", protocol)
    try:
        host, port = upstream.address
        proxy = Server.start(target, "--protocol", protocol, "--upstream", f"{host}:{port}")
        try:
            client = Client(proxy.address)
            try:
                if protocol == "http":
                    response = client.exchange(request("POST", "/echo", body=b"through the proxy"))
                    assert (response.status, response.body) == (200, b"through the proxy")
                else:
                    client.send(b"through the proxy")
                    client.shutdown_write()
                    assert client.read_until_eof() == b"through the proxy"
            finally:
                client.close()
        finally:
            assert proxy.stop() == 0
    finally:
        assert upstream.stop() == 0
