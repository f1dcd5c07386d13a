# ExceptionFilter: where failures become answers.
#
# Rules of this file: filters and services fail by raising; this filter, outside them, turns
# each failure into the HTTP response that names it, logs what was unexpected, and never lets a
# handler's bug reach the connection. Cancellation is not a failure and passes through.
"""`ExceptionFilter`: exception -> HTTP response (503, 504, 502, 500)."""

from __future__ import annotations

import logging

from impls.function._errors import OverloadedError
from impls.function._filter import SimpleFilter
from impls.function._service import Service
from impls.function.filters.tracing import current_trace_id
from impls.protocol import Request, Response, overloaded
from impls.protocol.routes import text

log = logging.getLogger(__name__)

GATEWAY_TIMEOUT = text(504, "timed out")
BAD_GATEWAY = text(502, "upstream unavailable")
INTERNAL_ERROR = text(500, "internal server error")


def response_for(error: Exception) -> Response:
    """The response that reports `error` to the client."""
    if isinstance(error, OverloadedError):
        return overloaded()  # 503 with Retry-After: the client may try again later
    if isinstance(error, TimeoutError):
        return GATEWAY_TIMEOUT
    if isinstance(error, OSError):  # a client service could not reach its peer
        return BAD_GATEWAY
    return INTERNAL_ERROR


class ExceptionFilter(SimpleFilter[Request, Response]):
    """Answers every failure of the service behind it with a response."""

    __slots__ = ()

    async def apply(self, request: Request, service: Service[Request, Response]) -> Response:
        try:
            return await service(request)
        except (OverloadedError, TimeoutError) as exc:
            return response_for(exc)  # expected under load, and counted: not worth a log line
        except Exception as exc:
            response = response_for(exc)
            level = logging.WARNING if isinstance(exc, OSError) else logging.ERROR
            log.log(
                level,
                "%s %s failed (trace %s): %r",
                request.method,
                request.target,
                current_trace_id(),
                exc,
                exc_info=level == logging.ERROR,
            )
            return response

    def __repr__(self) -> str:
        return "ExceptionFilter()"
