# What llhttp checks byte by byte and h11 does not, written out so that both backends agree.
#
# Rules of this file: `StrictFraming` sits between the received bytes and h11. It reads the
# request stream line by line as llhttp's strict mode does (CRLF only, no obs-fold, no control
# characters in field values, the chunk-size grammar with its extensions), applies
# `_rules.check_head` to every complete head, and hands h11 a canonical stream with nothing left
# to judge: one space between the parts of the request line, no blank lines before it, fields as
# `name: value`, chunk sizes in plain hex, no trailer fields. It tolerates exactly what llhttp
# tolerates (blank lines before a request line, several spaces inside it). The raw-size caps are
# counted as `HttptoolsBackend` counts them, so `--parser h11` answers every input as
# `--parser httptools` does; tests/protocol/test_differential.py holds the two to that. Where
# llhttp refuses a bad byte as it arrives and this file only at the end of its line, the two
# differ in when they refuse, not whether; the one time "when" shows (a `100 Continue` sent or
# not) is made alike in `_partial_line`.
"""`StrictFraming`: llhttp's request framing rules, in front of h11."""

from __future__ import annotations

import enum
import re
from collections import deque
from dataclasses import dataclass

from impls.protocol._errors import ProtocolError
from impls.protocol._events import Headers
from impls.protocol._rules import CHUNKED, KNOWN_METHODS, Framing, check_head

_TCHAR = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"  # RFC 9110 token characters
_REQUEST_LINE = re.compile(rb"([%s]+) +([\x21-\x7e]+) +(HTTP|RTSP|ICE)/([0-9]\.[0-9])" % _TCHAR)
# How llhttp lets a target start (before it looks at the version): "/", "*" or "scheme://".
_TARGET_START = re.compile(rb"[/*]|[A-Za-z]+://")
_FIELD_LINE = re.compile(rb"([%s]+):[ \t]*([\t\x20-\x7e\x80-\xff]*)" % _TCHAR)
# The same for a whole run of field lines, and the (name, value) pairs in it, value trimmed.
_FIELD_LINES = re.compile(rb"(?:[%s]+:[\t\x20-\x7e\x80-\xff]*\r\n)*" % _TCHAR)
_FIELD_VALUES = re.compile(
    rb"([%s]+):[ \t]*((?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?)[ \t]*\r\n"
    % _TCHAR
)
# llhttp's chunk-size line: hex digits, then extensions `;name[=token|"quoted"]` where llhttp
# lets a name be empty but refuses a space or the line end straight after `;`; no whitespace.
_QUOTED = rb'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_CHUNK_EXTENSIONS = rb"(?:;(?=[^ ])[%s]*(?:=[%s]*(?:%s)?)?)*" % (_TCHAR, _TCHAR, _QUOTED)
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]+)%s" % _CHUNK_EXTENSIONS)
# The starts of the two lines of a chunked body that llhttp has not refused yet when a receive
# ends: what can still become such a line (a start ending in CR must be the whole line).
_FIELD_LINE_START = re.compile(rb"(?:[%s]+(?::[\t\x20-\x7e\x80-\xff]*)?)?" % _TCHAR)
_QUOTED_START = rb'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*\\?'
_CHUNK_LINE_START = re.compile(
    rb"(?:([0-9A-Fa-f]+)%s(?:;[%s]*(?:=[%s]*(?:%s)?)?)?)?"
    % (_CHUNK_EXTENSIONS, _TCHAR, _TCHAR, _QUOTED_START)
)
_MAX_CHUNK_SIZE = 2**64 - 1  # llhttp's "Chunk size overflow" above this
_MAX_CHUNK_DIGITS = 16  # significant hex digits of _MAX_CHUNK_SIZE
# The versions llhttp parses; any other "HTTP/d.d" is its "Invalid HTTP version", a 505 in both.
_PARSED_VERSIONS = frozenset([b"0.9", b"1.0", b"1.1", b"2.0"])
_HTTP1 = frozenset([b"1.0", b"1.1"])
_FRAMING_FIELDS = frozenset([b"content-length", b"transfer-encoding"])
# llhttp also takes "RTSP/x.y" and "ICE/x.y" for "HTTP/x.y", with the methods of those
# protocols, and reports the request as HTTP of that version; httptools cannot tell us which
# name it saw, so the same requests pass here. (Of the RTSP methods `check_head` knows only these.)
_OTHER_PROTOCOL_METHODS = {
    b"RTSP": frozenset([b"OPTIONS", b"GET", b"POST"]),
    b"ICE": frozenset([b"SOURCE"]),
}


class _State(enum.Enum):
    START = enum.auto()  # between requests: blank lines are skipped, as llhttp does
    HEAD = enum.auto()  # reading the request line and header fields
    BODY = enum.auto()  # passing a Content-Length body through
    CHUNK_SIZE = enum.auto()  # reading a chunk-size line
    CHUNK_DATA = enum.auto()  # passing chunk data through
    CHUNK_END = enum.auto()  # expecting the CRLF after chunk data
    TRAILER = enum.auto()  # reading trailer fields (checked, then dropped)
    DONE = enum.auto()  # after a final request or an error: nothing more is read


_LINE_STATES = (_State.HEAD, _State.CHUNK_SIZE, _State.TRAILER)
_BODY_STATES = (_State.BODY, _State.CHUNK_SIZE, _State.CHUNK_DATA, _State.CHUNK_END, _State.TRAILER)


@dataclass(frozen=True, slots=True)
class Head:
    """A request head as received (field values without surrounding whitespace), and its rules."""

    method: str
    target: str
    http_version: str
    headers: Headers
    framing: Framing


class StrictFraming:
    """Checks a request byte stream as llhttp does and returns its canonical form, for h11.

    `feed` never raises: at the first broken rule it records `error` and returns the canonical
    bytes of everything before it, so that requests already complete are still served. Each
    complete head is appended to `heads`, in the order h11 will report them.
    """

    def __init__(
        self, max_header_bytes: int, max_body_bytes: int, raw_cap: int, raw_line_cap: int
    ) -> None:
        self._max_header_bytes = max_header_bytes
        self._max_body_bytes = max_body_bytes
        self._raw_cap = raw_cap  # of a head, counted per receive
        self._raw_line_cap = raw_line_cap  # of a chunk-size or trailer line, counted exactly
        self.heads: deque[Head] = deque()
        self.error: ProtocolError | None = None
        self._state = _State.START
        self._line = bytearray()  # the current, incomplete line
        self._request_line: tuple[str, str, str] | None = None
        self._fields: list[tuple[bytes, bytes]] = []
        self._field_bytes = 0  # name + value bytes of head and trailer fields, as llhttp's caller
        self._raw_head = 0  # bytes of the receives that carried this head so far
        self._remaining = 0  # bytes of body or chunk still to pass through
        self._keep_alive = True
        # While head_complete: the head asked for 100 Continue, not yet sent (H11Backend's).
        self.awaiting_continue = False

    @property
    def mid_message(self) -> bool:
        """True while a request has started but is not complete."""
        return self._state is not _State.START and self._state is not _State.DONE

    @property
    def head_complete(self) -> bool:
        """True while the current request's head is checked and its body is being read."""
        return self._state in _BODY_STATES

    def feed(self, data: bytes) -> bytes:
        """The canonical form of `data` (the next received bytes) as far as it keeps the rules."""
        out: list[bytes] = []
        try:
            self._feed(data, out)
            self._count_raw_head(len(data))
        except ProtocolError as exc:
            self.error = exc
            self._state = _State.DONE
        return b"".join(out)

    def _count_raw_head(self, received: int) -> None:
        # Counted as HttptoolsBackend counts it: every receive since the one in which the
        # request began, while its head is incomplete.
        if self._state is _State.HEAD:
            self._raw_head += received
            if self._raw_head > self._raw_cap:
                raise ProtocolError(431, "request header fields too large")

    def _feed(self, data: bytes, out: list[bytes]) -> None:
        i, n = 0, len(data)
        while i < n:
            state = self._state
            if state is _State.START:
                while i < n and data[i] in b"\r\n":
                    i += 1
                if i < n:
                    self._begin()
                    i = self._whole_head(data, i, out)
            elif state in _LINE_STATES:
                end = data.find(b"\n", i)
                if end < 0:
                    self._partial_line(data[i:])
                    return
                if self._line:
                    self._line += data[i : end + 1]
                    if state is not _State.HEAD and len(self._line) > self._raw_line_cap:
                        raise self._line_too_long()
                    line = bytes(self._line)
                    self._line.clear()
                else:
                    line = data[i : end + 1]
                i = end + 1
                if state is _State.HEAD and self._request_line is None:
                    self._on_request_line(line)  # which checks its own end, as llhttp does
                    continue
                if len(line) < 2 or line.find(b"\r") != len(line) - 2:
                    raise ProtocolError(400, "malformed request: line not ended by CRLF")
                out.append(self._on_line(line[:-2]))
            elif state is _State.BODY or state is _State.CHUNK_DATA:
                take = min(self._remaining, n - i)
                out.append(data[i : i + take])
                i += take
                self._remaining -= take
                if not self._remaining:
                    if state is _State.BODY:
                        self._end_message()
                    else:
                        self._state = _State.CHUNK_END
            elif state is _State.CHUNK_END:
                expected = b"\r\n"[len(self._line)]
                if data[i] != expected:
                    raise ProtocolError(400, "malformed request: chunk data not ended by CRLF")
                self._line.append(expected)
                i += 1
                if len(self._line) == 2:
                    self._line.clear()
                    out.append(b"\r\n")
                    self._state = _State.CHUNK_SIZE
            else:  # DONE
                return

    def _begin(self) -> None:
        self._state = _State.HEAD
        self._request_line = None
        self._fields = []
        self._field_bytes = 0
        self._raw_head = 0

    def _whole_head(self, data: bytes, start: int, out: list[bytes]) -> int:
        """Where a head that begins at `start` is wholly in `data` with CRLF line ends only
        (the usual case), check it in one go; returns where parsing goes on."""
        end = data.find(b"\r\n\r\n", start)
        if end < 0:
            return start
        block = data[start:end]
        crlf = block.count(b"\r\n")
        if block.count(b"\r") != crlf or block.count(b"\n") != crlf:
            return start  # a bare CR or LF: the line-by-line path says where and how
        line_end = block.find(b"\r\n")
        if line_end < 0:  # a request line without fields
            request_line, fields = block + b"\r\n", b""
        else:
            request_line, fields = block[: line_end + 2], block[line_end + 2 :] + b"\r\n"
        if _FIELD_LINES.fullmatch(fields) is None:
            return start  # a malformed field: the line-by-line path says which
        self._on_request_line(request_line)
        found = [(name.lower(), value) for name, value in _FIELD_VALUES.findall(fields)]
        self._field_bytes = sum(len(name) + len(value) for name, value in found)
        if self._field_bytes > self._max_header_bytes:
            raise ProtocolError(431, "request header fields too large")
        self._fields = found
        out.append(self._end_head(data[start : end + 4]))
        return end + 4

    def _partial_line(self, chunk: bytes) -> None:
        """Keep `chunk`, the start of a line or more of one, until its LF arrives."""
        state = self._state
        if state is not _State.HEAD and len(self._line) + len(chunk) > self._raw_line_cap:
            raise self._line_too_long()  # first, as HttptoolsBackend measures before llhttp reads
        # llhttp refuses a CR not followed by LF at once; waiting for a LF that a bare-CR client
        # never sends would leave h11 silent where llhttp answered.
        cr = chunk.find(b"\r")
        if (self._line[-1:] == b"\r" and chunk) or 0 <= cr < len(chunk) - 1:
            if state is _State.HEAD and self._request_line is None:
                self._on_request_line(bytes(self._line) + chunk)  # its own verdict comes first
            raise ProtocolError(400, "malformed request: CR not followed by LF")
        if self.awaiting_continue and not self._line and state is not _State.HEAD:
            # A 100 Continue may still go out: llhttp sends none for a request it refused on a
            # bad byte of the body that came with the head, so a line begun in this receive is
            # judged now, not at its LF. (Only such a line: none is scanned twice.)
            self._check_line_start(chunk)
        self._line += chunk

    def _line_too_long(self) -> ProtocolError:
        if self._state is _State.TRAILER:
            return ProtocolError(431, "trailer fields too large")
        return ProtocolError(400, "malformed request: chunk extensions too long")

    def _check_line_start(self, start: bytes) -> None:
        """Refuse the start of a chunk-size line or trailer field that no line begins with."""
        whole = start.endswith(b"\r")  # all of the line is here but its LF
        if self._state is _State.TRAILER:
            if whole:
                bad = start != b"\r" and _FIELD_LINE.fullmatch(start, 0, len(start) - 1) is None
            else:
                bad = _FIELD_LINE_START.fullmatch(start) is None
            if bad:
                raise ProtocolError(400, "malformed request: bad header line")
            # llhttp refuses Content-Length at its colon, Transfer-Encoding at its value.
            name, colon, value = start.partition(b":")
            name = name.lower()
            if colon and (
                name == b"content-length"
                or (name == b"transfer-encoding" and value.strip(b" \t\r"))
            ):
                raise ProtocolError(400, "malformed request: framing field in trailer")
            return
        pattern = _CHUNK_LINE if whole else _CHUNK_LINE_START
        match = pattern.fullmatch(start, 0, len(start) - whole)
        if match is None:
            raise ProtocolError(400, "malformed request: bad chunk size line")
        if len((match[1] or b"").lstrip(b"0")) > _MAX_CHUNK_DIGITS:
            raise ProtocolError(400, "malformed request: chunk size overflow")

    def _on_line(self, line: bytes) -> bytes:
        state = self._state
        if state is _State.HEAD:
            if line:
                self._on_field(line)
                return b""
            return self._end_head()
        if state is _State.CHUNK_SIZE:
            return self._on_chunk_size(line)
        if line:  # TRAILER
            name, _value = self._on_field(line)
            if name in _FRAMING_FIELDS:  # llhttp: they conflict with the head's framing
                raise ProtocolError(400, "malformed request: framing field in trailer")
            return b""
        self._end_message()
        return b"\r\n"  # the trailer fields are dropped, as HttptoolsBackend drops them

    def _on_request_line(self, line: bytes) -> None:
        """Check the request line (with its line end) in llhttp's order of checks."""
        match = _REQUEST_LINE.match(line)
        if match is None:
            raise ProtocolError(400, "malformed request: bad request line")
        method, target, protocol, version = match.groups()
        if method.decode("ascii") not in KNOWN_METHODS and method != b"PRI":
            raise ProtocolError(400, "malformed request: invalid method")
        if protocol != b"HTTP" and method not in _OTHER_PROTOCOL_METHODS[protocol]:
            raise ProtocolError(400, "malformed request: invalid method for the protocol")
        if len(target) > self._max_header_bytes:
            raise ProtocolError(431, "request header fields too large")
        if method != b"CONNECT" and _TARGET_START.match(target) is None:
            raise ProtocolError(400, "malformed request: bad request target")
        if version not in _PARSED_VERSIONS or (method == b"PRI" and version not in _HTTP1):
            # llhttp takes PRI only as the start of the HTTP/2 preface, and refuses it there
            raise ProtocolError(505, f"HTTP/{version.decode('ascii')} not supported")
        if line[match.end() :] != b"\r\n":
            raise ProtocolError(400, "malformed request: bad request line")
        self._request_line = (method.decode("ascii"), target.decode("ascii"), version.decode())

    def _on_field(self, line: bytes) -> tuple[bytes, bytes]:
        match = _FIELD_LINE.fullmatch(line)  # a leading space or tab (obs-fold) fails here
        if match is None:
            raise ProtocolError(400, "malformed request: bad header line")
        name = match[1].lower()
        value = match[2].rstrip(b" \t")
        self._field_bytes += len(name) + len(value)
        if self._field_bytes > self._max_header_bytes:
            raise ProtocolError(431, "request header fields too large")
        if self._state is _State.HEAD:
            self._fields.append((name, value))
        return name, value

    def _end_head(self, raw: bytes = b"") -> bytes:
        """Apply `check_head`; the canonical head for h11 (`raw` itself if it already is)."""
        assert self._request_line is not None
        method, target, version = self._request_line
        headers = tuple(self._fields)
        framing = check_head(
            method,
            target,
            version,
            headers,
            max_header_bytes=self._max_header_bytes,
            max_body_bytes=self._max_body_bytes,
        )
        self.heads.append(Head(method, target, version, headers, framing))
        self._keep_alive = framing.keep_alive
        self.awaiting_continue = framing.expects_continue
        if framing.length == CHUNKED:
            self._state = _State.CHUNK_SIZE
        elif framing.length:
            self._state = _State.BODY
            self._remaining = framing.length
        else:
            self._end_message()
        request_line = f"{method} {target} HTTP/{version}\r\n".encode("ascii")
        if raw.startswith(request_line) and not any(n in _FRAMING_FIELDS for n, _ in headers):
            return raw  # the usual bodiless request: h11 may read it as it came (2 us saved)
        # The framing fields are written from the decision, so h11 reads the body `check_head`
        # chose (none for an Upgrade request) and never judges a Content-Length again.
        lines = [request_line]
        lines.extend(
            name + b": " + value + b"\r\n" for name, value in headers if name not in _FRAMING_FIELDS
        )
        if framing.length == CHUNKED:
            lines.append(b"transfer-encoding: chunked\r\n")
        elif framing.length:
            lines.append(b"content-length: %d\r\n" % framing.length)
        lines.append(b"\r\n")
        return b"".join(lines)

    def _on_chunk_size(self, line: bytes) -> bytes:
        match = _CHUNK_LINE.fullmatch(line)
        if match is None:
            raise ProtocolError(400, "malformed request: bad chunk size line")
        digits = match[1].lstrip(b"0")
        size = int(digits or b"0", 16) if len(digits) <= _MAX_CHUNK_DIGITS else _MAX_CHUNK_SIZE + 1
        if size > _MAX_CHUNK_SIZE:
            raise ProtocolError(400, "malformed request: chunk size overflow")
        if size:
            self._state = _State.CHUNK_DATA
            self._remaining = size
        else:
            self._state = _State.TRAILER
        return b"%x\r\n" % size

    def _end_message(self) -> None:
        self._state = _State.START if self._keep_alive else _State.DONE
