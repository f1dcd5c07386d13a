# The typed messages of the protocol layer: everything outside a codec sees these, never raw bytes.
#
# Rules of this file: every message is a frozen dataclass with slots (cheap to build on the hot
# path, safe to hand between threads and actors), and nothing here knows how it is parsed or sent.
"""Typed protocol messages: requests, responses, echo data and request errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from impls.protocol._fast import fast_init

Headers = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True)
class Request:
    """One complete HTTP request.

    `headers` holds (lower-cased name, value) pairs in arrival order. `path` and `query` split
    `target` at the first `?`. `keep_alive` is the HTTP/1.0 / 1.1 rule applied to this request:
    whether the connection may carry another request after its response.
    """

    method: str
    target: str
    headers: Headers
    body: bytes
    http_version: str
    keep_alive: bool
    path: str = field(default="", compare=False)
    query: str = field(default="", compare=False)

    def header(self, name: bytes) -> bytes | None:
        """The first value of header `name` (lower case), or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


fast_init(Request)  # one is built per request: see `_fast.py` for what this does and gains


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP response before encoding.

    `headers` are the route's own (e.g. Content-Type); the encoder adds Content-Length, Server,
    Date and Connection. `close` forces the connection shut after this response.
    """

    status: int
    headers: Headers = ()
    body: bytes = b""
    close: bool = False


@dataclass(frozen=True, slots=True)
class RequestError:
    """The request stream broke a rule; `status` says which answer it gets before the close."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class EchoData:
    """Bytes received on an echo (RFC 862) connection, to be sent back unchanged."""

    data: bytes


HttpEvent = Request | RequestError
