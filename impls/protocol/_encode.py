# Response serialisation: a typed `Response` in, the bytes of an HTTP/1.1 response out.
#
# Rules of this file: the encoder alone writes Content-Length, Server, Date and Connection, so
# every impl's responses are byte-for-byte alike. It runs once per response in every impl, so it
# builds one bytes object with a single join and caches what does not change per response.
"""`ResponseEncoder`: HTTP/1.1 response bytes with the contract's common headers."""

from __future__ import annotations

import time
from http import HTTPStatus

from ._events import Response

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


class ResponseEncoder:
    """Encodes responses for one server (one `Server` header value).

    The Date header is formatted at most once a second, as nginx and uvicorn do: formatting it per
    response cost about 2 µs, a tenth of a whole /ping.
    """

    def __init__(self, server_name: str) -> None:
        self._server = b"server: " + server_name.encode("ascii") + b"\r\n"
        self._date_second = -1
        self._date = b""

    def _date_line(self) -> bytes:
        now = int(time.time())
        if now != self._date_second:
            # _date before _date_second: threads sharing one encoder never see a stale pair
            self._date = b"date: " + http_date(now) + b"\r\n"
            self._date_second = now
        return self._date

    def encode(self, response: Response, keep_alive: bool, http10: bool = False) -> bytes:
        """The bytes of `response`.

        Args:
            response: what to send; its own headers come after the common ones.
            keep_alive: False adds `Connection: close` (the connection ends after this).
            http10: the request was HTTP/1.0, whose keep-alive must be confirmed explicitly.
        """
        parts = [
            _status_line(response.status),
            self._server,
            self._date_line(),
            b"content-length: %d\r\n" % len(response.body),
        ]
        for name, value in response.headers:
            parts.append(name + b": " + value + b"\r\n")
        if not keep_alive:
            parts.append(b"connection: close\r\n\r\n")
        elif http10:
            parts.append(b"connection: keep-alive\r\n\r\n")
        else:
            parts.append(b"\r\n")
        parts.append(response.body)
        return b"".join(parts)
