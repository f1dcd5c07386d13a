# One connection of the callback-style server: the transport calls us, we drive the shared layer.
#
# Rules of this file: the loop owns the socket and calls the methods of `asyncio.BufferedProtocol`
# (connection_made; get_buffer + buffer_updated, which are libuv's alloc_cb + read_cb;
# eof_received; pause_writing, resume_writing; connection_lost). The methods here never block
# and never wait - what takes time is handed back to the loop as a callback (`call_later` for
# /delay and timeouts, an executor future for /work). Every callback that enters from the loop
# catches its own exceptions, so a failing connection is logged and closed while the server
# serves on.
"""`ConnectionProtocol`: asyncio BufferedProtocol callbacks over the sans-I/O `Connection`."""

from __future__ import annotations

import asyncio
import logging
import socket
from concurrent.futures import Future
from typing import TYPE_CHECKING, cast

from impls.protocol import (
    Delay,
    EchoData,
    HttpEvent,
    Request,
    Response,
    Timer,
    Work,
    dispatch,
    new_connection,
    overloaded,
    spin,
    work_response,
)

if TYPE_CHECKING:
    from .callbacks_server import CallbackServer

log = logging.getLogger("netmodels.eventloop.callbacks")


class ConnectionProtocol(asyncio.BufferedProtocol):
    """The callbacks of one connection.

    A BufferedProtocol rather than a Protocol so that a read asks for `config.receive_size`
    bytes, as in every other impl; with `data_received` the loop picks the size (256 KiB in
    both loops). The price, measured on GET /ping: 0.15 µs of 5.3 µs of Python per request.

    Life of a connection: open (serving requests in order) -> finishing (the last answer is
    queued, our side half-closed, input drained and discarded) -> lost. Back-pressure is the
    transport's own: above the high watermark it calls `pause_writing`, and we stop reading and
    stop taking pipelined requests until `resume_writing`.
    """

    def __init__(self, server: CallbackServer) -> None:
        self._server = server
        self._loop = server.loop
        self.conn = new_connection(server.config, server.encoder)
        self.transport: asyncio.Transport | None = None
        self.reading_paused = False  # by back-pressure (read racily by statistics())
        self._busy = False  # a /delay or offloaded /work is out: its answer comes first
        self._finishing = False
        self._lost = False
        self._peer_eof = False
        # The connection's timeout (timers are data: conn.timer() says which one should run).
        # One call_later handle serves many Timers: a Timer that is due later than the armed
        # handle leaves it alone, and the handle re-arms itself when it fires. A keep-alive
        # request thus costs a comparison (0.1 µs), not a cancel + call_at pair (2.5 µs on
        # uvloop, 2 µs on the stock loop; timed in a running loop).
        self._timer: Timer | None = None  # the Timer the connection wants now
        self._deadline = 0.0  # loop time at which `_timer` expires
        self._handle: asyncio.TimerHandle | None = None
        self._handle_due = 0.0
        self._handle_for: Timer | None = None  # the Timer `_handle` was armed for
        self._delay: asyncio.TimerHandle | None = None  # the pending /delay answer
        self._linger: asyncio.TimerHandle | None = None

    # --- called by the transport ------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport has the asyncio.Transport methods but not the base class.
        self.transport = transport = cast(asyncio.Transport, transport)
        server = self._server
        if not server.admit(self):
            self._lost = True  # never admitted: nothing to serve and nothing to forget
            transport.close()
            return
        config = server.config
        try:
            if config.backpressure:
                transport.set_write_buffer_limits(
                    high=config.write_high_water, low=config.write_low_water
                )
            if not config.tcp_nodelay:  # both loops turn Nagle off by themselves
                sock = transport.get_extra_info("socket")
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            self._sync_timer()
        except Exception:
            self._fail()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._server.receive_buffer

    def buffer_updated(self, nbytes: int) -> None:
        if self._finishing or self._lost:
            return  # lingering: input is drained and dropped
        try:
            # A copy: the buffer is the server's, and the next read on any connection reuses it.
            self.conn.receive_data(bytes(self._server.receive_buffer[:nbytes]))
            self._pump()
        except Exception:
            self._fail()

    def eof_received(self) -> bool:
        self._peer_eof = True
        if self._finishing or self._lost:
            return False  # the transport closes once our output is flushed
        try:
            self.conn.receive_data(b"")
            self._pump()
        except Exception:
            self._fail()
            return False
        return True  # keep our side open: answers to what was received may still be pending

    def pause_writing(self) -> None:
        if self._finishing or not self._server.config.backpressure:
            return
        assert self.transport is not None
        self.reading_paused = True
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self._finishing:
            self._flushed()
            return
        if not self.reading_paused:
            return
        assert self.transport is not None
        self.reading_paused = False
        self.transport.resume_reading()
        try:
            self._pump()
        except Exception:
            self._fail()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost:
            return
        self._lost = True
        for handle in (self._handle, self._linger):
            if handle is not None:
                handle.cancel()
        if self._delay is not None:  # its callback will not run: settle its counts here
            self._delay.cancel()
            self._delay = None
            self._server.delays_pending -= 1
            self._server.counters.inflight -= 1
        self._server.forget(self)

    # --- called by the server ---------------------------------------------------------------
    def stop(self) -> None:
        """The server is stopping: finish now if idle, else right after the current answer."""
        if not (self._busy or self._finishing or self._lost):
            try:
                self._finish()
            except Exception:  # one connection must not keep the others from stopping
                self._fail()

    def abort(self) -> None:
        """Close at once, dropping unsent output (the grace period is over)."""
        if self.transport is not None:
            self.transport.abort()

    def buffered_bytes(self) -> int:
        """Output accepted by the transport and not yet taken by the kernel.

        Called by `statistics()` on the admin thread: both loops answer from plain fields
        (a bytearray's length; uvloop's C counters, read while holding the GIL), not a loop call.
        """
        transport = self.transport
        return 0 if transport is None or self._lost else transport.get_write_buffer_size()

    # --- serving ----------------------------------------------------------------------------
    def _pump(self) -> None:
        """Serve complete requests in order while output is below the high watermark."""
        conn = self.conn
        server = self._server
        while not (self.reading_paused or self._busy or server.stopping):
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
                if server.pool is None:
                    self._answer(work_response(spin(iterations)))
                    return
                self._busy = True
                counters.inflight += 1
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

    # --- the connection's timeout -----------------------------------------------------------
    def _sync_timer(self) -> None:
        timer = self.conn.timer()
        if timer is self._timer:
            return
        self._timer = timer
        if timer is None:
            return  # the armed handle, if any, finds nothing to expire when it fires
        self._deadline = deadline = self._loop.time() + timer.seconds
        if self._handle is not None:
            if self._handle_due <= deadline:
                return  # it fires first and re-arms for `timer` then
            self._handle.cancel()
        self._arm(timer, deadline)

    def _arm(self, timer: Timer, deadline: float) -> None:
        self._handle_for = timer
        self._handle_due = deadline
        self._handle = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._handle = None
        timer = self._timer
        if timer is None or self._finishing or self._lost:
            return
        if timer is not self._handle_for:  # replaced by a later one since this was armed
            self._arm(timer, self._deadline)
            return
        try:
            data = self.conn.expire(timer.token)
            if data is None:
                return
            assert self.transport is not None
            self.transport.write(data)  # a 408, or nothing for an idle connection
            self._after_step()
        except Exception:
            self._fail()

    # --- closing ----------------------------------------------------------------------------
    def _finish(self) -> None:
        """Half-close after the last answer, drain input, close after `linger_timeout`.

        Closing with unread input would make the kernel send a reset, and the client could lose
        the answer (a 413, say) before reading it; a half-close lets it read to the end.
        """
        if self._finishing or self._lost:
            return
        self._finishing = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        transport = self.transport
        assert transport is not None
        if self._peer_eof:
            transport.close()  # flushes the output first; nothing left to drain
            return
        transport.write_eof()  # sent once the output is flushed
        if self.reading_paused:
            self.reading_paused = False
            transport.resume_reading()
        # Watermarks of zero turn resume_writing into "everything is flushed": the linger
        # period starts then, not while a large answer is still going out.
        transport.set_write_buffer_limits(high=0, low=0)
        if transport.get_write_buffer_size() == 0:
            self._flushed()

    def _flushed(self) -> None:
        if self._linger is None and not self._lost:
            assert self.transport is not None
            self._linger = self._loop.call_later(
                self._server.config.linger_timeout, self.transport.close
            )

    def _fail(self) -> None:
        log.exception("connection failed; closing it")
        if self.transport is not None:
            self.transport.abort()
