# The service's routes, shared by every impl as data plus pure functions.
#
# Rules of this file: `handle` never waits and never does I/O. What takes time is returned as a
# value that says so - `Delay` (wait on a timer) or `Work` (burn CPU) - and each impl schedules it
# in its own idiom: a timer heap, `call_later`, `schedule_once`, a sleeping thread, a pool. That
# is the whole difference the benchmark is meant to show.
"""Route table and handlers: `/ping`, `/echo`, `/bytes`, `/delay`, `/work`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from impls.protocol._events import EchoData, Request, RequestError, Response
from impls.protocol.work import iterations_for

MAX_BYTES = 16 * 1024 * 1024
MAX_DELAY_MS = 10_000
MAX_WORK_MS = 1_000

_TEXT = ((b"content-type", b"text/plain"),)
_OCTETS = b"application/octet-stream"
_PATTERN = b"0123456789abcdef" * 4096  # /bytes bodies repeat this, so clients can verify them


@dataclass(frozen=True, slots=True)
class Delay:
    """Answer `response` after `seconds`, without blocking anything else meanwhile."""

    seconds: float
    response: Response


@dataclass(frozen=True, slots=True)
class Work:
    """Run `spin(iterations)` (CPU-bound) and answer `work_response(result)`."""

    iterations: int
    ms: int


Action = Response | Delay | Work
Handler = Callable[[Request], Action]


def text(status: int, body: str, *, close: bool = False) -> Response:
    """A plain-text response."""
    return Response(status, _TEXT, body.encode("utf-8"), close)


PONG = text(200, "PONG")


def _query_int(request: Request, name: str, high: int) -> int | None:
    """The integer query parameter `name` if present exactly once and in 0..high, else None."""
    found = None
    for pair in request.query.split("&"):
        key, sep, value = pair.partition("=")
        if key == name and sep:
            if found is not None or not value.isdigit() or len(value) > 9:
                return None
            found = int(value)
    return found if found is not None and found <= high else None


def ping(request: Request) -> Action:
    return PONG


def echo(request: Request) -> Action:
    ctype = request.header(b"content-type") or _OCTETS
    return Response(200, ((b"content-type", ctype),), request.body)


def bytes_(request: Request) -> Action:
    n = _query_int(request, "n", MAX_BYTES)
    if n is None:
        return text(400, f"n must be an integer in 0..{MAX_BYTES}")
    body = (_PATTERN * (n // len(_PATTERN) + 1))[:n]
    return Response(200, ((b"content-type", _OCTETS),), body)


def delay(request: Request) -> Action:
    ms = _query_int(request, "ms", MAX_DELAY_MS)
    if ms is None:
        return text(400, f"ms must be an integer in 0..{MAX_DELAY_MS}")
    return Delay(ms / 1000.0, text(200, f"slept {ms} ms"))


def work(request: Request) -> Action:
    ms = _query_int(request, "ms", MAX_WORK_MS)
    if ms is None:
        return text(400, f"ms must be an integer in 0..{MAX_WORK_MS}")
    return Work(iterations_for(ms), ms)


def work_response(result: int) -> Response:
    """The answer to a `Work` whose computation returned `result`."""
    return text(200, f"{result}")


@dataclass(frozen=True, slots=True)
class Route:
    """One path of the service: the method it answers and its handler."""

    method: str
    handler: Handler

    @property
    def allow(self) -> bytes:
        """The `Allow` value of a 405 here: HEAD comes with every GET."""
        return b"GET, HEAD" if self.method == "GET" else self.method.encode("ascii")


ROUTES: dict[str, Route] = {
    "/ping": Route("GET", ping),
    "/echo": Route("POST", echo),
    "/bytes": Route("GET", bytes_),
    "/delay": Route("GET", delay),
    "/work": Route("GET", work),
}


def handle(request: Request) -> Action:
    """Route one request: 404 for an unknown path, 405 with `Allow` for a wrong method.

    HEAD is answered wherever GET is (RFC 9110 section 9.1); the connection drops the content.
    """
    route = ROUTES.get(request.path)
    if route is None:
        return text(404, "not found")
    method = request.method
    if method != route.method and (method != "HEAD" or route.method != "GET"):
        return Response(405, (*_TEXT, (b"allow", route.allow)), b"method not allowed")
    return route.handler(request)


def error_response(error: RequestError) -> Response:
    """The answer to a broken request stream: its status, then the connection closes."""
    return text(error.status, error.reason, close=True)


def overloaded() -> Response:
    """The answer when the server's in-flight limit is reached (admission control)."""
    return Response(503, (*_TEXT, (b"retry-after", b"1")), b"overloaded")


TIMEOUT = text(408, "request timeout", close=True)
INTERNAL_ERROR = text(500, "internal server error", close=True)
"""The answer to a request whose handling raised: the connection closes after it."""


def dispatch(event: Request | RequestError | EchoData) -> Action | EchoData:
    """What to do with one event from a connection: the single entry point impls call."""
    if isinstance(event, Request):
        return handle(event)
    if isinstance(event, RequestError):
        return error_response(event)
    return event  # RFC 862: every byte goes back unchanged
