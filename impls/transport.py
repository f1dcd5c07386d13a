# One connection on an asyncio transport, served from one sans-I/O connection: the transport side
# that every impl on asyncio transports does the same way, written once (eventloop-callbacks and
# the function binding subclass it).
#
# Rules of this file: `SansIOProtocol` owns the transport and none of the serving. It owns
#   - the receive buffer: `--receive-size` bytes per read, shared by a server's connections;
#   - back-pressure: the write watermarks, and reading paused while the output is above them;
#   - the connection's timeout: `conn.timer()` followed lazily by one loop handle, and
#     `conn.expire()` when it fires;
#   - the end: half-close, drain, linger, close; or log and abort when something fails.
# What a request becomes is the subclass's, in its model's idiom. A subclass provides
#   `_admit()`      count the new connection in at its server (False refuses it);
#   `_pump()`       serve what `conn` has parsed, ending with `_after_step()`;
#   `_after_step()` `_finish()` if nothing is left to serve, else `_sync_timer()`;
#   `_release()`    the connection is gone: settle what is in flight, count it out;
# and may add reasons to stop reading by overriding `_sync_reading()`. Every method the loop calls
# catches its own exceptions, so a failing connection is logged and aborted while the server serves
# on; the subclass's own callbacks do the same.
"""`SansIOProtocol`: the asyncio BufferedProtocol side of one sans-I/O connection."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import ClassVar, Generic, Protocol, TypeVar, cast

from impls.config import ServerConfig
from impls.protocol import Timer


class SansIOConnection(Protocol):
    """What the transport side asks of a connection state machine (`HttpConnection`,
    `EchoConnection`): bytes in (and any to send at once), the timer it wants armed, and how
    many parsed requests wait (for the statistics)."""

    def receive_data(self, data: bytes) -> bytes: ...
    def timer(self) -> Timer | None: ...
    def expire(self, token: int) -> bytes | None: ...
    @property
    def pending(self) -> int: ...


C = TypeVar("C", bound=SansIOConnection)


def receive_buffer(config: ServerConfig) -> memoryview:
    """The buffer every read of one server's connections lands in: `config.receive_size` bytes.

    One buffer for all connections is enough: the loop runs one callback at a time, and
    `buffer_updated` copies a read out before any other connection can read. The size is the
    setting's, so every impl asks the kernel for the same amount per read (the loops' own
    default is 256 KiB in both).
    """
    return memoryview(bytearray(config.receive_size))


class SansIOProtocol(asyncio.BufferedProtocol, Generic[C]):
    """The transport callbacks of one connection, over the sans-I/O `conn`.

    A BufferedProtocol rather than a Protocol so that a read asks for `config.receive_size`
    bytes, as in every other impl; with `data_received` the loop picks the size. The price,
    measured on GET /ping with eventloop-callbacks: 0.15 µs of 5.3 µs of Python per request.

    Life of a connection: open (the subclass serves) -> finishing (the last answer is queued, our
    side half-closed, input drained and discarded) -> lost. Above the high watermark the
    transport calls `pause_writing`, and reading stops until `resume_writing`.

    Args:
        conn: the connection's state machine (the codec), fresh.
        config: every setting.
        loop: the loop the transport runs on.
        buffer: the server's receive buffer (`receive_buffer(config)`).
    """

    _log: ClassVar[logging.Logger] = logging.getLogger(__name__)

    def __init__(
        self, conn: C, config: ServerConfig, loop: asyncio.AbstractEventLoop, buffer: memoryview
    ) -> None:
        self.conn = conn
        self._config = config
        self._loop = loop
        self._buffer = buffer
        self._backpressure = config.backpressure
        self.transport: asyncio.Transport | None = None
        self.reading_paused = False  # read racily by statistics()
        self._writing_paused = False  # the output is above the high watermark
        self._finishing = False
        self._lost = False
        self._peer_eof = False
        # The connection's timeout (timers are data: conn.timer() says which one should run).
        # One call_at handle serves many Timers: a Timer due later than the armed handle leaves
        # it alone, and the handle re-arms itself when it fires. A keep-alive request thus costs
        # a comparison (0.1 µs), not a cancel + call_at pair (2.5 µs on uvloop, 2 µs on the
        # stock loop; timed in a running loop).
        self._timer: Timer | None = None  # the Timer the connection wants now
        self._deadline = 0.0  # loop time at which `_timer` expires
        self._handle: asyncio.TimerHandle | None = None
        self._handle_due = 0.0  # loop time at which `_handle` fires
        self._linger: asyncio.TimerHandle | None = None

    # --- what a subclass provides -----------------------------------------------------------
    def _admit(self) -> bool:
        """Count this new connection in at the server; False refuses it (it is closed)."""
        raise NotImplementedError

    def _pump(self) -> None:
        """Serve what `conn` has parsed, as far as the model allows; then `_after_step()`."""
        raise NotImplementedError

    def _after_step(self) -> None:
        """After `conn` advanced: `_finish()` if nothing is left to serve, else `_sync_timer()`."""
        raise NotImplementedError

    def _release(self) -> None:
        """The admitted connection is lost: settle what is in flight, count it out."""
        raise NotImplementedError

    # --- called by the transport ------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport has the asyncio.Transport methods but not the base class.
        self.transport = transport = cast(asyncio.Transport, transport)
        if not self._admit():
            self._lost = True  # never admitted: nothing to serve and nothing to release
            transport.close()
            return
        config = self._config
        try:
            if self._backpressure:
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
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        if self._finishing or self._lost:
            return  # lingering: input is drained and dropped
        try:  # a copy: the buffer is the server's, and the next read on any connection reuses it
            if interim := self.conn.receive_data(bytes(self._buffer[:nbytes])):
                cast(asyncio.Transport, self.transport).write(interim)  # a 100 Continue, first
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
        if self._backpressure and not self._finishing:
            self._writing_paused = True
            self._sync_reading()

    def resume_writing(self) -> None:
        if self._finishing:
            self._flushed()  # the watermarks are zero now: everything is out
        elif self._writing_paused:
            self._writing_paused = False
            try:
                self._sync_reading()
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
        self._release()

    # --- called by the server ---------------------------------------------------------------
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

    # --- back-pressure ----------------------------------------------------------------------
    def _sync_reading(self) -> None:
        """Read unless the output is above the high watermark (a subclass may add reasons)."""
        if self._writing_paused != self.reading_paused:
            self._hold_reading(self._writing_paused)

    def _hold_reading(self, hold: bool) -> None:
        assert self.transport is not None
        self.reading_paused = hold
        if hold:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()

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
        self._arm(deadline)

    def _arm(self, deadline: float) -> None:
        self._handle_due = deadline
        self._handle = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._handle = None
        timer = self._timer
        if timer is None or self._finishing or self._lost:
            return
        if self._deadline > self._handle_due:  # a later Timer replaced the one armed for
            self._arm(self._deadline)
            return
        try:
            data = self.conn.expire(timer.token)
            if data is None:
                return  # stale: the connection has moved on
            if data:  # a 408; nothing for an idle connection
                assert self.transport is not None
                self.transport.write(data)
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
            self._linger = self._loop.call_later(self._config.linger_timeout, self.transport.close)

    def _fail(self) -> None:
        self._log.exception("connection failed; closing it")
        self.abort()

    # --- statistics -------------------------------------------------------------------------
    @property
    def armed_timers(self) -> int:
        """Loop timers this connection holds now: its timeout's handle, its linger (read racily
        by statistics(), as `reading_paused` is)."""
        return (self._handle is not None) + (self._linger is not None)
