# Servers of known behaviour for the harness tests, each an asyncio server on its own thread and
# loop in the test process (the driver runs in separate processes, so they never share a loop).
#
# Rules of this file: every server counts exactly what it answered, binds 127.0.0.1 on an
# ephemeral port, and stops - loop closed, thread joined - when its `with` block ends.
"""`TestServer`: HTTP answers (right, wrong, stalling) and TCP echo (right, corrupting)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Self

from harness.process import Closing

START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Behaviour:
    """How a test server answers.

    status, body: the answer to every HTTP request.
    stall_every, stall_for: every `stall_every` seconds, block the whole server for `stall_for`
        seconds (time.sleep on its loop: nothing is read, nothing is answered).
    echo: speak TCP echo instead of HTTP; `corrupt_echo` flips the first byte of every chunk.
    """

    status: int = 200
    body: bytes = b"PONG"
    stall_every: float | None = None
    stall_for: float = 0.0
    echo: bool = False
    corrupt_echo: bool = False


class _Tracked(asyncio.Protocol):
    """A connection the server knows of while it is open, so that shutdown can abort it."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.transports.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        assert self.transport is not None
        self.server.transports.discard(self.transport)


class _Http(_Tracked):
    def __init__(self, server: TestServer) -> None:
        super().__init__(server)
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        b = self.server.behaviour
        answer = f"HTTP/1.1 {b.status} X\r\nContent-Length: {len(b.body)}\r\n\r\n".encode() + b.body
        out = []
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            self.buffer = self.buffer[end + 4 :]
            self.server.answered += 1
            out.append(answer)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


class _Echo(_Tracked):
    def data_received(self, data: bytes) -> None:
        self.server.answered += len(data)
        if self.server.behaviour.corrupt_echo:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        assert self.transport is not None
        self.transport.write(data)


class TestServer(Closing):
    """A server of known `Behaviour` on 127.0.0.1; `answered` counts HTTP answers or echo bytes."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.answered = 0
        self.transports: set[asyncio.Transport] = set()
        self.host = "127.0.0.1"
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        factory = _Echo if self.behaviour.echo else _Http
        server = self._loop.run_until_complete(
            self._loop.create_server(lambda: factory(self), self.host, 0)
        )
        self.port = server.sockets[0].getsockname()[1]
        if self.behaviour.stall_every is not None:
            self._loop.call_later(self.behaviour.stall_every, self._stall)
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    def _stall(self) -> None:
        assert self.behaviour.stall_every is not None
        time.sleep(self.behaviour.stall_for)  # the stall under test: the whole loop stops
        self._loop.call_later(self.behaviour.stall_every, self._stall)

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("test server did not start")
        return self

    def close(self) -> None:
        """Stop the server's loop and its thread."""
        self._loop.call_soon_threadsafe(self._shutdown)
        self._thread.join(START_TIMEOUT)

    def _shutdown(self) -> None:
        for transport in list(self.transports):
            transport.abort()
        self._loop.call_soon(self._loop.stop)
