# The request rules of docs/service-spec.md, applied to a parsed request head.
#
# Rules of this file: both parser backends hand every head to `check_head` and decide nothing
# about limits, framing, expectations or keep-alive themselves. llhttp and h11 differ in leniency
# out of the box (h11 lets Transfer-Encoding silently beat Content-Length, llhttp ignores a
# missing Host, ...); deciding here is what makes the two backends answer every input alike.
# Where RFC 9110 / 9112 allow a recipient either to accept or to reject, the rule here rejects.
"""Shared checks on a request head: size, target, Host, framing, version, keep-alive, Expect."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from impls.protocol._errors import ProtocolError
from impls.protocol._events import Headers
from impls.protocol._fast import fast_init

# llhttp accepts exactly these methods in HTTP mode and rejects any other token with an
# "invalid method" error it cannot tell apart from garbage, so h11 is held to the same list.
KNOWN_METHODS = frozenset(
    [
        "DELETE",
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "CONNECT",
        "OPTIONS",
        "TRACE",
        "COPY",
        "LOCK",
        "MKCOL",
        "MOVE",
        "PROPFIND",
        "PROPPATCH",
        "SEARCH",
        "UNLOCK",
        "BIND",
        "REBIND",
        "UNBIND",
        "ACL",
        "REPORT",
        "MKACTIVITY",
        "CHECKOUT",
        "MERGE",
        "M-SEARCH",
        "NOTIFY",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "PATCH",
        "PURGE",
        "MKCALENDAR",
        "LINK",
        "UNLINK",
        "SOURCE",
        "QUERY",
    ]
)

# Bytes the canonical serialisation adds around the parts a parser reports:
# "METHOD SP target SP HTTP/x.y CRLF" and "name: value CRLF" per field, plus the final CRLF.
_REQUEST_LINE_OVERHEAD = len(b"  HTTP/1.1\r\n")
_FIELD_OVERHEAD = len(b": \r\n")
_END_OF_HEAD = len(b"\r\n")
_HEAD_OVERHEAD = _REQUEST_LINE_OVERHEAD + _END_OF_HEAD

# RFC 3986 / RFC 9112 section 3.2: the request-target forms, character for character. Both
# parsers accept more (a fragment, `|`, `{`, `%zz`), each a different "more", so the target is
# judged here. Userinfo in an absolute-form is refused (RFC 9110 section 4.2.4).
_SUB = r"A-Za-z0-9\-._~!$&'()*+,;="  # unreserved and sub-delims
_PCT = r"%[0-9A-Fa-f]{2}"
_PATH = rf"(?:[{_SUB}:@/]|{_PCT})*"
_QUERY = rf"(?:\?(?:[{_SUB}:@/?]|{_PCT})*)?"
_HOST = rf"(?:\[[0-9A-Fa-f:.]+\]|(?:[{_SUB}]|{_PCT})+)"
_ORIGIN_FORM = re.compile(rf"/{_PATH}{_QUERY}")
_ABSOLUTE_FORM = re.compile(rf"(?i:https?)://{_HOST}(?::[0-9]*)?(?:/{_PATH})?{_QUERY}")
_AUTHORITY_FORM = re.compile(rf"{_HOST}:[0-9]+")
# The same origin-form without percent-escapes: one character class, so a typical target is
# checked in about a third of the time (0.13 against 0.37 us for "/ping").
_PLAIN_ORIGIN_FORM = re.compile(rf"/[{_SUB}:@/?]*")
# The Host field: uri-host [":" port], or empty (RFC 9110 section 7.2: anything else is a 400),
# with a fast pattern for the usual name or IPv4 address first.
_HOST_FIELD = re.compile(rf"(?:{_HOST})?(?::[0-9]*)?".encode("ascii"))
_PLAIN_HOST_FIELD = re.compile(rb"[A-Za-z0-9.\-]*(?::[0-9]*)?")

# The fields `check_head` reads; every other field passes with one set lookup.
_RULED_FIELDS = frozenset(
    [
        b"host",
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"proxy-connection",
        b"upgrade",
        b"expect",
    ]
)

CHUNKED = -1
"""`Framing.length` of a chunked body."""

_MAX_CONTENT_LENGTH = 2**64 - 1  # llhttp's bound; a longer numeral is a 400 in both backends


@dataclass(frozen=True, slots=True)
class Framing:
    """What `check_head` decided: how the body is delimited, whether the connection lives on,
    and whether the client waits for `100 Continue` before it sends the body."""

    length: int
    keep_alive: bool
    expects_continue: bool = False


fast_init(Framing)  # one is built per request with a body: see `_fast.py`


# The two decisions most heads come to, built once (a Framing is immutable).
_NO_BODY_KEEP_ALIVE = Framing(0, True)
_NO_BODY_CLOSE = Framing(0, False)


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


# Targets and Host values already found valid. A server sees the same few again and again, and
# a set lookup costs 0.04 us where the two patterns cost 0.35 us of every request; the sets are
# emptied when full, so a client sending endless distinct targets only loses the shortcut.
_CHECKED_TARGETS: set[str] = set()
_CHECKED_HOSTS: set[bytes] = set()
_CHECKED_MAX = 256
_T = TypeVar("_T", str, bytes)


def _remember(checked: set[_T], item: _T) -> None:
    if len(checked) >= _CHECKED_MAX:
        checked.clear()
    checked.add(item)


def _check_target(method: str, target: str) -> None:
    if method == "CONNECT":  # RFC 9112 section 3.2.3: authority-form, and only for CONNECT
        ok = _AUTHORITY_FORM.fullmatch(target) is not None
    elif target[:1] == "/":
        plain = "%" not in target and _PLAIN_ORIGIN_FORM.fullmatch(target) is not None
        ok = plain or _ORIGIN_FORM.fullmatch(target) is not None
        if ok:  # an origin-form is valid with every method but CONNECT: worth remembering
            _remember(_CHECKED_TARGETS, target)
    elif target == "*":  # asterisk-form, only for a server-wide OPTIONS
        ok = method == "OPTIONS"
    else:
        ok = _ABSOLUTE_FORM.fullmatch(target) is not None
    if not ok:
        raise ProtocolError(400, "bad request target")


def _codings(values: list[bytes]) -> list[bytes]:
    """The transfer-codings of all Transfer-Encoding fields, in order."""
    codings = []
    for value in values:
        for token in value.split(b","):
            coding = token.strip(b" \t").lower()
            if not coding:
                # RFC 9110 section 5.6.1 asks recipients to skip empty list elements, but llhttp
                # refuses "chunked," outright; refusing every empty element keeps one rule for
                # the header that decides where a request ends.
                raise ProtocolError(400, "empty element in Transfer-Encoding")
            codings.append(coding)
    return codings


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
        headers: (lower-case name, value) pairs, values without surrounding whitespace.
        max_header_bytes: limit of `head_size`.
        max_body_bytes: limit of a declared Content-Length.

    Returns:
        The body framing and keep-alive decision.

    Raises:
        ProtocolError: 431 head too large; 505 version not 1.0/1.1 (400 for "0.9": a request
        line without a version); 400 unknown method, bad target, missing, repeated or invalid
        Host, Content-Length with Transfer-Encoding, bad or repeated Content-Length, chunked
        not the final coding or applied twice; 501 a transfer-coding other than chunked; 413
        declared body too large; 417 an expectation other than `100-continue` (checked last).
    """
    # One pass over the fields gathers what every rule below needs: the canonical size
    # (`head_size`), the Host fields, and the other ruled fields, which most requests lack - so
    # a usual head builds no list and takes the short way out at the end. Nothing in the loop
    # raises, so the rules still apply in the order they are written. With the shared Framing
    # values below: 0.65 -> 0.23 µs for wrk's /ping head, 0.88 -> 0.38 µs for curl's (timeit).
    size = len(method) + len(target) + _HEAD_OVERHEAD + _FIELD_OVERHEAD * len(headers)
    hosts = 0
    host = b""
    ruled: list[tuple[bytes, bytes]] | None = None
    for name, value in headers:
        size += len(name) + len(value)
        if name in _RULED_FIELDS:
            if name == b"host":
                hosts += 1
                host = value
            elif ruled is None:
                ruled = [(name, value)]
            else:
                ruled.append((name, value))
    if size > max_header_bytes:
        raise ProtocolError(431, "request header fields too large")
    if http_version not in ("1.1", "1.0"):
        if http_version == "0.9":  # what llhttp reports for a request line without a version
            raise ProtocolError(400, "no HTTP/1.x version in the request line")
        raise ProtocolError(505, f"HTTP/{http_version} not supported")
    if method not in KNOWN_METHODS:
        raise ProtocolError(400, "unknown method")
    if method == "CONNECT" or target not in _CHECKED_TARGETS:
        _check_target(method, target)
    if hosts != 1:
        if hosts or http_version == "1.1":
            raise ProtocolError(400, "exactly one Host header required")
    elif host not in _CHECKED_HOSTS:
        if _PLAIN_HOST_FIELD.fullmatch(host) is None and _HOST_FIELD.fullmatch(host) is None:
            raise ProtocolError(400, "invalid Host header")
        _remember(_CHECKED_HOSTS, host)
    if ruled is None and method != "CONNECT":
        # No body, no Connection field, no switch of protocols: the version decides.
        return _NO_BODY_KEEP_ALIVE if http_version == "1.1" else _NO_BODY_CLOSE
    return _framing(method, http_version, ruled or [], max_body_bytes)


def _framing(
    method: str, http_version: str, ruled: list[tuple[bytes, bytes]], max_body_bytes: int
) -> Framing:
    """The keep-alive, body-framing and expectation rules, over the ruled fields but Host."""
    lengths: list[bytes] = []
    encodings: list[bytes] = []
    connection: list[bytes] = []
    expectations: list[bytes] | None = None
    upgrade = False
    for name, value in ruled:
        if name == b"content-length":
            lengths.append(value)
        elif name == b"transfer-encoding":
            encodings.append(value)
        elif name == b"connection":
            connection.extend(_tokens(value))
        elif name == b"proxy-connection":
            # Not a standard field, but llhttp reads it as Connection; honouring what it says
            # about closing and upgrading (never about keeping alive) keeps h11 in step.
            connection.extend(t for t in _tokens(value) if t != b"keep-alive")
        elif name == b"expect":
            expectations = (expectations or []) + _tokens(value)
        else:  # upgrade
            upgrade = upgrade or bool(value)

    if b"close" in connection:
        keep_alive = False
    else:
        keep_alive = http_version == "1.1" or b"keep-alive" in connection
    # An Upgrade or CONNECT request is answered as an ordinary one, then the connection ends:
    # netmodels speaks no other protocol on it. llhttp reads nothing after such a head, not even
    # a declared body (the bytes belong to the protocol asked for), so its body is empty here.
    switching = (upgrade and b"upgrade" in connection) or method == "CONNECT"
    if switching:
        keep_alive = False

    if encodings:
        if lengths:
            raise ProtocolError(400, "both Content-Length and Transfer-Encoding")
        codings = _codings(encodings)
        if b"chunked" in codings[:-1]:
            # RFC 9112 section 6.3: chunked not last means the body length cannot be known.
            raise ProtocolError(400, "chunked must be the final transfer coding, applied once")
        if codings != [b"chunked"]:
            raise ProtocolError(501, "only Transfer-Encoding: chunked is supported")
        if http_version == "1.0":
            raise ProtocolError(400, "Transfer-Encoding in an HTTP/1.0 request")
        length = 0 if switching else CHUNKED
    elif lengths:
        if len(lengths) > 1:
            # RFC 9110 section 8.6 lets a recipient collapse identical copies; llhttp refuses any.
            raise ProtocolError(400, "repeated Content-Length")
        digits = lengths[0]
        if not digits.isdigit():
            raise ProtocolError(400, "bad Content-Length")
        significant = digits.lstrip(b"0")
        if len(significant) > 20 or int(significant or b"0") > _MAX_CONTENT_LENGTH:
            raise ProtocolError(400, "Content-Length out of range")
        length = int(significant or b"0")
        if length > max_body_bytes:
            raise ProtocolError(413, "request body too large")
        if switching:
            length = 0
    else:
        length = 0
    if expectations is not None:
        return _expect(http_version, expectations, length, keep_alive)
    if not length:
        return _NO_BODY_KEEP_ALIVE if keep_alive else _NO_BODY_CLOSE
    return Framing(length, keep_alive)


def _expect(http_version: str, expectations: list[bytes], length: int, keep_alive: bool) -> Framing:
    """RFC 9110 section 10.1.1, after every other rule (a 413 beats a 417).

    `100-continue` (in any case) is the only expectation known; any other member of the list is
    a 417, the answer the RFC allows (MAY), in HTTP/1.0 too. The client waits for the interim
    `100 Continue` only if the request is HTTP/1.1 (an HTTP/1.0 one MUST be ignored) and has a
    body to send (an empty or zero-length one needs no go-ahead).
    """
    if any(e != b"100-continue" for e in expectations):
        raise ProtocolError(417, "only the expectation 100-continue is supported")
    if expectations and length and http_version == "1.1":
        return Framing(length, keep_alive, expects_continue=True)
    if not length:
        return _NO_BODY_KEEP_ALIVE if keep_alive else _NO_BODY_CLOSE
    return Framing(length, keep_alive)
