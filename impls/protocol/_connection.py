# One connection's protocol state, without its socket: the part every impl would otherwise repeat.
#
# Rules of this file: a connection object is fed bytes and answers, and says what comes next -
# the next request to serve, whether to close, which timer should be running. It never reads a
# clock or a socket: timers are data (`Timer`) that each impl arms in its own idiom, and `expire`
# is how the impl reports that one fired. Requests are served one at a time, in arrival order
# (`next_event` holds back the next pipelined request until the current one is answered), which
# is what keeps pipelined responses in order in every impl. The one thing sent that answers no
# event, the interim `100 Continue`, rides on bytes the impl writes anyway - what `receive_data`
# returns, or the tail of what `send` returns - and only once every earlier request is answered,
# so it can never overtake an earlier request's response.
"""`HttpConnection` and `EchoConnection`: per-connection, sans-I/O state machines."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from impls.config import ServerConfig
from impls.protocol._encode import CONTINUE, ResponseEncoder
from impls.protocol._events import EchoData, HttpEvent, Request, Response
from impls.protocol._fast import fast_init, identity_hash
from impls.protocol._parsers import H11Backend, HttptoolsBackend, ParserBackend
from impls.protocol.routes import TIMEOUT


class Phase(enum.Enum):
    """Where a connection is, for the purpose of its timeout."""

    HEAD = "head"  # waiting for (the rest of) a request head: header_timeout, then 408
    BODY = "body"  # reading a request body: body_timeout, then 408
    IDLE = "idle"  # keep-alive, nothing outstanding: keepalive_timeout, then a quiet close
    BUSY = "busy"  # a request is being served: no timeout of the connection's own
    CLOSING = "closing"  # the last response is out or going: close once output is flushed


identity_hash(Phase)  # a dict keyed by Phase is read per request: see `_fast.py`


@dataclass(frozen=True, slots=True)
class Timer:
    """A timer the impl should have armed. A different `token` means: cancel and re-arm."""

    token: int
    phase: Phase
    seconds: float


fast_init(Timer)  # a new one after every keep-alive request: see `_fast.py`

# Phase members as plain globals for the per-request paths: `Phase.IDLE` is a lookup through the
# enum's metaclass (0.05 µs each), a global is not.
_HEAD, _BODY, _IDLE, _BUSY, _CLOSING = Phase.HEAD, Phase.BODY, Phase.IDLE, Phase.BUSY, Phase.CLOSING


class _TimerState:
    """Hands out a new token whenever the timer must restart (new phase or new request)."""

    __slots__ = ("_token", "_phase", "_epoch", "_timer")

    def __init__(self) -> None:
        self._token = 0
        self._phase: Phase | None = None
        self._epoch = -1
        self._timer: Timer | None = None

    def timer(self, phase: Phase, epoch: int, timeouts: dict[Phase, float]) -> Timer | None:
        """The timer for `phase` in `epoch`: the same one while neither changes."""
        if phase is not self._phase or epoch != self._epoch:
            self._phase = phase
            self._epoch = epoch
            self._token += 1
            seconds = timeouts.get(phase)
            self._timer = None if seconds is None else Timer(self._token, phase, seconds)
        return self._timer

    def current(self, token: int) -> bool:
        return self._timer is not None and self._timer.token == token


class HttpConnection:
    """HTTP/1.1 server side of one connection: bytes in, requests out, responses in, bytes out."""

    def __init__(self, config: ServerConfig, encoder: ResponseEncoder) -> None:
        backend = HttptoolsBackend if config.parser == "httptools" else H11Backend
        self._parser: ParserBackend = backend(
            config.max_header_bytes, config.max_body_bytes, config.receive_size
        )
        self._config = config
        self._encoder = encoder
        # The parser's own queue of complete events: it appends, `next_event` pops, so no event
        # is moved from one queue to another (0.08 µs a request).
        self._pending: deque[HttpEvent] = self._parser.events
        self._current: HttpEvent | None = None
        self._served = 0
        self._closing = False
        self._eof = False
        # A request waits for its 100 Continue behind earlier ones (`_interim`): `send` looks.
        self._continue_deferred = False
        self._timers = _TimerState()
        # Built once: built on every timer() call, this dict made timer() cost 0.62 µs per
        # request; built here, 0.27 µs (timeit, as in a /ping).
        self._timeouts = {
            Phase.HEAD: config.header_timeout,
            Phase.BODY: config.body_timeout,
            Phase.IDLE: config.keepalive_timeout,
        }

    def receive_data(self, data: bytes) -> bytes:
        """Feed received bytes; b"" means the peer sent EOF (requests already complete are
        still answered, then the connection closes).

        Returns:
            Bytes to send now, before anything else is sent on this connection: the interim
            `HTTP/1.1 100 Continue` when the request being read waits for one (docs/
            service-spec.md, "Expect: 100-continue"); otherwise b"".
        """
        if not data:
            self._eof = True
        if not self._closing and self._parser.feed(data):
            return self._interim()
        return b""

    def _interim(self) -> bytes:
        """The 100 Continue of the request being read, if every earlier one is answered.

        An earlier request still unanswered would have its response overtaken by the 100, so
        the 100 waits for `send` to answer the last of them, and goes out right behind it.
        """
        if self._current is not None or self._pending:
            self._continue_deferred = True
            return b""
        self._parser.awaiting_continue = False
        return CONTINUE

    def next_event(self) -> HttpEvent | None:
        """The next request (or request error) to serve, or None while one is being served,
        none is complete, or the connection is closing."""
        if self._current is not None or self._closing or not self._pending:
            return None
        self._current = event = self._pending.popleft()
        return event

    def send(self, reply: Response | EchoData) -> bytes:
        """Encode the answer to the event last returned by `next_event`."""
        assert isinstance(reply, Response), "an HTTP connection answers with Response"
        event, self._current = self._current, None
        self._served += 1
        head = False
        if isinstance(event, Request):
            keep_alive = event.keep_alive and not reply.close
            http10 = event.http_version == "1.0"
            head = event.method == "HEAD"
        else:
            keep_alive = http10 = False
        if not keep_alive:
            self._closing = True
            self._pending.clear()
        data = self._encoder.encode(reply, keep_alive, http10)
        if head and reply.body:
            # RFC 9110 section 9.3.2: the answer to HEAD is the head of the answer to GET,
            # Content-Length included, without the content (which would desync the client).
            data = data[: len(data) - len(reply.body)]
        if self._continue_deferred:
            return data + self._deferred_interim()
        return data

    def _deferred_interim(self) -> bytes:
        """After an answer: the 100 Continue a later request waits for, if it is now the oldest
        unanswered one and still waits (its body not complete, the connection not closing)."""
        if self._pending:
            return b""  # more earlier requests to answer first (or the waiting one is complete)
        self._continue_deferred = False
        parser = self._parser
        if self._closing or not (parser.head_complete and parser.awaiting_continue):
            return b""
        parser.awaiting_continue = False
        return CONTINUE

    @property
    def pending(self) -> int:
        """Complete requests waiting behind the one being served (a pipelining queue)."""
        return len(self._pending)

    @property
    def done(self) -> bool:
        """True when nothing more will be sent: close once buffered output is flushed."""
        if self._current is not None:
            return False
        return self._closing or (self._eof and not self._pending)

    def phase(self) -> Phase:
        """Where the connection is (see `Phase`)."""
        if self._current is not None:
            return _BUSY
        if self._closing or (self._eof and not self._pending):  # done
            return _CLOSING
        if self._pending:
            return _BUSY
        parser = self._parser
        if parser.mid_message:
            return _BODY if parser.head_complete else _HEAD
        return _HEAD if self._served == 0 else _IDLE

    def timer(self) -> Timer | None:
        """The timer that should be running now; compare with the armed one after each step."""
        return self._timers.timer(self.phase(), self._served, self._timeouts)

    def expire(self, token: int) -> bytes | None:
        """Report that timer `token` fired.

        Returns:
            None if that timer is stale (ignore it); otherwise the bytes to send before closing:
            a 408 response while a request was being received, nothing for an idle connection.
        """
        # Brought up to date first: a timer of a phase already left is stale even if the impl
        # has not asked for the new one yet (say, the request became complete meanwhile).
        if self.timer() is None or not self._timers.current(token):
            return None
        phase = self.phase()
        self._closing = True
        self._pending.clear()
        if phase is Phase.IDLE:
            return b""
        return self._encoder.encode(TIMEOUT, keep_alive=False)


class EchoConnection:
    """RFC 862 echo over TCP: every byte back, unchanged and in order, until the peer's EOF."""

    def __init__(self, config: ServerConfig, encoder: ResponseEncoder | None = None) -> None:
        self._config = config
        self._pending: deque[bytes] = deque()
        self._received = 0
        self._eof = False
        self._closing = False
        self._timers = _TimerState()
        self._timeouts = {Phase.IDLE: config.keepalive_timeout}  # none once CLOSING

    def receive_data(self, data: bytes) -> bytes:
        """Feed received bytes; b"" means EOF: what was received is still echoed, then close.
        Returns b"": echo has nothing to send that does not answer an event."""
        if not data:
            self._eof = True
        elif not self._closing:
            self._pending.append(data)
            self._received += 1
        return b""

    def next_event(self) -> EchoData | None:
        """All bytes received and not yet echoed, or None."""
        if not self._pending:
            return None
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        return EchoData(data)

    def send(self, reply: Response | EchoData) -> bytes:
        """The bytes that echo `reply`."""
        assert isinstance(reply, EchoData), "an echo connection answers with EchoData"
        return reply.data

    @property
    def pending(self) -> int:
        """Received chunks not yet echoed."""
        return len(self._pending)

    @property
    def done(self) -> bool:
        """True after EOF (or a timeout) once everything received has been echoed."""
        return (self._eof or self._closing) and not self._pending

    def phase(self) -> Phase:
        """IDLE while open (the idle timeout applies), CLOSING when done."""
        return Phase.CLOSING if self.done else Phase.IDLE

    def timer(self) -> Timer | None:
        """The idle timer, restarted by every receive."""
        return self._timers.timer(self.phase(), self._received, self._timeouts)

    def expire(self, token: int) -> bytes | None:
        """An idle timeout: close quietly (None if the timer was stale)."""
        if self.timer() is None or not self._timers.current(token):  # brought up to date first
            return None
        self._closing = True
        self._pending.clear()
        return b""


Connection = HttpConnection | EchoConnection


def new_connection(config: ServerConfig, encoder: ResponseEncoder) -> Connection:
    """A fresh connection state machine for `config.protocol`."""
    if config.protocol == "echo":
        return EchoConnection(config, encoder)
    return HttpConnection(config, encoder)
