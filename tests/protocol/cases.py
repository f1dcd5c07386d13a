# The HTTP codec's table of cases: raw request bytes -> the events an HttpConnection reports.
#
# Rules of this file: raw bytes are test constants (uvicorn's habit), one case per rule of
# docs/service-spec.md; test_http_codec.py runs every case through both parser backends, fed
# whole, byte by byte and with trailing bytes. Limits are small (`CONFIG`) so that cases at and
# beyond each limit stay short; sizes are computed from those limits, never typed in.
"""`CASES`: the request-stream table shared by the codec tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from impls.config import ServerConfig
from tests.protocol._drive import Err, Expected, Req

CONFIG = ServerConfig(max_header_bytes=512, max_body_bytes=256, receive_size=1024)
RAW_CAP = CONFIG.max_header_bytes + CONFIG.receive_size
"""Raw bytes of an unfinished head above which it is a 431, whatever its canonical size."""
RAW_LINE_CAP = CONFIG.max_header_bytes + CONFIG.receive_size
"""Bytes of a chunk-size line or trailer field (its CRLF included) above which it is refused."""


@dataclass(frozen=True)
class Case:
    """Raw bytes and the events they must give, in order."""

    id: str
    raw: bytes
    events: list[Expected] = field(default_factory=list)


def head_of_size(size: int) -> bytes:
    """A GET /ping head whose canonical size (and raw size: no optional whitespace) is `size`."""
    base = b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n"
    return base.replace(b"X-Pad: ", b"X-Pad: " + b"p" * (size - len(base)))


CHUNKED_HEAD = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
LONG_LINE_START = (b"1;e=", b"X-Long:")
"""How the long line of `chunk_extension_line` and `trailer_line` begins, for finding it."""


def chunk_extension_line(length: int) -> bytes:
    """A chunked POST of body `abz` whose second chunk-size line is `length` bytes with its
    CRLF: a chunk extension makes it long."""
    line = b"1;e=" + b"x" * (length - len(b"1;e=\r\n")) + b"\r\n"
    return CHUNKED_HEAD + b"2\r\nab\r\n" + line + b"z\r\n0\r\n\r\n"


def trailer_line(length: int) -> bytes:
    """A chunked POST of body `ab` whose second trailer field is `length` bytes with its CRLF:
    whitespace before its value makes it long (and leaves its canonical size small)."""
    line = b"X-Long:" + b" " * (length - len(b"X-Long:v\r\n")) + b"v\r\n"
    return CHUNKED_HEAD + b"2\r\nab\r\n0\r\nX-A: b\r\n" + line + b"\r\n"


def _chunked_post(body: bytes) -> bytes:
    half = len(body) // 2
    chunks = [body[:half], body[half:]]
    return (
        CHUNKED_HEAD + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks if c) + b"0\r\n\r\n"
    )


AT_BODY_LIMIT = b"b" * CONFIG.max_body_bytes
OVER_BODY_LIMIT = AT_BODY_LIMIT + b"b"
PING = Req("GET", "/ping")

CASES = [
    # --- requests as they come --------------------------------------------------------------
    Case(
        "get",
        b"GET /ping HTTP/1.1\r\nHost: example.com\r\n\r\n",
        [Req("GET", "/ping", headers=((b"host", b"example.com"),), path="/ping", query="")],
    ),
    Case(
        "get-query-string",
        b"GET /bytes?n=10&x=y%20z HTTP/1.1\r\nHost: x\r\n\r\n",
        [Req("GET", "/bytes?n=10&x=y%20z", path="/bytes", query="n=10&x=y%20z")],
    ),
    Case(
        "field-names-lowered-values-trimmed",
        b"GET /ping HTTP/1.1\r\nHOST: x\r\nX-Thing:   two  words \t\r\nX-Empty:\r\n\r\n",
        [
            Req(
                "GET",
                "/ping",
                headers=((b"host", b"x"), (b"x-thing", b"two  words"), (b"x-empty", b"")),
            )
        ],
    ),
    Case(
        "post-content-length",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        [Req("POST", "/echo", b"hello")],
    ),
    Case(
        "post-content-length-zero",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        [Req("POST", "/echo")],
    ),
    Case(
        "post-chunked",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        [Req("POST", "/echo", b"hello world")],
    ),
    Case(
        "chunked-extensions",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;name=value;flag\r\nhello\r\n1;q="a \\"b\\""\r\n!\r\n0;last\r\n\r\n',
        [Req("POST", "/echo", b"hello!")],
    ),
    Case(
        "chunked-trailers-are-dropped",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-Other: v\r\n\r\n",
        [
            Req(
                "POST",
                "/echo",
                b"abc",
                headers=((b"host", b"x"), (b"transfer-encoding", b"chunked")),
            )
        ],
    ),
    Case(
        "chunk-size-hex-and-leading-zeros",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"000A\r\n0123456789\r\n00b\r\nabcdefghijk\r\n000\r\n\r\n",
        [Req("POST", "/echo", b"0123456789abcdefghijk")],
    ),
    Case(
        "transfer-encoding-case-and-spaces",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n\r\n"
        b"1\r\nz\r\n0\r\n\r\n",
        [Req("POST", "/echo", b"z")],
    ),
    Case(
        "pipelined-in-order",
        b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
        b"GET /bytes?n=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        [
            PING,
            Req("POST", "/echo", b"abc"),
            Req("POST", "/echo", b"de"),
            Req("GET", "/bytes?n=1", query="n=1"),
        ],
    ),
    Case(
        "empty-lines-before-request-line",
        b"\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
        [PING, PING],
    ),
    Case(
        "absolute-form",
        b"GET http://example.com:8080/bytes?n=3 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
        [Req("GET", "http://example.com:8080/bytes?n=3", path="/bytes", query="n=3")],
    ),
    Case(
        "absolute-form-without-path",
        b"GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
        [Req("GET", "HTTPS://example.com", path="/", query="")],
    ),
    Case(
        "asterisk-form",
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        [Req("OPTIONS", "*")],
    ),
    Case(
        "http10-without-host",
        b"GET /ping HTTP/1.0\r\n\r\n",
        [Req("GET", "/ping", keep_alive=False, version="1.0")],
    ),
    # --- keep-alive -------------------------------------------------------------------------
    Case(
        "http11-stays-open",
        b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
        [PING, PING],
    ),
    Case(
        "http11-connection-close",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
        [Req("GET", "/ping", keep_alive=False)],
    ),
    Case(
        "http11-connection-close-any-case-in-list",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: X-Foo, CLOSE\r\n\r\n",
        [Req("GET", "/ping", keep_alive=False)],
    ),
    Case(
        "http11-connection-token-list",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Upgrade\r\n\r\n",
        [PING],
    ),
    Case(
        "http11-closed-is-not-close",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n",
        [PING],
    ),
    Case(
        "http11-proxy-connection-close",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nProxy-Connection: close\r\n\r\n",
        [Req("GET", "/ping", keep_alive=False)],
    ),
    Case(
        "http10-closes-by-default",
        b"GET /ping HTTP/1.0\r\n\r\nGET /ping HTTP/1.0\r\n\r\n",
        [Req("GET", "/ping", keep_alive=False, version="1.0")],
    ),
    Case(
        "http10-keep-alive",
        b"GET /ping HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /ping HTTP/1.0\r\n\r\n",
        [
            Req("GET", "/ping", version="1.0"),
            Req("GET", "/ping", keep_alive=False, version="1.0"),
        ],
    ),
    Case(
        "http10-close-beats-keep-alive",
        b"GET /ping HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
        [Req("GET", "/ping", keep_alive=False, version="1.0")],
    ),
    Case(
        "upgrade-is-served-then-closed-body-unread",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Content-Length: 4\r\n\r\nwxyz",
        [Req("POST", "/echo", b"", keep_alive=False)],
    ),
    Case(
        "upgrade-field-without-connection-token-is-ignored",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n",
        [PING],
    ),
    Case(
        "connect-is-served-then-closed",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        [Req("CONNECT", "example.com:443", keep_alive=False)],
    ),
    # --- limits -----------------------------------------------------------------------------
    Case("head-at-limit", head_of_size(CONFIG.max_header_bytes), [PING]),
    Case("head-over-limit", head_of_size(CONFIG.max_header_bytes + 1), [Err(431)]),
    Case(
        "target-over-limit",
        b"GET /" + b"t" * CONFIG.max_header_bytes + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        [Err(431)],
    ),
    Case(
        "too-many-fields",
        b"GET /ping HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: v\r\n" % i for i in range(CONFIG.max_header_bytes // 8))
        + b"\r\n",
        [Err(431)],
    ),
    Case(
        # Limits count the canonical head: padding is free up to the raw cap.
        "whitespace-padding-within-raw-cap",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad:" + b" " * (RAW_CAP - 100) + b"v\r\n\r\n",
        [PING],
    ),
    Case(
        # Refused once the receives carrying the unfinished head pass the raw cap: certain
        # when the head is longer than the cap plus one receive, wherever the receives split.
        "whitespace-padding-beyond-raw-cap",
        b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad:"
        + b" " * (RAW_CAP + CONFIG.receive_size)
        + b"v\r\n\r\n",
        [Err(431)],
    ),
    Case(
        "trailer-fields-over-limit",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
        + b"X-Trailer: "
        + b"t" * CONFIG.max_header_bytes
        + b"\r\n\r\n",
        [Err(431)],
    ),
    # A chunk-size line or trailer field counts from its first byte through its LF, wherever the
    # receives split it: no receive is as long as the cap, so a line over it never fits in one.
    Case(
        "chunk-extension-line-under-raw-line-cap",
        chunk_extension_line(RAW_LINE_CAP - 1),
        [Req("POST", "/echo", b"abz")],
    ),
    Case(
        "chunk-extension-line-at-raw-line-cap",
        chunk_extension_line(RAW_LINE_CAP),
        [Req("POST", "/echo", b"abz")],
    ),
    Case(
        "chunk-extension-line-over-raw-line-cap",
        chunk_extension_line(RAW_LINE_CAP + 1),
        [Err(400)],
    ),
    Case(
        "trailer-line-under-raw-line-cap",
        trailer_line(RAW_LINE_CAP - 1),
        [Req("POST", "/echo", b"ab")],
    ),
    Case("trailer-line-at-raw-line-cap", trailer_line(RAW_LINE_CAP), [Req("POST", "/echo", b"ab")]),
    Case("trailer-line-over-raw-line-cap", trailer_line(RAW_LINE_CAP + 1), [Err(431)]),
    Case(
        "body-at-limit",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
        % (len(AT_BODY_LIMIT), AT_BODY_LIMIT),
        [Req("POST", "/echo", AT_BODY_LIMIT)],
    ),
    Case(
        "declared-body-over-limit",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
        % (len(OVER_BODY_LIMIT), OVER_BODY_LIMIT),
        [Err(413)],
    ),
    Case(
        "chunked-body-at-limit", _chunked_post(AT_BODY_LIMIT), [Req("POST", "/echo", AT_BODY_LIMIT)]
    ),
    Case("chunked-body-over-limit", _chunked_post(OVER_BODY_LIMIT), [Err(413)]),
    # --- broken requests --------------------------------------------------------------------
    Case("garbage", b"GARBAGE\r\n\r\n", [Err(400)]),
    Case("request-line-extra-word", b"GET /ping HTTP/1.1 extra\r\nHost: x\r\n\r\n", [Err(400)]),
    Case("field-without-colon", b"GET /ping HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", [Err(400)]),
    Case(
        "space-in-field-name", b"GET /ping HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", [Err(400)]
    ),
    Case(
        "bad-chunk-size",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        [Err(400)],
    ),
    Case(
        "chunk-longer-than-its-size",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n",
        [Err(400)],
    ),
    Case("bad-target", b"GET ping HTTP/1.1\r\nHost: x\r\n\r\n", [Err(400)]),
    Case("fragment-in-target", b"GET /ping#top HTTP/1.1\r\nHost: x\r\n\r\n", [Err(400)]),
    Case("unknown-method", b"BREW /ping HTTP/1.1\r\nHost: x\r\n\r\n", [Err(400)]),
    Case("lowercase-method", b"get /ping HTTP/1.1\r\nHost: x\r\n\r\n", [Err(400)]),
    Case("http11-missing-host", b"GET /ping HTTP/1.1\r\n\r\n", [Err(400)]),
    Case("two-hosts", b"GET /ping HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", [Err(400)]),
    Case("invalid-host", b"GET /ping HTTP/1.1\r\nHost: a b\r\n\r\n", [Err(400)]),
    Case("http-2.0", b"GET /ping HTTP/2.0\r\nHost: x\r\n\r\n", [Err(505)]),
    Case("http-1.2", b"GET /ping HTTP/1.2\r\nHost: x\r\n\r\n", [Err(505)]),
    Case(
        "content-length-and-transfer-encoding",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n3\r\nabc\r\n0\r\n\r\n",
        [Err(400)],
    ),
    Case(
        "transfer-encoding-and-content-length",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"
        b"\r\n3\r\nabc\r\n0\r\n\r\n",
        [Err(400)],
    ),
    Case(
        "transfer-encoding-gzip",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        [Err(501)],
    ),
    Case(
        "transfer-encoding-gzip-chunked",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        [Err(501)],
    ),
    Case(
        "transfer-encoding-chunked-not-last",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        [Err(400)],
    ),
    Case(
        "transfer-encoding-in-http10",
        b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        [Err(400)],
    ),
    Case(
        "content-length-not-a-number",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: three\r\n\r\n",
        [Err(400)],
    ),
    Case(
        "content-length-negative",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        [Err(400)],
    ),
    Case(
        "content-length-plus-sign",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
        [Err(400)],
    ),
    Case(
        "content-length-conflicting",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        [Err(400)],
    ),
    Case(
        "content-length-repeated-identical",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        [Err(400)],
    ),
    Case(
        "content-length-list",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
        [Err(400)],
    ),
    # --- what follows a final answer --------------------------------------------------------
    Case(
        "nothing-parsed-after-an-error",
        b"GARBAGE\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
        [Err(400)],
    ),
    Case(
        "error-after-good-pipelined-requests",
        b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
        b"GARBAGE\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
        [PING, Req("POST", "/echo", b"ok"), Err(400)],
    ),
    Case(
        "nothing-parsed-after-connection-close",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1\r\n\r\n!"
        b"GARBAGE\r\n\r\n",
        [Req("POST", "/echo", b"!", keep_alive=False)],
    ),
]
