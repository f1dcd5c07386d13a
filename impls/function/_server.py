# The server binding: bytes on asyncio transports in, a Service called per request, bytes out.
#
# Rules of this file: the binding owns everything the service must not see - sockets, the codec
# (the shared sans-I/O connection: "parse" and "encode" of the lecture's slides), the order of
# pipelined answers, the connection's own timeouts, back-pressure and closing - and nothing the
# service decides. Per connection it asks the codec for one request at a time, calls the service
# on it, and writes the reply when it comes, so pipelined answers leave in request order. The
# transport side - receive buffer, watermarks, the connection's timer, half-close and linger - is
# `impls.transport.SansIOProtocol`, shared with eventloop-callbacks; this file adds the calls.
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
from typing import Generic, Protocol, TypeVar

from impls import sockets
from impls.aioserver import Connections
from impls.config import ServerConfig
from impls.function._eager import start_eagerly
from impls.function._futures import within
from impls.function._service import Service
from impls.protocol import RequestError, Response, Timer
from impls.protocol.routes import error_response
from impls.stats import Counters, ServerStatistics
from impls.transport import SansIOProtocol

log = logging.getLogger(__name__)

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

    def receive_data(self, data: bytes) -> bytes: ...
    def next_event(self) -> Req_co | RequestError | None: ...
    def send(self, reply: Rep_contra | Response) -> bytes: ...
    @property
    def pending(self) -> int: ...
    @property
    def done(self) -> bool: ...
    def timer(self) -> Timer | None: ...
    def expire(self, token: int) -> bytes | None: ...


class _Shared(Generic[Req, Rep]):
    """What the connections of one server share: the codec factory, the service, and the
    bookkeeping every asyncio-based server keeps (`impls.aioserver.Connections`)."""

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
        self.all_closed = asyncio.Event()
        self.connections: Connections[_Connection[Req, Rep]] = Connections(
            config, counters, self.loop, on_last_gone=self.all_closed.set
        )
        self.receive_buffer = self.connections.receive_buffer

    @property
    def stopping(self) -> bool:
        return self.connections.stopping


class _Connection(SansIOProtocol[Codec[Req, Rep]], Generic[Req, Rep]):
    """One connection: transport callbacks in (`SansIOProtocol`), service calls out."""

    _log = log

    def __init__(self, shared: _Shared[Req, Rep]) -> None:
        super().__init__(shared.new_codec(), shared.config, shared.loop, shared.receive_buffer)
        self._shared = shared
        self._service = shared.service
        self._call: asyncio.Task[Rep] | None = None  # the request being served, if it waits

    # --- called by the transport (through SansIOProtocol) -----------------------------------
    def _admit(self) -> bool:
        return self._shared.connections.admit(self)

    def _release(self) -> None:  # also after `abort()`, when the grace period is over
        if self._call is not None:
            self._call.cancel()  # the interrupt: it travels inward through every filter
        self._shared.connections.forget(self)

    # --- serving ----------------------------------------------------------------------------
    def _pump(self) -> None:
        """Serve parsed requests in order, as long as nothing holds the connection back."""
        codec = self.conn
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
            self._write(self.conn.send(call.result()))
        except Exception:
            self._fail()
            return
        self._pump()

    def _write(self, data: bytes) -> None:
        assert self.transport is not None
        if data:
            self.transport.write(data)

    def _after_step(self) -> None:
        if self._call is None and (self.conn.done or self._shared.stopping):
            self._finish()
        else:
            self._sync_reading()
            self._sync_timer()

    def _sync_reading(self) -> None:
        """Hold reading above the high watermark, and while a call is out with another request
        already parsed (the bound on pipelining in the module comment)."""
        if not self._backpressure or self.transport is None:
            return
        hold = self._writing_paused or (self._call is not None and self.conn.pending > 0)
        if hold != self.reading_paused:
            self._hold_reading(hold)

    # --- closing ----------------------------------------------------------------------------
    def stop(self) -> None:
        """The server is stopping: finish now if idle, else right after the current answer."""
        if self._call is None:
            self._finish()


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
        """A snapshot; safe from any thread (see `impls.aioserver`). The timers are the
        binding's own; what a call awaits (a /delay's sleep) is the service's business,
        counted only as an in-flight request."""
        return self._shared.connections.statistics()

    def start_lag_probe(self) -> None:
        """Record in the counters, every LOOP_LAG_INTERVAL, how late a timer callback runs."""
        self._shared.connections.start_lag_probe()

    async def stop(self) -> None:
        """Stop accepting; let requests being served finish for up to `config.grace` seconds
        (idle connections close at once); then abort what is left. An `abort` meanwhile ends
        the wait at once."""
        shared = self._shared
        self._listener.close()
        shared.connections.stopping = True
        if shared.connections:
            for connection in shared.connections:
                connection.stop()
            try:
                await within(shared.all_closed.wait(), shared.config.grace)
            except TimeoutError:
                log.warning("grace period over: aborting %d connection(s)", len(shared.connections))
                self.abort()
                await shared.all_closed.wait()  # abort() reports connection_lost promptly

    def abort(self) -> None:
        """Stop accepting and close every connection now, interrupting the calls in flight (a
        second signal during `stop`)."""
        shared = self._shared
        self._listener.close()
        shared.connections.stopping = True
        for connection in shared.connections:
            connection.abort()


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
    if counters is None:
        counters = Counters(("max_connections",))  # what this binding refuses by itself
    shared = _Shared(codec, service, config, counters)
    sock = sockets.listen(config)
    listener = await shared.loop.create_server(
        # backlog: create_server calls listen() again, with its own default unless told
        lambda: _Connection(shared),
        sock=sock,
        backlog=config.backlog,
    )
    return FunctionServer(shared, listener, sock)
