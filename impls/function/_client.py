# Clients are Services too: the same abstraction at the other end of the wire.
#
# Rules of this file: a client is a `Service` whose call sends a request to a peer and completes
# with its reply, so every filter written for servers (timeouts, retries, stats, tracing) stacks
# onto a client unchanged - the paper's symmetry (Eriksen, PLOS'13: "the same abstraction
# represents both clients and servers"). Connections are pooled and reused; one that did not end
# cleanly (a failure, a cancellation, `Connection: close`) is never reused, and one cancelled
# mid-call is aborted, so the peer sees a reset and can interrupt its own work in turn.
"""`HttpClient` and `EchoClient`: Services over pooled asyncio stream connections."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import h11

from impls.function._errors import ServiceClosedError, StaleConnectionError
from impls.function._service import Service, Status
from impls.protocol import EchoData, Request, Response

C = TypeVar("C", bound="_Stream")

_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST

# Headers about one hop, not the message (RFC 9110 s.7.6.1), plus the ones our encoder and h11
# write themselves; a proxy does not copy them from one connection to the other.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
        b"host",
        b"server",
        b"date",
    }
)


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[V6HOST]:PORT` -> (host, port)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class _Stream:
    """One pooled connection."""

    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def usable(self) -> bool:
        return not (self.writer.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        # A reset, not a FIN: over HTTP/1.1 a half-close may still expect its answer, while a
        # reset tells the peer the call was abandoned, so it can interrupt its own work.
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
        self.writer.transport.abort()


class _HttpStream(_Stream):
    __slots__ = ("h11",)

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_header_bytes: int
    ) -> None:
        super().__init__(reader, writer)
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_bytes)


class _Pool(Generic[C]):
    """Idle connections to one peer, most recently used first (it is the likeliest alive)."""

    def __init__(self, address: tuple[str, int], wrap: Callable[..., C]) -> None:
        self._address = address
        self._wrap = wrap
        self._idle: list[C] = []
        self.closed = False

    async def acquire(self) -> tuple[C, bool]:
        """A connection, and whether it is a reused one."""
        if self.closed:
            raise ServiceClosedError("client closed")
        while self._idle:
            stream = self._idle.pop()
            if stream.usable:
                return stream, True
            stream.close()
        reader, writer = await asyncio.open_connection(*self._address)
        return self._wrap(reader, writer), False

    def release(self, stream: C, reusable: bool) -> None:
        """Put `stream` back for reuse, or close it."""
        if reusable and not self.closed:
            self._idle.append(stream)
        else:
            stream.close()

    def close(self) -> None:
        self.closed = True
        for stream in self._idle:
            stream.close()
        self._idle.clear()


class _PooledClient:
    """What both clients do with their connection pool: report it as their status, close it."""

    _pool: _Pool[Any]

    @property
    def status(self) -> Status:
        return Status.CLOSED if self._pool.closed else Status.OPEN

    async def close(self) -> None:
        self._pool.close()


class HttpClient(_PooledClient, Service[Request, Response]):
    """HTTP/1.1 requests to one peer, over pooled keep-alive connections.

    The reply is the peer's response with its hop-by-hop headers dropped, ready to be sent on
    by a proxy (our encoder adds its own Content-Length, Server and Date).

    Args:
        address: (host, port) of the peer.
        receive_size: bytes asked of one read.
        max_header_bytes: the largest response head accepted.
    """

    def __init__(
        self, address: tuple[str, int], *, receive_size: int, max_header_bytes: int
    ) -> None:
        self._authority = f"{address[0]}:{address[1]}".encode("ascii")
        self._receive_size = receive_size
        self._pool: _Pool[_HttpStream] = _Pool(
            address, lambda r, w: _HttpStream(r, w, max_header_bytes)
        )

    async def __call__(self, request: Request) -> Response:
        stream, reused = await self._pool.acquire()
        clean = False
        try:
            response, clean = await self._exchange(stream, request, reused)
        except BaseException:
            stream.abort()  # failed or interrupted half-way: the peer sees a reset
            raise
        finally:
            self._pool.release(stream, clean)
        return response

    async def _exchange(
        self, stream: _HttpStream, request: Request, reused: bool
    ) -> tuple[Response, bool]:
        conn = stream.h11
        headers = [(k, v) for k, v in request.headers if k not in _HOP_BY_HOP]
        headers += [(b"host", self._authority), (b"content-length", b"%d" % len(request.body))]
        data = conn.send(h11.Request(method=request.method, target=request.target, headers=headers))
        data += conn.send(h11.Data(data=request.body)) if request.body else b""
        data += conn.send(h11.EndOfMessage())
        stream.writer.write(data)
        head: h11.Response | None = None
        body: list[bytes] = []
        received_any = False
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise ConnectionError(f"bad response from {self._authority.decode()}") from exc
            if event is h11.NEED_DATA:
                received = await stream.reader.read(self._receive_size)
                if not received and not received_any and reused:
                    raise StaleConnectionError("pooled connection closed by the peer")
                received_any = True
                conn.receive_data(received)
            elif isinstance(event, h11.Response):
                head = event
            elif isinstance(event, h11.Data):
                body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("peer closed the connection before a response")
        assert head is not None
        clean = conn.our_state is h11.DONE and conn.their_state is h11.DONE
        if clean:
            conn.start_next_cycle()
        kept = tuple((k, v) for k, v in head.headers if k not in _HOP_BY_HOP)
        return Response(head.status_code, kept, b"".join(body)), clean

    def __repr__(self) -> str:
        return f"HttpClient({self._authority.decode()})"


class EchoClient(_PooledClient, Service[EchoData, EchoData]):
    """RFC 862 echo to one peer: sends the bytes, completes with the same number echoed back."""

    def __init__(self, address: tuple[str, int]) -> None:
        self._address = address
        self._pool: _Pool[_Stream] = _Pool(address, _Stream)

    async def __call__(self, request: EchoData) -> EchoData:
        stream, reused = await self._pool.acquire()
        clean = False
        try:
            stream.writer.write(request.data)
            try:
                echoed = await stream.reader.readexactly(len(request.data))
            except asyncio.IncompleteReadError as exc:
                if reused and not exc.partial:
                    raise StaleConnectionError("pooled connection closed by the peer") from None
                raise ConnectionResetError("peer closed the connection mid-echo") from None
            clean = True
            return EchoData(echoed)
        except BaseException:
            stream.abort()
            raise
        finally:
            self._pool.release(stream, clean)

    def __repr__(self) -> str:
        return f"EchoClient({self._address[0]}:{self._address[1]})"
