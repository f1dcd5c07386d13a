# A plain HTTP/1.1 client for hostile conversations: raw bytes out, strict parsing in.
#
# Rules of this file: requests are raw bytes (a scenario must be able to break any rule on
# purpose); every read and every send has a deadline, so a server that hangs turns into a FAIL
# with what was received so far, never into a hung check. Nothing retries and nothing hides a
# reset: how the connection ended (FIN, RST, or still open at the deadline) is part of the
# evidence. Only loopback addresses are ever dialled, by whoever builds the address.
"""`Wire` (one connection with deadlines), `Reply` (one parsed response), `Ending`;
`Connection`, the socket part of `Wire`."""

from __future__ import annotations

import enum
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.process import Closing

READ_DEADLINE = 3.0
"""Seconds a scenario waits for an answer. Every answer the spec promises is immediate (the
slowest, a 413 after 1 MiB, takes milliseconds on loopback), so 3 s separates "slow box" from
"the server is waiting for something" without making a run of ~100 scenarios drag."""

RECEIVE_SIZE = 256 * 1024

HOST = b"robustness.test"


class Ending(enum.Enum):
    """How a connection's incoming direction ended, as far as the client could tell."""

    EOF = "FIN"  # the server closed (or half-closed) cleanly
    RESET = "RST"  # the connection was reset
    OPEN = "open"  # still open when the deadline passed


@dataclass(frozen=True, slots=True)
class Reply:
    """One parsed response. Header names are lower case, in arrival order."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The last value of header `name` (lower case), or None."""
        values = [value for key, value in self.headers if key == name]
        return values[-1] if values else None

    def count(self, name: str) -> int:
        """How many times header `name` appears."""
        return sum(1 for key, _ in self.headers if key == name)

    @property
    def closes(self) -> bool:
        """The response announces `Connection: close`."""
        return "close" in (self.header("connection") or "").lower()

    @property
    def line(self) -> str:
        """`400 Bad Request`: the status line as the evidence shows it."""
        return f"{self.status} {self.reason}".strip()


class NotHttpError(Exception):
    """What arrived is not an HTTP/1.x response framed by Content-Length (the message says
    what was wrong, with the first bytes)."""


def request(
    method: str,
    target: str,
    *headers: tuple[str, str],
    body: bytes = b"",
    version: str = "HTTP/1.1",
) -> bytes:
    """The raw bytes of one well-formed request, `Host` first; `Content-Length` added for a body
    unless `headers` frame it themselves."""
    lines = [f"{method} {target} {version}".encode("latin-1"), b"Host: " + HOST]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
    framed = any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers)
    if body and not framed:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class Connection(Closing):
    """One blocking TCP connection (TCP_NODELAY) with a receive buffer: what `Wire` and the
    conformance suite's `Client` share.

    Attributes:
        sock: the socket; `timeout`: its timeout; `buffer`: bytes received and not yet consumed.
    """

    def __init__(self, address: tuple[str, int], *, timeout: float) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buffer = bytearray()

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.sock.close()

    def reset(self) -> None:
        """Close with an RST instead of a FIN (SO_LINGER 0): a client that vanishes."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class Wire(Connection):
    """One TCP connection to the server under test, with a receive buffer and deadlines.

    Attributes:
        ending: how the incoming direction ended, once it has (None while it is open).
        received: every byte received so far, for evidence.
    """

    def __init__(self, address: tuple[str, int], *, timeout: float = READ_DEADLINE) -> None:
        super().__init__(address, timeout=timeout)
        self.received = 0
        self.ending: Ending | None = None

    def shutdown_write(self) -> None:
        """Half-close: the server reads EOF and may still answer."""
        self.sock.shutdown(socket.SHUT_WR)

    def send(self, data: bytes, timeout: float | None = None) -> int:
        """Send `data` while receiving whatever comes back, until all is sent, the server ends
        the connection, or the deadline passes. Returns the number of bytes sent.

        Receiving while sending matters for oversized inputs: the server answers (and stops
        reading, or drains) long before the last byte is out, and a blocked `sendall` would
        hide its answer.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        view = memoryview(data)
        sent = 0
        while sent < len(data) and self.ending is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            readable, writable, _ = select.select([self.sock], [self.sock], [], remaining)
            if readable:
                self._receive()
            if writable and self.ending is None:
                try:
                    sent += self.sock.send(view[sent : sent + RECEIVE_SIZE])
                except (BrokenPipeError, ConnectionResetError):
                    self.ending = Ending.RESET
        return sent

    def _receive(self) -> bool:
        """One recv into the buffer; False once the incoming direction has ended."""
        if self.ending is not None:
            return False
        try:
            data = self.sock.recv(RECEIVE_SIZE)
        except ConnectionResetError:
            self.ending = Ending.RESET
            return False
        if not data:
            self.ending = Ending.EOF
            return False
        self.buffer += data
        self.received += len(data)
        return True

    def _fill(self, deadline: float) -> bool:
        """Wait for and receive more bytes; False on EOF, reset or the deadline. Past the
        deadline it still takes what is already there (a look that does not wait)."""
        if self.ending is not None:
            return False
        remaining = max(0.0, deadline - time.monotonic())
        readable, _, _ = select.select([self.sock], [], [], remaining)
        return bool(readable) and self._receive()

    def _fill_until(self, done: Callable[[], bool], deadline: float) -> bool:
        """Receive until `done()`; False if the connection ends or the deadline passes first."""
        while not done():
            if not self._fill(deadline) or (time.monotonic() > deadline and not done()):
                return False
        return True

    def read_reply(self, timeout: float | None = None) -> Reply | None:
        """The next complete response (an interim 1xx one too), or None if the connection ended
        (or the deadline passed) first - `ending` and `seen()` then say what arrived.

        Raises:
            NotHttpError: the bytes are not a Content-Length-framed HTTP/1.x response.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if not self._fill_until(lambda: b"\r\n\r\n" in self.buffer, deadline):
            return None
        end = self.buffer.find(b"\r\n\r\n")
        status, reason, headers = parse_head(bytes(self.buffer[:end]))
        if 100 <= status < 200:  # an interim response: a head alone (RFC 9110 section 15.2)
            del self.buffer[: end + 4]
            return Reply(status, reason, headers, b"")
        lengths = [value for name, value in headers if name == "content-length"]
        if len(lengths) != 1 or not lengths[0].isdigit():
            raise NotHttpError(f"expected one numeric Content-Length, got {lengths}")
        start = end + 4
        stop = start + int(lengths[0])
        if not self._fill_until(lambda: len(self.buffer) >= stop, deadline):
            return None
        body = bytes(self.buffer[start:stop])
        del self.buffer[:stop]
        return Reply(status, reason, headers, body)

    def take(self) -> None:
        """Receive whatever has arrived (into the buffer), without waiting."""
        self._fill(time.monotonic())

    def read_some(self, timeout: float | None = None) -> bytes:
        """Whatever arrives first (b"" if the connection ended or the deadline passed)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if not self.buffer:
            self._fill(deadline)
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def read_to_end(self, timeout: float | None = None) -> tuple[bytes, Ending]:
        """Everything still sent until the connection ends; `Ending.OPEN` if it has not by the
        deadline."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self._fill(deadline) and time.monotonic() < deadline:
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        return data, self.ending or Ending.OPEN

    def seen(self) -> str:
        """The unparsed bytes received, shortened, for evidence."""
        return shorten(bytes(self.buffer))


def parse_head(head: bytes) -> tuple[int, str, tuple[tuple[str, str], ...]]:
    """Status, reason and headers of a response head (without its final CRLF CRLF).

    Raises:
        NotHttpError: not an HTTP/1.x status line, or a malformed header line.
    """
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise NotHttpError(f"bad status line {shorten(head)}")
    headers = []
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise NotHttpError(f"bad header line {line[:80]!r}")
        headers.append((name.lower(), value.strip()))
    return int(code), reason, tuple(headers)


def shorten(data: bytes, limit: int = 60) -> str:
    """`data` as a short repr for a table cell."""
    more = len(data) - limit
    return repr(data[:limit]) + (f"+{more}B" if more > 0 else "")
