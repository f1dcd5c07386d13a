# The two HTTP/1.1 request parser backends: llhttp (through httptools) and h11.
#
# Rules of this file: a backend only turns bytes into request heads, bodies and message ends.
# Every decision about limits, framing, expectations and keep-alive goes through
# `_rules.check_head`, and every backend failure becomes a `RequestError`, after which the backend
# is dead and ignores input. A backend only *reports* that a request waits for `100 Continue`
# (`awaiting_continue`, and `feed` returning True); whether and when it is sent is the
# connection's decision.
# Each backend bounds what it buffers: a head is capped at `max_header_bytes + receive_size` raw
# bytes (whitespace padding included, counted per receive), a chunk-size line or a trailer field
# at as many bytes counted from its first byte (`_Limits.raw_line_cap`), a body at
# `max_body_bytes`. llhttp is strict; h11 reads through `StrictFraming`, which holds it to
# llhttp's rules (tests/protocol/test_differential.py).
"""Parser backends behind `HttpParser`: bytes in, `Request`/`RequestError` events out."""

from __future__ import annotations

from collections import deque
from typing import Protocol

import h11
import httptools

from impls.protocol._errors import ProtocolError
from impls.protocol._events import Headers, HttpEvent, Request, RequestError
from impls.protocol._framing import Head, StrictFraming
from impls.protocol._rules import CHUNKED, check_head


def make_request(  # noqa: PLR0917 - the fields of Request, in its order
    method: str, target: str, headers: Headers, body: bytes, version: str, keep_alive: bool
) -> Request:
    """Build a `Request`, splitting the target into path and query."""
    path, _, query = target.partition("?")
    if not path.startswith("/"):
        # absolute-form ("http://host/path"): the path starts at the third slash
        scheme_end = path.find("//")
        slash = path.find("/", scheme_end + 2) if scheme_end >= 0 else -1
        path = path[slash:] if slash >= 0 else "/"
    return Request(method, target, headers, body, version, keep_alive, path, query)


class ParserBackend(Protocol):
    """What `HttpParser` needs of a backend."""

    events: deque[HttpEvent]
    """Complete events, oldest first: the connection takes them from the left."""

    awaiting_continue: bool
    """While `head_complete`: the request's head asked for `100 Continue` (`Framing.
    expects_continue`) and it has not been sent. The connection clears it once it sends one."""

    def feed(self, data: bytes) -> bool:
        """Parse `data` (b"" is end of input), appending complete events to `events`.

        Args:
            data: one receive. At most `receive_size` bytes, as an impl's recv() returns them,
                for a line of a chunked body to be measured whole (`_Limits`).

        Returns:
            True if, after `data`, a request waits for `100 Continue`: its head is complete,
            asked for one, and its body is not (so never for a body received with its head).
        """

    @property
    def mid_message(self) -> bool:
        """True while a request has started but is not complete."""

    @property
    def head_complete(self) -> bool:
        """True while the current request's head is parsed and its body is being read."""


class _Limits:
    __slots__ = ("max_header_bytes", "max_body_bytes", "raw_head_cap", "raw_line_cap")

    def __init__(self, max_header_bytes: int, max_body_bytes: int, receive_size: int) -> None:
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        # One receive of slack: a head may start late in one recv() and end early in another.
        self.raw_head_cap = max_header_bytes + receive_size
        # A chunk-size line or trailer field, counted exactly from its first byte through its LF
        # while it is held across the end of a receive. No receive is this long, so a line over
        # it is always held so, and refused however the receives split it; a line within it
        # never is. (Handed more than `receive_size` at once, as tests do, the two backends
        # still agree: a line begun and ended inside one receive is not measured by either.)
        self.raw_line_cap = max_header_bytes + receive_size


_OWS = (b" ", b"\t")


class _Stop(Exception):  # noqa: N818 - control flow, not an error
    """Raised inside an llhttp callback to stop parsing the rest of the buffer."""


class HttptoolsBackend:
    """llhttp, the C parser of Node.js, driven through httptools' callbacks."""

    def __init__(self, max_header_bytes: int, max_body_bytes: int, receive_size: int) -> None:
        self._limits = _Limits(max_header_bytes, max_body_bytes, receive_size)
        self._parser = httptools.HttpRequestParser(self)
        # Keep-alive is decided by `check_head`, and parsing stops after a final request
        # (`_Stop`); without this llhttp would apply its own rule (it reads Proxy-Connection and
        # trailer fields too) and fail the next request with "Data after Connection: close".
        self._parser.set_dangerous_leniencies(lenient_keep_alive=True)
        self.events: deque[HttpEvent] = deque()
        self._dead = False
        self._error: ProtocolError | None = None
        # Plain attributes rather than properties over private ones: the connection reads them
        # after every request to pick its timer (0.025 µs less each).
        self.mid_message = False  # a request has started and is not complete
        self.head_complete = False  # ... and its head is parsed: its body is being read
        self.awaiting_continue = False  # ... and it waits for 100 Continue (read while the above)
        self._raw_head = 0
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self._keep_alive = True
        self._method = ""
        self._version = ""
        self._target = ""
        self._fields: Headers = ()
        # llhttp reads a chunk-size line or a trailer field of a chunked body with no callback
        # until its LF (httptools holds a trailer field back until the next one begins), so its
        # length is counted here. A line starts right after an LF and holds none: what has come
        # of it is what came since the last LF.
        self._in_line = False  # reading such a line (or chunk data of which no byte came yet)
        self._line_bytes = 0  # while _in_line: bytes received since the last LF (> 0: a line)
        self._in_trailer = False  # the line is a trailer field, not a chunk-size line

    # --- llhttp callbacks -------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.mid_message = True
        self.head_complete = False
        self._raw_head = 0
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self._limits.max_header_bytes:
            self._fail(ProtocolError(431, "request header fields too large"))

    def on_header(self, name: bytes, value: bytes) -> None:
        if value[-1:] in _OWS:  # llhttp keeps trailing whitespace; a field value has none
            value = value.rstrip(b" \t")
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > self._limits.max_header_bytes:
            self._fail(ProtocolError(431, "request header fields too large"))
        if self.head_complete:  # a trailer field: counted against the limit, then dropped
            return
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        parser = self._parser
        self._method = parser.get_method().decode("ascii")
        self._version = parser.get_http_version()
        try:
            self._target = target = self._url.decode("ascii")
        except UnicodeDecodeError:
            self._fail(ProtocolError(400, "bad request target"))
        # Kept for on_message_complete, which decoded and copied them again: feed() of a /ping
        # took 2.93 µs, now 2.84 µs (timeit).
        self._fields = fields = tuple(self._headers)
        try:
            framing = check_head(
                self._method,
                target,
                self._version,
                fields,
                max_header_bytes=self._limits.max_header_bytes,
                max_body_bytes=self._limits.max_body_bytes,
            )
        except ProtocolError as exc:
            self._fail(exc)
        # An Upgrade or CONNECT request is answered as an ordinary one, then the connection ends:
        # netmodels speaks no other protocol on it.
        self._keep_alive = framing.keep_alive and not parser.should_upgrade()
        self.awaiting_continue = framing.expects_continue
        self.head_complete = True
        self._in_line = framing.length == CHUNKED

    def on_body(self, body: bytes) -> None:
        self._in_line = False
        self._body_size += len(body)
        if self._body_size > self._limits.max_body_bytes:
            self._fail(ProtocolError(413, "request body too large"))
        self._body.append(body)

    def on_chunk_header(self) -> None:
        # If no data follows, this was the last chunk: trailer fields next. If data follows,
        # on_body says so before a receive ends with a byte of it.
        self._in_line = self._in_trailer = True

    def on_chunk_complete(self) -> None:
        self._in_line = True  # the next chunk-size line, unless the message is complete
        self._in_trailer = False

    def on_message_complete(self) -> None:
        self.events.append(
            make_request(
                self._method,
                self._target,
                self._fields,
                b"".join(self._body),
                self._version,
                self._keep_alive,
            )
        )
        self.mid_message = False
        self.head_complete = False
        self._body = []
        if not self._keep_alive:
            self._dead = True
            raise _Stop

    def _fail(self, error: ProtocolError) -> None:
        self._error = error
        raise error

    # --- input ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> bool:
        if self._dead:
            return False
        if not data:
            # End of input: a request cut short is simply abandoned with the connection.
            self._dead = True
            return False
        if self._line_bytes and self._in_line and self.head_complete:
            # A line begun in an earlier receive, measured through its LF (the first in `data`)
            # before llhttp reads on: a line over the cap yields nothing that follows it.
            end = data.find(b"\n")
            if self._line_bytes + (end + 1 if end >= 0 else len(data)) > self._limits.raw_line_cap:
                return self._line_too_long()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._dead = True
            return False
        except httptools.HttpParserError as exc:
            # _Stop after a final request (mypy cannot see the callback set _dead): the rest of
            # the buffer is ignored.
            if self._dead:
                return False  # type: ignore[unreachable]
            error = self._error or _classify_llhttp(exc, self._parser.get_http_version())
            self.events.append(RequestError(error.status, error.reason))
            self._dead = True
            return False
        if self.mid_message and not self.head_complete:
            self._raw_head += len(data)
            if self._raw_head > self._limits.raw_head_cap:
                self.events.append(RequestError(431, "request header fields too large"))
                self._dead = True
        elif self.mid_message:
            if self._in_line:
                end = data.rfind(b"\n")  # the line began after it, or in an earlier receive
                self._line_bytes = len(data) - end - 1 if end >= 0 else self._line_bytes + len(data)
                if self._line_bytes > self._limits.raw_line_cap:  # a receive over receive_size
                    return self._line_too_long()
            # Only here, in the body of an incomplete request: a request complete in this read
            # returns below without looking (a 100 for a body already here would be no use).
            return self.awaiting_continue
        return False

    def _line_too_long(self) -> bool:
        """Refuse the chunk-size line or trailer field being read: over `raw_line_cap`."""
        if self._in_trailer:
            self.events.append(RequestError(431, "trailer fields too large"))
        else:
            self.events.append(RequestError(400, "malformed request: chunk extensions too long"))
        self._dead = True
        return False


# llhttp's errors about a well-formed version it does not take: "HTTP/1.2" or "HTTP/3.0" in the
# request line, and the HTTP/2 connection preface. h11 parses any "HTTP/d.d" and `check_head`
# answers 505, so these are 505 here too.
_VERSION_ERRORS = frozenset(
    ["Invalid HTTP version", "Pause on PRI/Upgrade", "Expected HTTP/2 Connection Preface"]
)


def _classify_llhttp(exc: Exception, version: str) -> ProtocolError:
    reason = str(exc) or "malformed request"
    if reason in _VERSION_ERRORS and version not in ("1.0", "1.1"):
        return ProtocolError(505, f"HTTP/{version} not supported")
    return ProtocolError(400, f"malformed request: {reason}")


class H11Backend:
    """h11, the pure-Python sans-I/O HTTP/1.1 implementation: the readable, slow baseline.

    h11 is lenient where llhttp is strict (bare LF, obs-fold, chunk extensions, ...) and strict
    where llhttp is lenient (blank lines before a request, extra spaces in its first line), so
    the bytes reach it through `StrictFraming`, which applies llhttp's rules and `check_head`
    and hands h11 the canonical form of what passed.
    """

    def __init__(self, max_header_bytes: int, max_body_bytes: int, receive_size: int) -> None:
        self._limits = _Limits(max_header_bytes, max_body_bytes, receive_size)
        self._framing = StrictFraming(
            max_header_bytes, max_body_bytes, self._limits.raw_head_cap, self._limits.raw_line_cap
        )
        self._conn = self._new_connection()
        self.events: deque[HttpEvent] = deque()
        self._dead = False
        self._head: Head | None = None
        self._body: list[bytes] = []
        self._body_size = 0

    def _new_connection(self) -> h11.Connection:
        return h11.Connection(h11.SERVER, max_incomplete_event_size=self._limits.raw_head_cap)

    @property
    def mid_message(self) -> bool:
        return self._framing.mid_message

    @property
    def head_complete(self) -> bool:
        return self._framing.head_complete

    @property
    def awaiting_continue(self) -> bool:
        return self._framing.awaiting_continue

    @awaiting_continue.setter
    def awaiting_continue(self, value: bool) -> None:
        self._framing.awaiting_continue = value

    def feed(self, data: bytes) -> bool:
        if self._dead:
            return False
        if not data:
            self._dead = True  # as in llhttp: a request cut short is abandoned with the connection
            return False
        framing = self._framing
        canonical = framing.feed(data)
        if canonical:  # (b"" would tell h11 the peer closed)
            self._conn.receive_data(canonical)
        try:
            self._drain()  # the requests before a broken rule are still complete requests
        except ProtocolError as exc:
            self._fail(exc)
        except h11.RemoteProtocolError as exc:  # not expected on a canonical stream
            self._fail(ProtocolError(exc.error_status_hint, f"malformed request: {exc}"))
        if framing.error is not None and not self._dead:
            self._fail(framing.error)
        # StrictFraming is the one to know where the request stands (h11 lags behind it by what
        # it has not yet been asked for): its head complete and its body not, as for llhttp.
        return framing.awaiting_continue and framing.head_complete and not self._dead

    def _fail(self, error: ProtocolError) -> None:
        self.events.append(RequestError(error.status, error.reason))
        self._dead = True

    def _drain(self) -> None:
        limits = self._limits
        while not self._dead:
            event = self._conn.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self._head = self._framing.heads.popleft()  # the same head, as received
                self._body = []
                self._body_size = 0
            elif isinstance(event, h11.Data):
                self._body_size += len(event.data)
                if self._body_size > limits.max_body_bytes:
                    raise ProtocolError(413, "request body too large")
                self._body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                self._finish()
            else:  # ConnectionClosed: a request cut short is abandoned with the connection
                self._dead = True

    def _finish(self) -> None:
        head = self._head
        assert head is not None
        keep_alive = head.framing.keep_alive
        self.events.append(
            make_request(
                head.method,
                head.target,
                head.headers,
                b"".join(self._body),
                head.http_version,
                keep_alive,
            )
        )
        self._head = None
        if not keep_alive:
            self._dead = True
            return
        # h11 keeps a connection only by its own rules (it never keeps HTTP/1.0 alive, and waits
        # for our response before parsing on). The shared rules decide here, so the next request
        # is parsed by a fresh h11 connection fed whatever bytes were left over.
        leftover, _closed = self._conn.trailing_data
        self._conn = self._new_connection()
        if leftover:
            self._conn.receive_data(leftover)
