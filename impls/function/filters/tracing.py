# Tracing: one id per request, in a header on the wire and in every log line about it.
#
# Rules of this file: the id lives in a context variable, so everything the request runs -
# filters, services, client calls, log records - sees it without passing it along by hand (the
# paper's runtime "threads through tracing metadata", Eriksen PLOS'13 s.1, after Dapper). The
# server side adopts the caller's `x-trace-id` or mints one; the client side sends the current id
# on. A response carries the id back only if the request brought one, so untraced traffic is
# byte-for-byte the same as every other impl's.
"""`TracingFilter` (server side), `TraceForwardFilter` (client side), `current_trace_id`."""

from __future__ import annotations

import contextvars
import dataclasses
import itertools
import logging
import random

from impls.function._filter import SimpleFilter
from impls.function._service import Service
from impls.protocol import Request, Response

TRACE_HEADER = b"x-trace-id"

# An int (minted here) or the caller's id as given; formatted only when someone reads it.
_trace_id: contextvars.ContextVar[int | str | None] = contextvars.ContextVar(
    "trace_id", default=None
)
# Ids are a random 64-bit start plus a counter: unique within the process, unpredictable across
# processes, and cheap to mint (a random number and its hex per request cost a /ping 0.3 µs).
_next_id = itertools.count(random.getrandbits(64)).__next__
_ID_MASK = (1 << 64) - 1
log = logging.getLogger(__name__)


def current_trace_id() -> str | None:
    """The trace id of the request being served here, if any."""
    trace_id = _trace_id.get()
    if isinstance(trace_id, int):
        return f"{trace_id & _ID_MASK:016x}"
    return trace_id


class TracingFilter(SimpleFilter[Request, Response]):
    """Gives each request a trace id (the caller's, or a new one) for everything it runs."""

    __slots__ = ()

    async def apply(self, request: Request, service: Service[Request, Response]) -> Response:
        given = request.header(TRACE_HEADER)
        token = _trace_id.set(given.decode("latin-1") if given else _next_id())
        try:
            response = await service(request)
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "trace %s: %s %s -> %d",
                    current_trace_id(),
                    request.method,
                    request.target,
                    response.status,
                )
        finally:
            _trace_id.reset(token)
        if given and not any(name == TRACE_HEADER for name, _ in response.headers):
            headers = (*response.headers, (TRACE_HEADER, given))
            response = Response(response.status, headers, response.body, response.close)
        return response

    def __repr__(self) -> str:
        return "TracingFilter()"


class TraceForwardFilter(SimpleFilter[Request, Response]):
    """Client side: sends the current trace id on, in the `x-trace-id` header."""

    __slots__ = ()

    async def apply(self, request: Request, service: Service[Request, Response]) -> Response:
        trace_id = current_trace_id()
        if trace_id is not None and request.header(TRACE_HEADER) is None:
            headers = (*request.headers, (TRACE_HEADER, trace_id.encode("latin-1")))
            request = dataclasses.replace(request, headers=headers)
        return await service(request)

    def __repr__(self) -> str:
        return "TraceForwardFilter()"


class TraceIdLogFilter(logging.Filter):
    """Adds `trace_id` to every log record (use `%(trace_id)s` in a format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = current_trace_id() or "-"
        return True
