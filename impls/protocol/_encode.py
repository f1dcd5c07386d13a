# Response serialisation: a typed `Response` in, the bytes of an HTTP/1.1 response out.
#
# Rules of this file: the encoder alone writes Content-Length, Server, Date and Connection, so
# every impl's responses are byte-for-byte alike. It runs once per response in every impl, so it
# builds one bytes object with a single join and caches what does not change per response: the
# Date line within a second, the status line with the Server field, and the head of the response
# it encoded last (a constant such as routes.PONG goes out again and again).
"""`ResponseEncoder`: HTTP/1.1 response bytes with the contract's common headers."""

from __future__ import annotations

import time
from http import HTTPStatus

from impls.protocol._events import Response

_time = time.time
_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode("ascii") for s in HTTPStatus}


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(seconds: int) -> bytes:
    """IMF-fixdate (RFC 9110 section 5.6.7), e.g. b"Sun, 06 Nov 1994 08:49:37 GMT".

    Written out here rather than taken from email.utils, which imports socket: this layer is
    sans-I/O down to its imports.
    """
    t = time.gmtime(seconds)
    return b"%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAYS[t.tm_wday].encode(),
        t.tm_mday,
        _MONTHS[t.tm_mon - 1].encode(),
        t.tm_year,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
    )


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    return line if line is not None else f"HTTP/1.1 {status} Status\r\n".encode("ascii")


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
"""The interim response to `Expect: 100-continue` (RFC 9110 section 15.2.1): a status line and
no fields, as a 1xx has no content and nothing in it needs saying."""

# How the head ends, by (keep_alive, http10); the encoder writes the Connection field alone.
_CLOSE_END = b"connection: close\r\n\r\n"
_KEEP_ALIVE_END = b"connection: keep-alive\r\n\r\n"
_PLAIN_END = b"\r\n"

# A cached head holds its Response alive (see `ResponseEncoder.encode`); above this body size the
# head is not cached, so no large body stays referenced after its response went out.
_CACHED_BODY_MAX = 1024


class ResponseEncoder:
    """Encodes responses for one server (one `Server` header value).

    The Date header is formatted at most once a second, as nginx and uvicorn do: formatting it per
    response cost about 2 µs, a tenth of a whole /ping.
    """

    def __init__(self, server_name: str) -> None:
        self._server = b"server: " + server_name.encode("ascii") + b"\r\n"
        # The status line and Server field, joined once per status (0.03 µs a response).
        self._prefixes: dict[int, bytes] = {}
        self._date = b""
        self._date_second = 0.0  # `_date` holds for time.time() in [_date_second, _date_expires)
        self._date_expires = 0.0
        # The head last encoded: (response, date line, ending, head bytes).
        self._cached: tuple[Response | None, bytes, bytes, bytes] = (None, b"", b"", b"")

    def _refresh_date(self, now: float) -> bytes:
        second = int(now)
        # _date before its bounds: threads sharing one encoder never see a stale pair
        self._date = date = b"date: " + http_date(second) + b"\r\n"
        self._date_second = float(second)
        self._date_expires = second + 1.0
        return date

    def _prefix(self, status: int) -> bytes:
        prefix = self._prefixes.get(status)
        if prefix is None:
            prefix = self._prefixes[status] = _status_line(status) + self._server
        return prefix

    def encode(self, response: Response, keep_alive: bool, http10: bool = False) -> bytes:
        """The bytes of `response`.

        Args:
            response: what to send; its own headers come after the common ones.
            keep_alive: False adds `Connection: close` (the connection ends after this).
            http10: the request was HTTP/1.0, whose keep-alive must be confirmed explicitly.
        """
        now = _time()
        # Two comparisons rather than int(now) != second: 0.02 µs less (a clock set back is
        # still noticed).
        if self._date_second <= now < self._date_expires:
            date = self._date
        else:
            date = self._refresh_date(now)
        end = _CLOSE_END if not keep_alive else _KEEP_ALIVE_END if http10 else _PLAIN_END
        body = response.body
        # The same Response object again (a module constant such as routes.PONG) in the same
        # Date second with the same ending has the same head: reuse it. Identity is a sound key
        # because a Response is immutable and the cache holds a reference to it, so its id
        # cannot be reused by another object meanwhile. 0.52 -> 0.17 µs for a /ping (timeit).
        cached = self._cached
        if cached[0] is response and cached[1] is date and cached[2] is end:
            return cached[3] + body
        parts = [self._prefix(response.status), date, b"content-length: %d\r\n" % len(body)]
        for name, value in response.headers:
            parts += (name, b": ", value, b"\r\n")
        parts.append(end)
        head = b"".join(parts)
        if len(body) <= _CACHED_BODY_MAX:
            self._cached = (response, date, end, head)
        return head + body
