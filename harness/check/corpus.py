# The hostile-input corpus: raw request bytes and the one status each must get.
#
# Rules of this file: every expected status comes from docs/service-spec.md ("Requests that break
# the rules" and the route table), and where the spec is silent from RFC 9112 / RFC 9110, cited in
# `why` - never from what an impl happens to answer. Sizes come from the `ServerConfig` defaults
# the checked server runs with (`hostile.MAX_HEADER`, ...), never typed in.
"""`CORPUS`: hostile inputs, each with its status, its rule, and what must follow the answer."""

from __future__ import annotations

import contextlib
import ssl

from harness.check.hostile import (
    MAX_BODY,
    MAX_HEADER,
    RECEIVE_SIZE,
    SMUGGLED,
    TE_CHUNKED,
    Hostile,
    Kind,
    get,
    post,
)
from harness.check.smuggling import SMUGGLING

_CHUNK_OVER = b"%x\r\n" % 0x10000 + b"c" * 0x10000 + b"\r\n"


def client_hello() -> bytes:
    """A real TLS ClientHello, as a browser would open an https:// URL on the plain port."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="robustness.test")
    # It writes its ClientHello, then waits for a ServerHello that never comes.
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def _request_lines() -> list[Hostile]:
    g, malformed = "request line", "spec: malformed request line -> 400"
    return [
        Hostile("garbage", g, b"GARBAGE\r\n\r\n", 400, malformed),
        Hostile("space in target", g, b"GET /pi ng HTTP/1.1\r\nHost: x\r\n\r\n", 400, malformed),
        Hostile("extra word", g, b"GET /ping HTTP/1.1 x\r\nHost: x\r\n\r\n", 400, malformed),
        Hostile("missing version", g, b"GET /ping\r\nHost: x\r\n\r\n", 400, "spec -> 400"),
        Hostile("HTTP/0.9 request", g, b"GET /ping\r\n\r\n", 400, "spec: HTTP/0.9 -> 400"),
        Hostile("lowercase method", g, get("/ping", "get"), 400, "RFC 9110 9.1: case-sensitive"),
        Hostile(
            "unknown method",
            g,
            get("/ping", "BREW"),
            400,
            "spec -> 400 (RFC 9110 9.1 says SHOULD 501)",
        ),
        Hostile(
            "lowercase http/1.1",
            g,
            b"GET /ping http/1.1\r\nHost: x\r\n\r\n",
            400,
            "RFC 9112 2.3: HTTP-name is case-sensitive",
        ),
        Hostile("version HTTP/1.x", g, b"GET /ping HTTP/1.x\r\nHost: x\r\n\r\n", 400, malformed),
        Hostile(
            "version HTTP/1.2", g, b"GET /ping HTTP/1.2\r\nHost: x\r\n\r\n", 505, "spec -> 505"
        ),
        Hostile(
            "version HTTP/3.0", g, b"GET /ping HTTP/3.0\r\nHost: x\r\n\r\n", 505, "spec -> 505"
        ),
        Hostile("target without /", g, get("ping"), 400, "RFC 9112 3.2: origin-form"),
        Hostile("NUL in target", g, b"GET /pi\x00ng HTTP/1.1\r\nHost: x\r\n\r\n", 400, malformed),
        Hostile("CTL in target", g, b"GET /pi\x01ng HTTP/1.1\r\nHost: x\r\n\r\n", 400, malformed),
        Hostile(
            "non-ASCII target", g, b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "RFC 3986"
        ),
        Hostile("fragment in target", g, get("/ping#top"), 400, "spec -> 400 (RFC 9112 3.2)"),
        Hostile("bad %-escape", g, get("/ping%zz"), 400, "spec -> 400 (RFC 3986 2.1)"),
        Hostile("userinfo", g, get("http://u@x/ping"), 400, "RFC 9110 4.2.4: userinfo -> reject"),
    ]


def _field(line: bytes) -> bytes:
    """`GET /ping` with `line` as its field lines after Host."""
    return b"GET /ping HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\n"


def _header_fields() -> list[Hostile]:
    g, token, ctl = "header fields", "RFC 9110 5.1: a name is a token", "spec: control chars -> 400"
    host = "spec; RFC 9112 3.2: MUST 400"
    return [
        Hostile("field without colon", g, _field(b"no colon"), 400, "spec -> 400"),
        Hostile("space in name", g, _field(b"Bad Name: v"), 400, token),
        Hostile("space before colon", g, _field(b"X-A : v"), 400, "RFC 9112 5.1: MUST 400"),
        Hostile("empty name", g, _field(b": v"), 400, token),
        Hostile("@ in name", g, _field(b"X@Y: v"), 400, token),
        Hostile("NUL in value", g, _field(b"X: a\x00b"), 400, "RFC 9110 5.5: NUL -> reject"),
        Hostile("CTL in value", g, _field(b"X: a\x01b"), 400, ctl),
        Hostile("DEL in value", g, _field(b"X: a\x7fb"), 400, ctl),
        Hostile("missing Host", g, b"GET /ping HTTP/1.1\r\n\r\n", 400, host),
        Hostile("Host twice", g, _field(b"Host: x"), 400, host),
        Hostile("invalid Host", g, b"GET /ping HTTP/1.1\r\nHost: a b\r\n\r\n", 400, host),
    ]


def _limits() -> list[Hostile]:
    g = "limits"
    pad = MAX_HEADER  # one field value alone as large as the whole head may be
    many = b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADER // 8))
    return [
        Hostile(
            "request line > max-header-bytes",
            g,
            get("/" + "t" * MAX_HEADER),
            431,
            "spec: request line + fields > 16 KiB -> 431 (RFC 9112 3 would say 414)",
        ),
        Hostile(
            "one field > max-header-bytes",
            g,
            b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * pad + b"\r\n\r\n",
            431,
            "spec -> 431 (RFC 6585 5)",
        ),
        Hostile(
            f"{MAX_HEADER // 8} small fields",
            g,
            b"GET /ping HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n",
            431,
            "spec: the count is bounded by the size -> 431",
        ),
        Hostile(
            "whitespace-padded head",
            g,
            b"GET /ping HTTP/1.1\r\nHost: x\r\nX:"
            + b" " * (MAX_HEADER + 2 * RECEIVE_SIZE)
            + b"v\r\n\r\n",
            431,
            "spec: raw bytes capped at the limit + 2 receives",
        ),
        Hostile(
            "declared body > max-body-bytes",
            g,
            post(b"Content-Length: %d" % (MAX_BODY + 1)),
            413,
            "spec: declared body too large -> 413",
        ),
        Hostile(
            "declared body 2^64-1",
            g,
            post(b"Content-Length: 18446744073709551615"),
            413,
            "spec: a valid length beyond the limit -> 413",
        ),
        Hostile(
            "chunked body > max-body-bytes",
            g,
            post(TE_CHUNKED, _CHUNK_OVER * (MAX_BODY // 0x10000 + 1)),
            413,
            "spec: chunked body too large -> 413",
        ),
        Hostile(
            "trailer > max-header-bytes",
            g,
            post(TE_CHUNKED, b"0\r\nX-T: " + b"t" * MAX_HEADER + b"\r\n\r\n"),
            431,
            "spec: over-long trailer fields -> 431",
        ),
        Hostile(
            "chunk extension > raw cap",
            g,
            post(
                TE_CHUNKED, b"1;e=" + b"x" * (MAX_HEADER + 3 * RECEIVE_SIZE) + b"\r\nz\r\n0\r\n\r\n"
            ),
            400,
            "spec: over-long chunk-size lines -> 400",
        ),
    ]


def _not_http1() -> list[Hostile]:
    g = "not HTTP/1"
    return [
        Hostile(
            "HTTP/2 preface",
            g,
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            505,
            "spec: the HTTP/2 PRI preface -> 505",
        ),
        Hostile(
            "TLS ClientHello",
            g,
            client_hello(),
            400,
            "spec: malformed request line -> 400 (first byte 0x16 is no method)",
        ),
        Hostile(
            "SSH banner",
            g,
            b"SSH-2.0-OpenSSH_9.6\r\n",
            400,
            "spec: malformed request line -> 400",
        ),
    ]


def _desync() -> list[Hostile]:
    """Requests after which nothing more may be read from the connection (docs/service-spec.md,
    "Connections"): bytes behind them must never be served as a request."""
    g, c, s = "desync", Kind.CLOSED, SMUGGLED
    upgrade = b"Connection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: %d" % len(s)
    return [
        Hostile(
            "after Connection: close",
            g,
            b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + s,
            200,
            "RFC 9112 9.6: no further request is read after close",
            c,
        ),
        Hostile(
            "after an HTTP/1.0 request",
            g,
            b"GET /ping HTTP/1.0\r\n\r\n" + s,
            200,
            "RFC 9112 9.3: HTTP/1.0 closes unless keep-alive",
            c,
        ),
        Hostile(
            "Upgrade with a body",
            g,
            post(upgrade, s),
            200,
            "spec: an Upgrade request is answered, its body unread, then closed",
            c,
        ),
        Hostile(
            "h2c upgrade",
            g,
            b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n" + s,
            200,
            "spec: answered, then closed (RFC 9110 7.8: Upgrade MAY be ignored)",
            c,
        ),
        Hostile(
            "Expect: 100-continue, x",
            g,
            post(b"Expect: 100-continue, x\r\nContent-Length: 3", b"abc" + s),
            417,
            "spec: an Expect member other than 100-continue -> 417 (RFC 9110 10.1.1)",
        ),
        Hostile(
            "Expect 100 + body > limit",
            g,
            post(b"Expect: 100-continue\r\nContent-Length: %d" % (MAX_BODY + 1)),
            413,
            "spec: the head alone decides a 413, sent instead of the 100",
        ),
    ]


def _queries() -> list[Hostile]:
    g, a = "routes", Kind.ANSWERED
    bad = [
        ("/bytes?n=-1", "spec: 0 <= n <= 16 MiB"),
        ("/bytes?n=abc", "spec: decimal integer"),
        ("/bytes?n=16777217", "spec: n <= 16 MiB"),
        ("/bytes?n=99999999999999999999", "spec: n <= 16 MiB"),
        ("/bytes?n=1e3", "spec: decimal integer"),
        ("/bytes?n=1_0", "spec: decimal integer (Python's int() would take it)"),
        ("/bytes?n=0x10", "spec: decimal integer"),
        ("/bytes?n=", "spec: decimal integer"),
        ("/bytes?n=1&n=2", "spec: given once"),
        ("/bytes", "spec: missing"),
        ("/delay?ms=-1", "spec: 0 <= ms <= 10000"),
        ("/delay?ms=10001", "spec: 0 <= ms <= 10000"),
        ("/delay?ms=abc", "spec: decimal integer"),
        ("/work?ms=-1", "spec: 0 <= ms <= 1000"),
        ("/work?ms=1001", "spec: 0 <= ms <= 1000"),
        ("/work?ms=abc", "spec: decimal integer"),
    ]
    out = [Hostile(f"GET {t}", g, get(t), 400, why, a) for t, why in bad]
    out += [
        Hostile("GET /echo", g, get("/echo"), 405, "spec: 405 + Allow", a, "POST"),
        Hostile("POST /ping", g, get("/ping", "POST"), 405, "spec: 405 + Allow", a, "GET, HEAD"),
        Hostile("DELETE /bytes?n=1", g, get("/bytes?n=1", "DELETE"), 405, "spec", a, "GET, HEAD"),
        Hostile("PUT /work?ms=1", g, get("/work?ms=1", "PUT"), 405, "spec", a, "GET, HEAD"),
        Hostile("GET /nope", g, get("/nope"), 404, "spec: unknown path -> 404", a),
    ]
    return out


CORPUS: tuple[Hostile, ...] = (
    *SMUGGLING,
    *_request_lines(),
    *_header_fields(),
    *_limits(),
    *_not_http1(),
    *_desync(),
    *_queries(),
)
"""Every hostile input, grouped: smuggling, request line, header fields, limits, not HTTP/1,
desync, routes."""
