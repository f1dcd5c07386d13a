# The server binding: bytes on asyncio transports in, a Service called per request, bytes out.
#
# Rules of this file: the binding owns everything the service must not see - sockets, the codec
# (the shared sans-I/O connection: "parse" and "encode" of the lecture's slides), the order of
# pipelined answers, the connection's own timeouts, back-pressure and closing - and nothing the
# service decides. Per connection it asks the codec for one request at a time, calls the service
# on it, and writes the reply when it comes, so pipelined answers leave in request order.
#
# Bounds (with `--backpressure on`): a connection whose output is above the high-water mark is
# neither read nor served until it falls below the low one; and while its current request is
# being served, a connection that already holds another parsed request is not read either, so a
# client pipelining faster than it is served costs at most one receive of parsed requests.
"""`serve(codec, service, config)`: run a Service on asyncio transports; `FunctionServer`."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar, cast

from .. import sockets
from ..config import ServerConfig
from ..protocol import RequestError, Response, Timer
from ..protocol.routes import error_response
from ..stats import Counters, ServerStatistics
from ._eager import start_eagerly
from ._futures import within
from ._service import Service

log = logging.getLogger("netmodels.function")

Req = TypeVar("Req")
Rep = TypeVar("Rep")
Req_co = TypeVar("Req_co", covariant=True)
Rep_contra = TypeVar("Rep_contra", contravariant=True)


class Codec(Protocol[Req_co, Rep_contra]):
    """One connection's parse and encode functions, with its state: what the shared
    `HttpConnection` (Request -> Response) and `EchoConnection` (EchoData -> EchoData) are.

    A request stream that breaks the rules yields a `RequestError`, answered by the binding
    with a `Response` (never reaching the service), hence `send` takes one too.
    """

    def receive_data(self, data: bytes) -> None: ...
    def next_event(self) -> Req_co | RequestError | None: ...
    def send(self, reply: Rep_contra | Response) -> bytes: ...
    @property
    def pending(self) -> int: ...
    @property
    def done(self) -> bool: ...
    def timer(self) -> Timer | None: ...
    def expire(self, token: int) -> bytes | None: ...


class _Shared(Generic[Req, Rep]):
    """What the connections of one server share."""

    def __init__(
        self,
        new_codec: Callable[[], Codec[Req, Rep]],
        service: Service[Req, Rep],
        config: ServerConfig,
        counters: Counters,
    ) -> None:
        self.new_codec = new_codec
        self.service = service
        self.config = config
        self.counters = counters
        self.loop = asyncio.get_running_loop()
        # One receive buffer for all connections of the server, `--receive-size` bytes: every
        # impl asks the kernel for the same amount per read (the loops' defaults differ), and
        # what is read is copied out at once, before any other connection can read.
        self.receive_buffer = memoryview(bytearray(config.receive_size))
        self.connections: set[_Connection[Req, Rep]] = set()
        self.stopping = False
        self.all_closed = asyncio.Event()

    def admit(self, connection: _Connection[Req, Rep]) -> bool:
        counters = self.counters
        if self.stopping or counters.connections_open >= self.config.max_connections:
            counters.rejected["max_connections"] += 1
            return False
        counters.connections_open += 1
        self.connections.add(connection)
        return True

    def forget(self, connection: _Connection[Req, Rep]) -> None:
        self.connections.discard(connection)
        self.counters.connections_open -= 1
        if self.stopping and not self.connections:
            self.all_closed.set()


class _Connection(asyncio.BufferedProtocol, Generic[Req, Rep]):
    """One connection: transport callbacks in, service calls out."""

    def __init__(self, shared: _Shared[Req, Rep]) -> None:
        self._shared = shared
        self._loop = shared.loop
        self._service = shared.service
        self._backpressure = shared.config.backpressure
        self.codec = shared.new_codec()
        self.transport: asyncio.Transport | None = None
        self.reading_paused = False  # read racily by statistics()
        self._writing_paused = False
        self._call: asyncio.Task[Rep] | None = None  # the request being served, if it waits
        self._finishing = False
        self._lost = False
        self._peer_eof = False
        # The connection's timeout. One call_at handle serves many Timers: a new Timer due later
        # than the armed handle leaves it alone, and the handle re-arms when it fires (a
        # keep-alive request then costs no cancel + call_at pair).
        self._timer: Timer | None = None
        self._deadline = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._handle_due = 0.0
        self._linger: asyncio.TimerHandle | None = None

    # --- transport callbacks ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport has the asyncio.Transport methods but not the base class.
        self.transport = transport = cast(asyncio.Transport, transport)
        if not self._shared.admit(self):
            self._lost = True  # never admitted: nothing to forget later
            transport.close()
            return
        config = self._shared.config
        if self._backpressure:
            transport.set_write_buffer_limits(config.write_high_water, config.write_low_water)
        if not config.tcp_nodelay:  # both loops disable Nagle by default
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        self._sync_timer()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._shared.receive_buffer

    def buffer_updated(self, nbytes: int) -> None:
        if self._finishing:
            return  # lingering: input is drained and dropped
        self.codec.receive_data(bytes(self._shared.receive_buffer[:nbytes]))
        self._pump()

    def eof_received(self) -> bool:
        self._peer_eof = True
        if self._finishing:
            return False  # the transport closes once our output is flushed
        self.codec.receive_data(b"")
        self._pump()
        return True  # our side stays open: answers to what was received may be pending

    def pause_writing(self) -> None:
        if self._backpressure and not self._finishing:
            self._writing_paused = True
            self._sync_reading()

    def resume_writing(self) -> None:
        if self._finishing:
            self._flushed()
        elif self._writing_paused:
            self._writing_paused = False
            self._pump()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost:
            return
        self._lost = True
        for handle in (self._handle, self._linger):
            if handle is not None:
                handle.cancel()
        if self._call is not None:
            self._call.cancel()  # the interrupt: it travels inward through every filter
        self._shared.forget(self)

    # --- serving ----------------------------------------------------------------------------
    def _pump(self) -> None:
        """Serve parsed requests in order, as long as nothing holds the connection back."""
        codec = self.codec
        shared = self._shared
        try:
            while not (self._call or self._writing_paused or shared.stopping or self._lost):
                event = codec.next_event()
                if event is None:
                    break
                if isinstance(event, RequestError):
                    self._write(codec.send(error_response(event)))
                    shared.counters.requests_total += 1
                    continue
                outcome = start_eagerly(self._service(event), self._loop)
                if isinstance(outcome, asyncio.Task):
                    self._call = outcome
                    outcome.add_done_callback(self._answered)
                    break
                self._write(codec.send(outcome))
            self._after_step()
        except Exception:
            self._fail()

    def _answered(self, call: asyncio.Task[Rep]) -> None:
        self._call = None
        if call.cancelled() or self._lost:
            return
        try:
            self._write(self.codec.send(call.result()))
        except Exception:
            self._fail()
            return
        self._pump()

    def _write(self, data: bytes) -> None:
        assert self.transport is not None
        if data:
            self.transport.write(data)

    def _after_step(self) -> None:
        if self._call is None and (self.codec.done or self._shared.stopping):
            self._finish()
        else:
            self._sync_reading()
            self._sync_timer()

    def _sync_reading(self) -> None:
        if not self._backpressure or self.transport is None:
            return
        hold = self._writing_paused or (self._call is not None and self.codec.pending > 0)
        if hold != self.reading_paused:
            self.reading_paused = hold
            if hold:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    # --- the connection's timeout (timers are data: the codec says which should run) --------
    def _sync_timer(self) -> None:
        timer = self.codec.timer()
        if timer is self._timer:
            return
        self._timer = timer
        if timer is None:
            return  # an armed handle finds nothing to expire when it fires
        self._deadline = deadline = self._loop.time() + timer.seconds
        if self._handle is not None:
            if self._handle_due <= deadline:
                return  # it fires first, and re-arms for this timer then
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
        if self._deadline > self._handle_due:  # a later timer replaced the one armed for
            self._arm(self._deadline)
            return
        data = self.codec.expire(timer.token)
        if data is not None:
            self._write(data)  # a 408, or nothing for an idle connection
            self._after_step()

    # --- closing ----------------------------------------------------------------------------
    def stop(self) -> None:
        """The server is stopping: finish now if idle, else right after the current answer."""
        if self._call is None:
            self._finish()

    def abort(self) -> None:
        """Close at once, dropping unsent output and interrupting the request being served."""
        if self.transport is not None:
            self.transport.abort()

    def _finish(self) -> None:
        """Half-close after the last answer, drain input, close after `linger_timeout`.

        Closing with unread input makes the kernel send a reset, and the client could lose the
        answer (a 413, say) before reading it; a half-close lets it read to the end.
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
        # Watermarks of zero make resume_writing mean "everything is flushed": the linger
        # period starts then, not while a large answer is still going out.
        transport.set_write_buffer_limits(high=0, low=0)
        if transport.get_write_buffer_size() == 0:
            self._flushed()

    def _flushed(self) -> None:
        if self._linger is None and not self._lost:
            assert self.transport is not None
            self._linger = self._loop.call_later(
                self._shared.config.linger_timeout, self.transport.close
            )

    def _fail(self) -> None:
        log.exception("connection failed; closing it")
        self.abort()

    def buffered_bytes(self) -> int:
        """Output accepted by the transport and not yet taken by the kernel."""
        transport = self.transport
        return 0 if transport is None or self._lost else transport.get_write_buffer_size()


class FunctionServer(Generic[Req, Rep]):
    """A listening server made by `serve`: its address, statistics and graceful stop."""

    def __init__(self, shared: _Shared[Req, Rep], listener: asyncio.Server, sock: socket.socket):
        self._shared = shared
        self._listener = listener
        self.host: str = sock.getsockname()[0]
        self.port: int = sock.getsockname()[1]

    @property
    def counters(self) -> Counters:
        """The tallies this server shares with its StatsFilter."""
        return self._shared.counters

    def statistics(self) -> ServerStatistics:
        """A snapshot; safe from any thread (it copies the connection set in one C call and
        reads plain ints, never calling into the loop, which is not thread-safe)."""
        connections = tuple(self._shared.connections)
        return self._shared.counters.snapshot(
            queue_depths={"pipeline": sum(c.codec.pending for c in connections)},
            buffered_bytes_out=sum(c.buffered_bytes() for c in connections),
            reading_paused_connections=sum(c.reading_paused for c in connections),
        )

    async def stop(self) -> None:
        """Stop accepting; let requests being served finish for up to `config.grace` seconds
        (idle connections close at once); then abort what is left."""
        shared = self._shared
        self._listener.close()
        shared.stopping = True
        if shared.connections:
            for connection in list(shared.connections):
                connection.stop()
            try:
                await within(shared.all_closed.wait(), shared.config.grace)
            except TimeoutError:
                log.warning("grace period over: aborting %d connection(s)", len(shared.connections))
                for connection in list(shared.connections):
                    connection.abort()
                await shared.all_closed.wait()  # abort() reports connection_lost promptly


async def serve(
    codec: Callable[[], Codec[Req, Rep]],
    service: Service[Req, Rep],
    config: ServerConfig,
    *,
    counters: Counters | None = None,
) -> FunctionServer[Req, Rep]:
    """Listen on `config.host:config.port` and answer every request with `service`.

    Args:
        codec: makes one connection's codec (e.g. `lambda: HttpConnection(config, encoder)`).
        service: the whole server, filters included; called once per request.
        config: listening, timeouts, limits and back-pressure settings.
        counters: tallies to update (share them with a StatsFilter); new ones if None.

    Returns:
        The running server; `await server.stop()` ends it.
    """
    shared = _Shared(codec, service, config, counters if counters is not None else Counters())
    sock = sockets.listen(config)
    listener = await shared.loop.create_server(
        # backlog: create_server calls listen() again, with its own default unless told
        lambda: _Connection(shared),
        sock=sock,
        backlog=config.backlog,
    )
    return FunctionServer(shared, listener, sock)
