# Request smuggling: every way two parties could disagree about where a request body ends
# (RFC 9112 sections 6.1, 6.3 and 7; the "smuggling" rows of docs/robustness.md).
#
# Rules of this file: each input carries a second request (`SMUGGLED`) where a lenient parser
# would find one; the server must refuse the first with the status the spec gives, close, and
# never answer the second. Expected statuses come from docs/service-spec.md, and where it is
# silent from RFC 9112, cited in `why`.
"""`SMUGGLING`: the request-smuggling vectors of the corpus."""

from __future__ import annotations

from harness.check.hostile import SMUGGLED, TE_CHUNKED, Hostile, post

_MERGE = "spec -> 400 (RFC 9112 6.3(5) allows merging equal values)"


def _smuggling() -> list[Hostile]:
    s, g = SMUGGLED, "smuggling"
    cl_te = "spec: both CL and TE -> 400; RFC 9112 6.1, 6.3(3): then close"
    return [
        Hostile(
            "cl + te", g, post(b"Content-Length: 4\r\n" + TE_CHUNKED, b"0\r\n\r\n" + s), 400, cl_te
        ),
        Hostile(
            "te + cl", g, post(TE_CHUNKED + b"\r\nContent-Length: 40", b"0\r\n\r\n" + s), 400, cl_te
        ),
        Hostile(
            "cl + te: chunked, identity",
            g,
            post(b"Content-Length: 4\r\nTransfer-Encoding: chunked, identity", b"0\r\n\r\n" + s),
            400,
            cl_te,
        ),
        Hostile(
            "cl twice, equal",
            g,
            post(b"Content-Length: 3\r\nContent-Length: 3", b"abc" + s),
            400,
            "spec -> 400 (RFC 9110 8.6 and 9112 6.3(5) allow merging equal values)",
        ),
        Hostile(
            "cl twice, conflicting",
            g,
            post(b"Content-Length: 3\r\nContent-Length: 40", b"abc" + s),
            400,
            "RFC 9112 6.3(5): conflicting Content-Length is unrecoverable -> 400",
        ),
        Hostile("cl list 3, 3", g, post(b"Content-Length: 3, 3", b"abc" + s), 400, _MERGE),
        Hostile(
            "cl list 3, 40",
            g,
            post(b"Content-Length: 3, 40", b"abc" + s),
            400,
            "RFC 9112 6.3(5): unequal values, unrecoverable -> 400",
        ),
        Hostile(
            "cl not a number",
            g,
            post(b"Content-Length: three"),
            400,
            "spec: non-numeric -> 400 (RFC 9112 6.3(5))",
        ),
        Hostile("cl negative", g, post(b"Content-Length: -1"), 400, "RFC 9110 8.6: 1*DIGIT"),
        Hostile(
            "cl plus sign", g, post(b"Content-Length: +3", b"abc"), 400, "RFC 9110 8.6: 1*DIGIT"
        ),
        Hostile("cl hex", g, post(b"Content-Length: 0x3", b"abc"), 400, "RFC 9110 8.6: 1*DIGIT"),
        Hostile(
            "cl 2^64 (overflow)",
            g,
            post(b"Content-Length: 18446744073709551616"),
            400,
            "RFC 9110 8.6: guard against overflow; a length no u64 holds is invalid -> 400",
        ),
        Hostile(
            "te: chunked, identity",
            g,
            post(b"Transfer-Encoding: chunked, identity", b"0\r\n\r\n" + s),
            400,
            "RFC 9112 6.3(4): chunked not the final coding -> 400, then close",
        ),
        Hostile(
            "te: chunked, chunked",
            g,
            post(b"Transfer-Encoding: chunked, chunked", b"0\r\n\r\n" + s),
            400,
            "RFC 9112 6.1: chunked MUST NOT be applied twice",
        ),
        Hostile(
            "te twice: chunked / chunked",
            g,
            post(TE_CHUNKED + b"\r\n" + TE_CHUNKED, b"0\r\n\r\n" + s),
            400,
            "RFC 9112 6.1 (twice), RFC 9110 5.3 (two fields, one list)",
        ),
        Hostile(
            "te: , chunked",
            g,
            post(b"Transfer-Encoding: , chunked", b"0\r\n\r\n" + s),
            400,
            "spec: an empty list element -> 400",
        ),
        Hostile(
            "te: xchunked",
            g,
            post(b"Transfer-Encoding: xchunked", b"0\r\n\r\n" + s),
            501,
            "spec: a coding other than chunked -> 501 (RFC 9112 6.1: SHOULD 501)",
        ),
        Hostile(
            "te: identity",
            g,
            post(b"Transfer-Encoding: identity", b"0\r\n\r\n" + s),
            501,
            "spec -> 501 (identity is no transfer coding since RFC 7230)",
        ),
        Hostile(
            "te: obs-fold",
            g,
            post(b"Transfer-Encoding:\r\n chunked", b"0\r\n\r\n" + s),
            400,
            "spec: obs-fold -> 400 (RFC 9112 5.2 allows reject)",
        ),
        Hostile(
            "te: leading whitespace line",
            g,
            b"POST /echo HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: x\r\n\r\n0\r\n\r\n" + s,
            400,
            "RFC 9112 2.2: whitespace before the first field -> reject (or ignore the line)",
        ),
        Hostile(
            "te: space before colon",
            g,
            post(b"Transfer-Encoding : chunked", b"0\r\n\r\n" + s),
            400,
            "RFC 9112 5.1: whitespace between name and colon MUST get 400",
        ),
        Hostile(
            "te: vertical tab",
            g,
            post(b"Transfer-Encoding: \x0bchunked", b"0\r\n\r\n" + s),
            400,
            "spec: control characters in a field value -> 400",
        ),
        Hostile(
            "te in HTTP/1.0",
            g,
            b"POST /echo HTTP/1.0\r\n" + TE_CHUNKED + b"\r\n\r\n0\r\n\r\n" + s,
            400,
            "spec -> 400; RFC 9112 6.1: TE in 1.0 means faulty framing",
        ),
        Hostile(
            "te in trailer",
            g,
            post(TE_CHUNKED, b"0\r\nTransfer-Encoding: chunked\r\n\r\n" + s),
            400,
            "spec: framing fields in trailers -> 400 (RFC 9110 6.5.1)",
        ),
        Hostile(
            "cl in trailer",
            g,
            post(TE_CHUNKED, b"0\r\nContent-Length: 40\r\n\r\n" + s),
            400,
            "spec: framing fields in trailers -> 400 (RFC 9110 6.5.1)",
        ),
        Hostile(
            "chunk size 5g", g, post(TE_CHUNKED, b"5g\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1"
        ),
        Hostile(
            "chunk size 0x5", g, post(TE_CHUNKED, b"0x5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1"
        ),
        Hostile(
            "chunk size -5", g, post(TE_CHUNKED, b"-5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1"
        ),
        Hostile(
            "chunk size ' 5'", g, post(TE_CHUNKED, b" 5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1"
        ),
        Hostile(
            "chunk size overflow",
            g,
            post(TE_CHUNKED, b"1" + b"0" * 16 + b"\r\nhello\r\n0\r\n\r\n"),
            400,
            "RFC 9112 7.1: MUST anticipate overflow; 2^64 is malformed framing",
        ),
        Hostile(
            "chunk longer than size",
            g,
            post(TE_CHUNKED, b"3\r\nabcdef\r\n0\r\n\r\n"),
            400,
            "RFC 9112 7.1: CRLF must follow chunk-data",
        ),
        Hostile(
            "bare LF line ends",
            g,
            b"GET /ping HTTP/1.1\nHost: x\n\n" + s,
            400,
            "spec: bare LF -> 400 (RFC 9112 2.2 allows reject)",
        ),
        Hostile(
            "bare LF in one field line",
            g,
            b"GET /ping HTTP/1.1\r\nHost: x\nX: y\r\n\r\n" + s,
            400,
            "spec: bare LF -> 400",
        ),
        Hostile(
            "bare CR",
            g,
            b"GET /ping HTTP/1.1\r\nHost: x\rX: y\r\n\r\n" + s,
            400,
            "RFC 9112 2.2: a bare CR MUST be rejected or replaced",
        ),
        Hostile(
            "bare LF after chunk size",
            g,
            post(TE_CHUNKED, b"5\nhello\r\n0\r\n\r\n" + s),
            400,
            "spec: bare LF in chunk framing -> 400",
        ),
    ]


SMUGGLING: tuple[Hostile, ...] = tuple(_smuggling())
