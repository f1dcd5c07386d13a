# The request rules of docs/service-spec.md, applied to a parsed request head.
#
# Rules of this file: both parser backends hand every head to `check_head` and decide nothing
# about limits, framing or keep-alive themselves. llhttp and h11 differ in leniency out of the
# box (h11 lets Transfer-Encoding silently beat Content-Length, llhttp ignores a missing Host,
# ...); deciding here is what makes the two backends answer every input alike.
"""Shared checks on a request head: size, Host, framing, version, keep-alive."""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import ProtocolError
from ._events import Headers

# llhttp accepts exactly these methods in HTTP mode and rejects any other token with an
# "invalid method" error it cannot tell apart from garbage, so h11 is held to the same list.
KNOWN_METHODS = frozenset(
    ["DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE", "QUERY"]
)

# Bytes the canonical serialisation adds around the parts a parser reports:
# "METHOD SP target SP HTTP/x.y CRLF" and "name: value CRLF" per field, plus the final CRLF.
_REQUEST_LINE_OVERHEAD = len(b"  HTTP/1.1\r\n")
_FIELD_OVERHEAD = len(b": \r\n")
_END_OF_HEAD = len(b"\r\n")

CHUNKED = -1
"""`Framing.length` of a chunked body."""


@dataclass(frozen=True, slots=True)
class Framing:
    """What `check_head` decided: how the body is delimited and whether the connection lives on."""

    length: int
    keep_alive: bool


def head_size(method: str, target: str, headers: Headers) -> int:
    """Size of the head in canonical form (`Name: value`, one space, CRLF line ends).

    The limit is defined on this size, not on raw bytes, so that the two backends agree to the
    byte: neither parser reports where optional whitespace was. Raw padding is bounded separately
    by each backend's buffer cap.
    """
    size = len(method) + len(target) + _REQUEST_LINE_OVERHEAD + _END_OF_HEAD
    for name, value in headers:
        size += len(name) + len(value) + _FIELD_OVERHEAD
    return size


def _tokens(value: bytes) -> list[bytes]:
    return [t.strip().lower() for t in value.split(b",") if t.strip()]


def check_head(
    method: str,
    target: str,
    http_version: str,
    headers: Headers,
    *,
    max_header_bytes: int,
    max_body_bytes: int,
) -> Framing:
    """Apply the contract's rules to one request head.

    Args:
        method, target, http_version: the request line as parsed.
        headers: (lower-case name, value) pairs.
        max_header_bytes: limit of `head_size`.
        max_body_bytes: limit of a declared Content-Length.

    Returns:
        The body framing and keep-alive decision.

    Raises:
        ProtocolError: 431 head too large; 505 version not 1.0/1.1; 400 unknown method, bad
        target, missing or repeated Host, Content-Length with Transfer-Encoding, bad
        Content-Length; 501 a transfer-coding other than chunked; 413 declared body too large.
    """
    if head_size(method, target, headers) > max_header_bytes:
        raise ProtocolError(431, "request header fields too large")
    if http_version not in ("1.1", "1.0"):
        raise ProtocolError(505, f"HTTP/{http_version} not supported")
    if method not in KNOWN_METHODS:
        raise ProtocolError(400, "unknown method")
    if not (target.startswith("/") or (target == "*" and method == "OPTIONS")):
        if not target.startswith(("http://", "https://")):
            raise ProtocolError(400, "bad request target")

    hosts = 0
    lengths: list[bytes] = []
    codings: list[bytes] = []
    connection: list[bytes] = []
    for name, value in headers:
        if name == b"host":
            hosts += 1
        elif name == b"content-length":
            lengths.append(value)
        elif name == b"transfer-encoding":
            codings.extend(_tokens(value))
        elif name == b"connection":
            connection.extend(_tokens(value))
    if hosts > 1 or (hosts == 0 and http_version == "1.1"):
        raise ProtocolError(400, "exactly one Host header required")

    if http_version == "1.1":
        keep_alive = b"close" not in connection
    else:
        keep_alive = b"keep-alive" in connection

    if codings:
        if lengths:
            raise ProtocolError(400, "both Content-Length and Transfer-Encoding")
        if codings != [b"chunked"]:
            raise ProtocolError(501, "only Transfer-Encoding: chunked is supported")
        if http_version == "1.0":
            raise ProtocolError(400, "Transfer-Encoding in an HTTP/1.0 request")
        return Framing(CHUNKED, keep_alive)
    if not lengths:
        return Framing(0, keep_alive)
    if len(set(lengths)) != 1 or not lengths[0].isdigit() or len(lengths[0]) > 18:
        raise ProtocolError(400, "bad Content-Length")
    length = int(lengths[0])
    if length > max_body_bytes:
        raise ProtocolError(413, "request body too large")
    return Framing(length, keep_alive)
