# The stall target: the yardstick (harness/yardstick.py) with a stop-the-world pause. Every
# --period-ms its event loop freezes for --stall-ms. The freeze is a blocking `time.sleep` on the
# loop thread, and that is the point: it stands for a GC pause or any stop-the-world stall -
# nothing is accepted, read or answered while it lasts, and what arrives meanwhile waits in the
# kernel's buffers. It is the server of the coordinated-omission experiment: a closed-loop driver
# charges a stall to the few requests that were in flight, an open-loop driver to every request
# the stall delayed (docs/harness.md, "The driver").
#
# Rules of this file: every request gets the yardstick's exact bytes (a test pins them equal),
# except `GET /stalls`, which answers the number of stalls finished so far - so a test can see
# that a stall happened without timing one. Stalls are on a fixed grid from the start (start +
# k * period), so a late stall does not shift the ones after it.
"""The stall target (`python -m harness.targets.stall --stall-ms S --period-ms P`)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from collections.abc import Sequence
from typing import Any, cast

import httptools
import uvloop

from harness.targets._program import LOOPBACK, announce

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nserver: netmodels-eventloop-callbacks\r\n"
    b"date: Thu, 01 Jan 2026 00:00:00 GMT\r\ncontent-length: 4\r\n"
    b"content-type: text/plain\r\n\r\nPONG"
)
"""The yardstick's answer, byte for byte (copied: targets import no other harness module)."""

STALLS_PATH = b"/stalls"
"""The one path that is not answered `PONG`: it answers the stall count."""

BACKLOG = 1024
"""The yardstick's backlog: during a stall, arriving connections wait in it."""


class Stalls:
    """Freezes the loop for `stall_s` seconds every `period_s` seconds; counts the stalls."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stall_s: float, period_s: float) -> None:
        self.loop, self.stall_s, self.period_s = loop, stall_s, period_s
        self.count = 0
        self._due = loop.time() + period_s
        self._timer = loop.call_at(self._due, self._stall)

    def _stall(self) -> None:
        time.sleep(self.stall_s)  # blocks the loop thread on purpose: this is the stall
        self.count += 1
        self._due += self.period_s
        self._timer = self.loop.call_at(self._due, self._stall)

    def cancel(self) -> None:
        """No more stalls."""
        self._timer.cancel()


class Stalling(asyncio.Protocol):
    """One connection: every parsed request is answered `PONG` (or the count, for /stalls)."""

    def __init__(self, stalls: Stalls) -> None:
        self.stalls = stalls
        self.url = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.parser: Any = httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url  # llhttp may hand the URL over in pieces

    def on_message_complete(self) -> None:
        url, self.url = self.url, b""
        if url == STALLS_PATH:
            body = str(self.stalls.count).encode()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\ncontent-type: text/plain\r\n\r\n%s"
                % (len(body), body)
            )
        else:
            self.transport.write(RESPONSE)


async def serve(stall_s: float, period_s: float) -> None:
    """Serve until SIGTERM, stalling as configured; prints the ready line once listening."""
    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    stalls = Stalls(loop, stall_s, period_s)
    server = await loop.create_server(lambda: Stalling(stalls), LOOPBACK, 0, backlog=BACKLOG)
    announce("stall", server.sockets[0].getsockname())
    try:
        await stop.wait()
    finally:
        stalls.cancel()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options; exits with status 2 (argparse) on a bad one."""
    parser = argparse.ArgumentParser(prog="python -m harness.targets.stall", description=__doc__)
    parser.add_argument("--stall-ms", type=float, default=100.0, help="length of a stall")
    parser.add_argument("--period-ms", type=float, default=1000.0, help="one stall per period")
    args = parser.parse_args(argv)
    if args.period_ms <= 0 or not 0 <= args.stall_ms < args.period_ms:
        parser.error("need 0 <= --stall-ms < --period-ms (a longer stall would never end)")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the stall target."""
    args = parse_args(argv)
    uvloop.run(serve(args.stall_ms / 1000, args.period_ms / 1000))


if __name__ == "__main__":
    main()
