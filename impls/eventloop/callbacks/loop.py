# The event loop, callback style (libuv, Twisted, asyncio's Protocol/Transport layer).
#
# Rules of this model: nobody here ever calls recv() or select(). The loop owns every socket and
# calls us back - `connection_made`, `data_received`, `pause_writing`, a timer's callback - and a
# callback does its bit and returns. Waiting is never a blocked call: it is a callback registered
# for later (`call_later`, a future's done-callback). Compare impls/eventloop/dispatch/loop.py,
# where the loop and its `match` over readiness events are written out by hand.
#
# This file only sets the loop up and tears it down; the per-connection callbacks live in
# protocol.py and the shared state and stop sequence in server.py.
"""`serve`: asyncio Protocol/Transport callbacks on uvloop or on the stock asyncio loop."""

from __future__ import annotations

import signal
from collections.abc import Callable

from impls import offload, sockets
from impls.aioserver import new_loop
from impls.config import ServerConfig
from impls.contract import Listening
from impls.eventloop.callbacks.protocol import ConnectionProtocol
from impls.eventloop.callbacks.server import CallbackServer, log


def serve(config: ServerConfig, ready: Callable[[Listening], None]) -> None:
    """Serve `config` until SIGINT/SIGTERM (see `impls.contract.ServeFunction`)."""
    pool = offload.make_pool(config)
    loop = new_loop(config)
    try:
        state = CallbackServer(config, loop, pool)
        sock = sockets.listen(config)
        listener = loop.run_until_complete(
            # backlog: create_server calls listen() again, with its own default unless told
            loop.create_server(lambda: ConnectionProtocol(state), sock=sock, backlog=config.backlog)
        )

        def on_signal(signum: signal.Signals) -> None:
            if state.stopping:  # the second signal: `stop` again aborts what is in flight
                log.info("%s again: closing every connection now", signum.name)
            else:
                log.info("%s: stop accepting, finishing in-flight requests", signum.name)
                listener.close()
            state.stop(loop.stop)

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        state.connections.start_lag_probe()
        host, port = sock.getsockname()[:2]
        failed: list[BaseException] = []

        def announce() -> None:
            # Called from inside the running loop: uvloop listens to signals only while it runs,
            # so a SIGTERM sent the moment the ready line appears would otherwise be lost.
            try:
                ready(Listening(host, port, state.statistics))
            except BaseException as exc:
                failed.append(exc)
                loop.stop()

        loop.call_soon(announce)
        loop.run_forever()
        if failed:
            raise failed[0]
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        loop.close()
