# A deliberately plain HTTP/1.1 client for checking servers byte by byte.
#
# Rules of this file: requests are built as raw bytes (so a test can break any rule on purpose),
# responses are parsed strictly (every response must carry exactly one Content-Length, which is
# how the contract frames them), and every read has a deadline. Nothing here retries or hides a
# reset: what the server did is what the test sees.
"""`Client` (one blocking connection), `request` (raw request bytes), `Response`."""

from __future__ import annotations

import select
import selectors
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from harness.check.wire import Connection

DEADLINE = 10.0
"""Seconds any single read may wait before the test fails (generous: CI boxes stall)."""

HOST = b"conformance.test"

RECEIVE_SIZE = 256 * 1024

_FRAMING = ("content-length", "transfer-encoding")

T = TypeVar("T")


def request(
    method: str,
    target: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    version: str = "HTTP/1.1",
    host: bool = True,
    length: bool | None = None,
) -> bytes:
    """The raw bytes of one request.

    Args:
        headers: extra header fields, sent in order, as given.
        body: the body, sent as is (pass `length=False` and your own framing headers for
            chunked or broken framing).
        host: add `Host: conformance.test` first.
        length: add `Content-Length` (default: when there is a body and `headers` frame none).
    """
    headers = list(headers)
    framed = any(name.lower() in _FRAMING for name, _ in headers)
    lines = [f"{method} {target} {version}".encode("latin-1")]
    if host:
        lines.append(b"Host: " + HOST)
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
    if length or (length is None and body and not framed):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(*chunks: bytes) -> bytes:
    """A chunked body of `chunks`, with the terminating zero-size chunk."""
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks if c) + b"0\r\n\r\n"


@dataclass(frozen=True, slots=True)
class Response:
    """One parsed response. Header names are lower-cased; values kept in arrival order."""

    version: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def all(self, name: str) -> list[str]:
        """Every value of header `name` (lower case)."""
        return [value for key, value in self.headers if key == name]

    def header(self, name: str) -> str | None:
        """The value of header `name`; fails the test if it appears more than once."""
        values = self.all(name)
        assert len(values) <= 1, f"header {name!r} repeated: {values}"
        return values[0] if values else None

    @property
    def closes(self) -> bool:
        """True if the response announces `Connection: close`."""
        value = self.header("connection") or ""
        return "close" in value.lower()


class Client(Connection):
    """One blocking TCP connection to the server, with a receive buffer and deadlines (the
    socket part - connect, close, reset - is the robustness check's `Connection`)."""

    def __init__(self, address: tuple[str, int], *, timeout: float = DEADLINE) -> None:
        super().__init__(address, timeout=timeout)

    def send(self, data: bytes) -> None:
        """Send all of `data` (within the socket timeout)."""
        self.sock.sendall(data)

    def shutdown_write(self) -> None:
        """Half-close: the server sees EOF, and may still answer."""
        self.sock.shutdown(socket.SHUT_WR)

    def readable(self) -> bool:
        """True if bytes (or EOF) are waiting right now, without blocking."""
        if self.buffer:
            return True
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def _fill(self, deadline: float, what: str) -> bool:
        """Receive more bytes into the buffer; False on EOF. Fails the test at `deadline`."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {what}; received so far {self._seen()}")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(RECEIVE_SIZE)
        except TimeoutError:
            raise AssertionError(
                f"timed out waiting for {what}; received so far {self._seen()}"
            ) from None
        except ConnectionResetError:
            raise AssertionError(
                f"connection reset while waiting for {what}; received so far {self._seen()}"
            ) from None
        finally:
            self.sock.settimeout(self.timeout)
        self.buffer += data
        return bool(data)

    def _seen(self) -> str:
        more = len(self.buffer) - 200
        return repr(bytes(self.buffer[:200])) + (f" (+{more} bytes)" if more > 0 else "")

    def read_response(self, timeout: float | None = None) -> Response:
        """Read one complete response (head, then exactly Content-Length body bytes)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if not self._fill(deadline, "a response head"):
                raise AssertionError(f"EOF before a complete response head: {self._seen()}")
        head = bytes(self.buffer[:end])
        version, status, reason, headers = _parse_head(head)
        lengths = [value for name, value in headers if name == "content-length"]
        assert len(lengths) == 1, f"expected one Content-Length, got {lengths} in {head!r}"
        assert lengths[0].isdigit(), f"bad Content-Length {lengths[0]!r}"
        start = end + 4
        stop = start + int(lengths[0])
        while len(self.buffer) < stop:
            if not self._fill(deadline, f"a {stop - start}-byte body"):
                raise AssertionError(
                    f"EOF after {len(self.buffer) - start} of {stop - start} body bytes"
                )
        body = bytes(self.buffer[start:stop])
        del self.buffer[:stop]
        return Response(version, status, reason, headers, body)

    def read_interim(self, timeout: float | None = None) -> Response:
        """Read one interim (1xx) response: a head alone, as RFC 9110 section 15.2 frames it.

        Fails the test if the next response is a final one (its head is left unread then).
        """
        deadline = time.monotonic() + (timeout or self.timeout)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if not self._fill(deadline, "an interim response head"):
                raise AssertionError(f"EOF before an interim response: {self._seen()}")
        version, status, reason, headers = _parse_head(bytes(self.buffer[:end]))
        assert 100 <= status < 200, f"expected an interim response, got {self._seen()}"
        del self.buffer[: end + 4]
        return Response(version, status, reason, headers, b"")

    def read_responses(self, count: int, timeout: float | None = None) -> list[Response]:
        """Read `count` responses in order."""
        deadline = time.monotonic() + (timeout or self.timeout)
        return [self.read_response(max(deadline - time.monotonic(), 0.001)) for _ in range(count)]

    def exchange(self, data: bytes, timeout: float | None = None) -> Response:
        """Send one request and read its response."""
        self.send(data)
        return self.read_response(timeout)

    def read_until_eof(self, timeout: float | None = None) -> bytes:
        """Everything the server still sends, up to its FIN (a clean close, not a reset).

        Fails the test if the connection is not closed within the deadline.
        """
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline, "the server to close the connection"):
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def pump(
    sock: socket.socket,
    data: bytes,
    *,
    expect: int | None = None,
    half_close: bool = False,
    timeout: float = DEADLINE,
) -> bytes:
    """Send `data` while receiving, so neither side's buffers can deadlock the exchange.

    Args:
        expect: stop once this many bytes came back (default: read until EOF).
        half_close: shut down the write side once everything is sent.

    Returns:
        Everything received. Fails the test at the deadline, or on a reset.
    """
    deadline = time.monotonic() + timeout
    received = bytearray()
    view = memoryview(data)
    sent = 0
    saved = sock.gettimeout()
    sock.setblocking(False)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            while expect is None or len(received) < expect:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out: sent {sent} of {len(data)} bytes, received {len(received)}"
                    )
                for _, events in selector.select(remaining):
                    if events & selectors.EVENT_WRITE:
                        sent += sock.send(view[sent : sent + RECEIVE_SIZE])
                        if sent == len(data):
                            if half_close:
                                sock.shutdown(socket.SHUT_WR)
                            selector.modify(sock, selectors.EVENT_READ)
                    if events & selectors.EVENT_READ:
                        try:
                            chunk = sock.recv(RECEIVE_SIZE)
                        except ConnectionResetError:
                            raise AssertionError(f"reset after {len(received)} bytes") from None
                        if not chunk:
                            return bytes(received)
                        received += chunk
        return bytes(received)
    finally:
        sock.settimeout(saved)


def _parse_head(head: bytes) -> tuple[str, int, str, tuple[tuple[str, str], ...]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    assert version in ("HTTP/1.1", "HTTP/1.0"), f"bad status line {status_line!r}"
    assert len(code) == 3, f"bad status line {status_line!r}"
    assert code.isdigit(), f"bad status line {status_line!r}"
    headers = []
    for line in lines:
        name, sep, value = line.partition(":")
        assert sep, f"header line without a colon: {line!r}"
        assert name, f"header line without a name: {line!r}"
        assert name == name.strip(), f"whitespace around a header name: {line!r}"
        headers.append((name.lower(), value.strip()))
    return version, int(code), reason, tuple(headers)


ConnectFactory = Callable[..., Client]
"""The `connect` fixture: `connect(server)` opens a `Client`, closed at teardown."""


def wait_until(
    probe: Callable[[], T],
    *,
    timeout: float = DEADLINE,
    interval: float = 0.02,
    what: str = "a condition",
) -> T:
    """Poll `probe` until it returns a truthy value, and return that value.

    Polling a condition with a deadline is how the suite waits for "it has happened" (never a
    bare sleep). Fails the test with `what` and the last value after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what} (last: {value!r})"
            )
        time.sleep(interval)
