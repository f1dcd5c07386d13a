# uvicorn, the reference ASGI server, with the smallest app it can run: raw ASGI, no framework,
# on the same uvloop + httptools pair as the yardstick. Its distance from the yardstick is the
# price of the ASGI layer (a task and two `send` messages per request) as uvicorn pays it.
#
# Rules of this file: uvicorn runs in-process (`uvicorn.Server`, not its command line) on a socket
# this file binds, so that the port and the ready line are ours; the ready line is printed only
# after uvicorn's startup. On SIGTERM uvicorn's own handler shuts it down gracefully and then
# re-raises the signal to the handler that was in place before it: ours, which exits with status 0
# as the process contract asks.
"""uvicorn with a raw ASGI app (`python -m harness.targets.asgi`): GET /ping -> PONG."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from types import FrameType
from typing import Any

import uvicorn
import uvloop

from harness.targets._program import announce, bind_loopback

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PONG = (200, [(b"content-type", b"text/plain"), (b"content-length", b"4")], b"PONG")
NOT_FOUND = (404, [(b"content-type", b"text/plain"), (b"content-length", b"9")], b"not found")


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    """The ASGI app: `GET /ping` -> 200 `PONG`, anything else 404."""
    if scope["type"] != "http":  # lifespan is off and websockets are not served
        return
    ping = scope["method"] == "GET" and scope["path"] == "/ping"
    status, headers, body = PONG if ping else NOT_FOUND
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AnnouncingServer(uvicorn.Server):
    """A `uvicorn.Server` that prints the ready line once its startup has finished."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket) -> None:
        super().__init__(config)
        self.sock = sock

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            announce("uvicorn", self.sock.getsockname())


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: Sequence[str] | None = None) -> None:
    """Run uvicorn until SIGTERM; exits with status 2 on any option (it takes none)."""
    argparse.ArgumentParser(prog="python -m harness.targets.asgi", description=__doc__).parse_args(
        argv
    )
    signal.signal(signal.SIGTERM, _exit)
    sock = bind_loopback()
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
    )
    uvloop.run(AnnouncingServer(config, sock).serve(sockets=[sock]))


if __name__ == "__main__":
    main()
