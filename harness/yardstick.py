# The yardstick: the least a uvloop + httptools server does for GET /ping. No routing, limits,
# timeouts or checks - one fixed response per parsed request. Its headers have the same names and
# lengths as netmodels' own, so both put the same bytes on the wire. It is what
# `netmodels ping` compares every impl with, and the fastest target `netmodels calibrate`
# has: a driver ceiling measured on a slower server would only measure that server.
"""A bare uvloop + httptools server (`python -m harness.yardstick`); prints the ready line."""

import asyncio
import json
import os
import signal
from typing import Any

import httptools
import uvloop

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nserver: netmodels-eventloop-callbacks\r\n"
    b"date: Thu, 01 Jan 2026 00:00:00 GMT\r\ncontent-length: 4\r\n"
    b"content-type: text/plain\r\n\r\nPONG"
)


class Bare(asyncio.Protocol):
    def connection_made(self, transport: Any) -> None:
        self.transport, self.parser = transport, httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_complete(self) -> None:
        self.transport.write(RESPONSE)


async def main() -> None:
    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    server = await loop.create_server(Bare, "127.0.0.1", 0, backlog=1024)
    host, port = server.sockets[0].getsockname()[:2]
    line = {"impl": "bare", "protocol": "http", "listening": f"{host}:{port}", "admin": None}
    print(json.dumps({**line, "pid": os.getpid()}), flush=True)
    await stop.wait()


if __name__ == "__main__":
    uvloop.run(main())
