# Many connections at once: 1000 clients, all open together, 10 keep-alive requests each.
#
# The client is asyncio (one thread, so the test itself needs no 1000 threads), bounded by one
# overall deadline. Nothing is timed: the test checks that every request is answered correctly,
# and that the server's open-connection gauge follows the clients.
"""Conformance: 1000 concurrent connections x 10 requests (slow)."""

from __future__ import annotations

import asyncio
import resource

import pytest

from tests.conformance._client import wait_until
from tests.conformance._matrix import per_variant
from tests.conformance._metrics import scrape
from tests.conformance._server import ServeFactory, Target

CONNECTIONS = 1000
REQUESTS = 10
DEADLINE = 120.0

pytestmark = [per_variant, pytest.mark.slow, pytest.mark.timeout(DEADLINE + 60)]


def _raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head, await reader.readexactly(length)


class _Fleet:
    """Many keep-alive connections, opened together and kept open until `close`."""

    def __init__(self) -> None:
        self.streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def open(self, host: str, port: int, count: int) -> None:
        opened = await asyncio.gather(
            *(asyncio.open_connection(host, port) for _ in range(count)), return_exceptions=True
        )
        self.streams = [s for s in opened if not isinstance(s, BaseException)]
        failures = [s for s in opened if isinstance(s, BaseException)]
        assert not failures, f"{len(failures)} of {count} connects failed: {failures[0]!r}"

    async def round(self, number: int) -> None:
        """One request on every connection, all in flight together; check every answer."""

        async def one(
            index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            body = b"c%d r%d" % (index, number)
            writer.write(
                b"POST /echo HTTP/1.1\r\nHost: load\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            head, answer = await _read_response(reader)
            assert head.startswith(b"HTTP/1.1 200 "), head
            assert answer == body

        await asyncio.gather(*(one(i, r, w) for i, (r, w) in enumerate(self.streams)))

    async def close(self) -> None:
        for _, writer in self.streams:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for _, w in self.streams), return_exceptions=True)


def test_thousand_connections_ten_requests_each(serve: ServeFactory, target: Target) -> None:
    _raise_open_file_limit(CONNECTIONS + 100)
    s = serve("--admin-port", "0")
    admin = s.admin
    assert admin is not None
    host, port = s.address

    async def scenario() -> None:
        fleet = _Fleet()
        try:
            await fleet.open(host, port, CONNECTIONS)
            await fleet.round(0)
            opened = scrape(admin).value("netmodels_connections_open")
            assert opened == CONNECTIONS, f"connections_open says {opened}"
            for number in range(1, REQUESTS):
                await fleet.round(number)
        finally:
            await fleet.close()

    asyncio.run(asyncio.wait_for(scenario(), DEADLINE))
    wait_until(
        lambda: scrape(admin).value("netmodels_connections_open") == 0,
        what="netmodels_connections_open back to 0 after the clients left",
    )
