# aiohttp, the other widely used asyncio HTTP server: a `web.Application` with one route, on
# uvloop. Unlike uvicorn it parses with its own C parser and calls handlers directly, not through
# ASGI messages, so the two peers bracket what a Python framework costs per request.
#
# Rules of this file: the site runs on a socket this file binds; no access log (the impls keep
# none either); SIGTERM ends the wait and `runner.cleanup()` closes the connections before exit
# with status 0.
"""aiohttp (`python -m harness.targets.aiohttp_app`): GET /ping -> PONG."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

import uvloop
from aiohttp import web

from harness.targets._program import announce, bind_loopback

BACKLOG = 1024
"""The yardstick's backlog (aiohttp's default is 128)."""


async def ping(request: web.Request) -> web.Response:
    """`GET /ping` -> 200 `PONG` (text/plain)."""
    return web.Response(text="PONG")


def make_app() -> web.Application:
    """The application: one route."""
    app = web.Application()
    app.router.add_get("/ping", ping)
    return app


async def serve() -> None:
    """Serve until SIGTERM; prints the ready line once the site has started."""
    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        sock = bind_loopback()
        await web.SockSite(runner, sock, backlog=BACKLOG).start()
        announce("aiohttp", sock.getsockname())
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the aiohttp target; exits with status 2 on any option (it takes none)."""
    argparse.ArgumentParser(
        prog="python -m harness.targets.aiohttp_app", description=__doc__
    ).parse_args(argv)
    uvloop.run(serve())


if __name__ == "__main__":
    main()
