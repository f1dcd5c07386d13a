# One connection of the callback-style server: the transport calls us, we drive the shared layer.
#
# Rules of this file: the loop owns the socket and calls the methods of `asyncio.BufferedProtocol`
# (connection_made; get_buffer + buffer_updated, which are libuv's alloc_cb + read_cb;
# eof_received; pause_writing, resume_writing; connection_lost). The transport side of those -
# receive buffer, watermarks, the connection's timer, half-close and linger - is the shared
# `impls.transport.SansIOProtocol`; this file is what the callback model adds: serving. The
# methods here never block and never wait - what takes time is handed back to the loop as a
# callback (`call_later` for /delay, an executor future for /work). Every callback that enters
# from the loop catches its own exceptions, so a failing connection is logged and closed while the
# server serves on.
"""`ConnectionProtocol`: asyncio BufferedProtocol callbacks over the sans-I/O `Connection`."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING

from impls.protocol import (
    Connection,
    Delay,
    EchoData,
    HttpEvent,
    Request,
    Response,
    Work,
    dispatch,
    new_connection,
    overloaded,
    spin,
    work_response,
)
from impls.transport import SansIOProtocol

if TYPE_CHECKING:
    from impls.eventloop.callbacks.server import CallbackServer


class ConnectionProtocol(SansIOProtocol[Connection]):
    """The callbacks of one connection.

    Serving: requests in order, one at a time; a /delay or offloaded /work is a callback the
    loop runs later (`_delay_over`, `_work_done`), and until it has answered nothing else is
    served. Back-pressure is the transport's own: above the high watermark it calls
    `pause_writing`, and we stop reading and stop taking pipelined requests until
    `resume_writing`.
    """

    _log = logging.getLogger(__name__)

    def __init__(self, server: CallbackServer) -> None:
        config = server.config
        conn = new_connection(config, server.encoder)
        super().__init__(conn, config, server.loop, server.receive_buffer)
        self._server = server
        self._busy = False  # a /delay or offloaded /work is out: its answer comes first
        self._delay: asyncio.TimerHandle | None = None  # the pending /delay answer

    # --- called by the transport (through SansIOProtocol) -----------------------------------
    def _admit(self) -> bool:
        return self._server.connections.admit(self)

    def _release(self) -> None:
        if self._delay is not None:  # its callback will not run: settle its counts here
            self._delay.cancel()
            self._delay = None
            self._server.delays_pending -= 1
            self._server.counters.inflight -= 1
        self._server.connections.forget(self)

    # --- called by the server ---------------------------------------------------------------
    def stop(self) -> None:
        """The server is stopping: finish now if idle, else right after the current answer."""
        if not (self._busy or self._finishing or self._lost):
            try:
                self._finish()
            except Exception:  # one connection must not keep the others from stopping
                self._fail()

    # --- serving ----------------------------------------------------------------------------
    def _pump(self) -> None:
        """Serve complete requests in order while output is below the high watermark."""
        conn = self.conn
        server = self._server
        while not (self._writing_paused or self._busy or server.stopping):
            event = conn.next_event()
            if event is None:
                break
            self._serve(event)
        self._after_step()

    def _serve(self, event: HttpEvent | EchoData) -> None:
        server = self._server
        counters = server.counters
        limit = server.config.max_inflight
        if limit and counters.inflight >= limit and isinstance(event, Request):
            counters.rejected["overload"] += 1
            self._answer(overloaded())
            return
        match dispatch(event):
            case Response() | EchoData() as reply:
                self._answer(reply)
            case Delay(seconds, response):
                self._busy = True
                counters.inflight += 1
                server.delays_pending += 1
                self._delay = self._loop.call_later(seconds, self._delay_over, response)
            case Work(iterations):
                counters.inflight += 1
                if server.pool is None:  # inline: the loop blocks, and the request is in flight
                    try:
                        self._answer(work_response(spin(iterations)))
                    finally:
                        counters.inflight -= 1
                    return
                self._busy = True
                server.offload_pending += 1
                future = self._loop.run_in_executor(server.pool, spin, iterations)
                future.add_done_callback(self._work_done)

    def _answer(self, reply: Response | EchoData) -> None:
        """Send the answer to the event `next_event` handed out last."""
        assert self.transport is not None
        self.transport.write(self.conn.send(reply))
        self._server.counters.requests_total += 1

    def _delay_over(self, response: Response) -> None:
        self._delay = None
        self._server.delays_pending -= 1
        self._server.counters.inflight -= 1
        self._busy = False
        try:
            self._answer(response)
            self._pump()
        except Exception:
            self._fail()

    def _work_done(self, future: asyncio.Future[int] | Future[int]) -> None:
        self._server.offload_pending -= 1
        self._server.counters.inflight -= 1
        self._busy = False
        if self._lost:
            return
        try:
            self._answer(work_response(future.result()))
            self._pump()
        except Exception:
            self._fail()

    def _after_step(self) -> None:
        """After the connection advanced: close if it is done, else keep its timer right.

        Also while a /delay or /work is out: the connection's timer is then None, and a timer
        armed earlier (say, for the request head) must find it so rather than expire.
        """
        if not self._busy and (self.conn.done or self._server.stopping):
            self._finish()
        else:
            self._sync_timer()
