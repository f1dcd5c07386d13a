# One actor per accepted connection: it serves the requests its receiving thread parses, writes
# the answers through the sending thread, and keeps its output within the watermarks.
#
# Rules of this file: the states are the methods `reading`, `awaiting_handler`, `throttled` and
# `closing`; each returns the next (become). Messages every open state treats alike go through
# `_common`. Time-consuming answers come back as messages (`Answer`: a /delay timer to self, a
# /work pool result piped to self), so the actor is never blocked waiting - except `/work` under
# `--offload none`, which runs inline on the dispatcher thread, on purpose (the lesson). A timeout
# is a message to self as well (`_ALARM`, kept following the protocol's timer by `LazyAlarm`,
# `alarm.py`). Reading order: the messages, then the states, then the helpers they call.
#
# Back-pressure is Akka IO's EchoHandler pattern: every Write asks for an Ack; the bytes written
# and not yet acknowledged are the connection's output. Above the high watermark the actor tells
# the receiving thread to SuspendReading, serves no further pipelined request (state `throttled`)
# and resumes below the low watermark. The input side is bounded too: the requests parsed and not
# yet served (the pipeline, kept in the codec, where order is kept) are this actor's mail in all
# but name, so they get the mailbox's bound - above `--mailbox-capacity` of them the actor
# suspends reading, and resumes once it has served them all. Without that, a slow reader that
# keeps pipelining gets one recv() parsed (64 KiB: some 1,300 /ping requests) each time its output
# dips below the low watermark, far more than are answered before the next suspension: the
# pipeline, not the output, grew without bound. Reading is suspended while either reason holds
# (`_steer_reading`). `--backpressure off` skips all of that: output and pipeline then grow
# without bound for a client that does not read, which is the lecture's "send and forget".
"""`Connection`: the actor serving one socket."""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass

from impls.actor.alarm import LazyAlarm
from impls.actor.codec import Event
from impls.actor.link import Link
from impls.actor.messages import (
    OUTPUT_SHUT,
    Ack,
    Close,
    ErrorClosed,
    OutputShut,
    PartialInput,
    PeerClosed,
    ResumeReading,
    ShutdownOutput,
    SuspendReading,
    Write,
)
from impls.actor.runtime import Actor, ActorRef, Behaviour, Cancellable
from impls.actor.services import Services, Tally
from impls.protocol import (
    Delay,
    EchoData,
    Request,
    RequestError,
    Response,
    Timer,
    Work,
    dispatch,
    overloaded,
    spin,
    work_response,
)
from impls.protocol.routes import INTERNAL_ERROR

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to the request in flight, arriving later: a /delay elapsed, a /work finished."""

    reply: Response


@dataclass(frozen=True, slots=True)
class Shutdown:
    """From the Listener: the server is stopping; finish the request in flight, then close."""


class _Alarm:
    """Timer to self: the connection's timeout may have expired."""


class _LingerOver:
    """Timer to self: the peer had `--linger-timeout` to close after our final answer."""


class _Failed:
    """To self, from `post_restart`: a handler raised while this connection was being served."""


SHUTDOWN = Shutdown()
_ALARM = _Alarm()
_LINGER_OVER = _LingerOver()
_FAILED = _Failed()


class Connection(Actor):
    """Serves one connection. Its link (socket, codec, output accounting) survives a restart."""

    def __init__(self, link: Link, services: Services) -> None:
        self.link = link
        self.services = services
        config = services.config
        self._backpressure = config.backpressure
        self._high = config.write_high_water
        self._low = config.write_low_water
        self._pipeline_bound = config.mailbox_capacity  # parsed requests waiting: see the header
        self._held: deque[Event] = deque()  # parsed while throttled, served on resume
        self._timer: Timer | None = None  # the protocol timer the actor knows of
        self._alarm = LazyAlarm(self, _ALARM)  # the timer to self that will check it
        self._later: Cancellable | None = None  # the /delay answer or the linger timer
        self._finishing = False  # Shutdown came while a handler was running
        self._peer_closed = False
        self._output_shut = False
        self._closed = False

    def pre_start(self) -> None:
        self._rearm()  # the header timeout runs from the accept

    # --- states ---------------------------------------------------------------------------------

    def reading(self, message: object) -> Behaviour | None:
        """Open, no request being served: waiting for one (or for the rest of one)."""
        match message:
            case Request() | RequestError() | EchoData():
                return self._serve(message) or self._proceed()
            case PeerClosed():
                self._peer_closed = True
                return self._proceed()
            case Shutdown():
                return self._finish()
            case _Failed():
                return self._failed()
            case _:
                return self._common(message)

    receive = reading  # the initial state

    def awaiting_handler(self, message: object) -> Behaviour | None:
        """A /delay or an offloaded /work is running; its Answer will come as a message."""
        match message:
            case Answer(reply):
                self._answer(reply)
                return self._proceed()
            case Shutdown():
                self._finishing = True
                return None
            case _:
                return self._common(message)

    def throttled(self, message: object) -> Behaviour | None:
        """Output above the high watermark: reading suspended, no request served."""
        match message:
            case Request() | RequestError() | EchoData():
                self._held.append(message)  # parsed before the suspension took effect
                return None
            case Ack():
                self._acked(message)
                return None if self.link.throttled else self._proceed()
            case Shutdown():
                return self._finish()
            case _:
                return self._common(message)

    def closing(self, message: object) -> Behaviour | None:
        """The last answer is written: half-close after it, drain input, then close."""
        match message:
            case Ack():
                self._acked(message)
            case OutputShut():
                self._output_shut = True
                if self._peer_closed:
                    return self._close()
                self._later = self.schedule_once(self.services.config.linger_timeout, _LINGER_OVER)
            case PeerClosed():
                self._peer_closed = True
                if self._output_shut:
                    return self._close()
            case ErrorClosed() | _LingerOver():
                return self._close()
            case Shutdown() if self._output_shut:
                return self._close()
        return None  # input parsed meanwhile is dropped: nothing more is served

    def _common(self, message: object) -> Behaviour | None:
        """What every open state does with acknowledgements, timers and errors."""
        match message:
            case Ack():
                self._acked(message)
            case PartialInput(interim):
                self._partial_input(interim)
            case _Alarm():
                return self._alarm_rang()
            case PeerClosed():
                self._peer_closed = True  # acted on when the current request is answered
            case ErrorClosed(reason):
                log.debug("connection failed: %s", reason)
                return self._close()
            case _Failed():
                return self._failed()
            case _:
                log.debug("connection ignored %r", message)
        return None

    # --- serving --------------------------------------------------------------------------------

    def _serve(self, event: Event) -> Behaviour | None:
        """Start answering `event`: None if answered at once, else the state to wait in."""
        if isinstance(event, Request):
            if not self.services.tally.admit():
                self._answer(overloaded())
                return None
            self.link.serving = True
        match dispatch(event):
            case Delay(seconds, response):
                self._later = self.schedule_once(seconds, Answer(response))
                return self.awaiting_handler
            case Work(iterations, _):
                pool = self.services.pool
                if pool is not None:
                    pipe_to(pool.submit(spin, iterations), self.ref, self.services.tally)
                    return self.awaiting_handler
                self._answer(work_response(spin(iterations)))
            case Response() | EchoData() as reply:
                self._answer(reply)
        return None

    def _answer(self, reply: Response | EchoData) -> None:
        link = self.link
        data = link.codec.encode(reply)
        self.services.tally.answered(was_inflight=link.serving)
        link.serving = False
        self._write(data)

    def _proceed(self) -> Behaviour:
        """After an answer (or on resume): serve what is ready next, or pick the state to wait in.

        Pipelined requests are served here one after another, but never while the output is
        above the watermark - that is the back-pressure. Here too the actor sees how many parsed
        requests wait behind the one it takes, and holds reading back while they are too many.
        """
        link = self.link
        codec = link.codec
        while True:
            if self._finishing:
                return self._finish()
            if link.throttled:
                return self.throttled
            event = self._held.popleft() if self._held else codec.next_event()
            if event is None:
                if link.backlogged:  # the pipeline is empty: read the next requests
                    link.backlogged = False
                    self._steer_reading()
                if self._done():
                    return self._finish()
                self._rearm()
                return self.reading
            if self._backpressure and not link.backlogged and codec.pending > self._pipeline_bound:
                link.backlogged = True
                self._steer_reading()
            waiting = self._serve(event)
            if waiting is not None:
                return waiting

    def _done(self) -> bool:
        """Nothing more will be answered.

        For echo, the peer's EOF counts only once its PeerClosed message is here: the receiving
        thread marks the codec at EOF right after telling its last chunks, which may still wait
        in this mailbox. (An HTTP request in the mailbox keeps the codec busy, so not done.)
        """
        return self.link.codec.done and (self._peer_closed or self.link.codec.http)

    def _failed(self) -> Behaviour | None:
        """After a restart: answer 500 to the request that raised (HTTP), or just close."""
        if self.link.serving and self.link.codec.http:
            self._answer(INTERNAL_ERROR)  # close=True: the connection ends after it
            return self._proceed()
        return self._close()

    # --- output and its acknowledgements ----------------------------------------------------------

    def _write(self, data: bytes) -> None:
        link = self.link
        link.unacked_bytes += len(data)
        link.unacked_writes += 1
        self.services.sender.tell(Write(link, data, Ack(len(data)), self.ref))
        if self._backpressure and not link.throttled and link.unacked_bytes > self._high:
            link.throttled = True
            self._steer_reading()

    def _acked(self, ack: Ack) -> None:
        link = self.link
        link.unacked_bytes -= ack.size
        link.unacked_writes -= 1
        if link.throttled and link.unacked_bytes <= self._low:
            link.throttled = False
            self._steer_reading()

    def _steer_reading(self) -> None:
        """Tell the receiving thread to suspend reading while the output is above its watermark
        or the pipeline above its bound, and to resume once neither holds.

        Two reasons with their own hysteresis, one switch: output falling to the low watermark
        must not resume reading while the pipeline is still full, or each resumption adds a
        recv() of requests to it.
        """
        link = self.link
        suspend = link.throttled or link.backlogged
        if suspend != link.suspended:
            link.suspended = suspend
            self.services.receiver.tell(SuspendReading(link) if suspend else ResumeReading(link))

    # --- timeouts ---------------------------------------------------------------------------------

    def _rearm(self) -> None:
        """Follow the protocol's timer: its expiry is a message to self, `_ALARM`.

        The timer changes with every request (a keep-alive timeout restarts); `LazyAlarm` moves
        the timer to self accordingly, more cheaply than a cancel and a `schedule_once` each time.
        """
        timer = self.link.codec.timer()
        if timer == self._timer:
            return
        self._timer = timer
        if timer is None:
            self._alarm.clear()
        else:
            self._alarm.set(timer.seconds)

    def _alarm_rang(self) -> Behaviour | None:
        timer = self._timer
        if not self._alarm.rang() or timer is None:  # rang() first: it must hear every ring
            return None  # the deadline has moved on, or no timeout runs now
        data = self.link.codec.expire(timer.token)
        if data is None:  # stale: the protocol has moved on
            self._timer = None
            self._rearm()
            return None
        if data:
            self._write(data)  # 408 Request Timeout
        return self._finish()

    def _partial_input(self, interim: bytes) -> None:
        """Input completed no request: write the interim answer it asks for (a 100 Continue),
        behind every answer this actor has written so far, and follow the timer (a head became
        a body)."""
        if interim:
            self._write(interim)
        self._rearm()

    # --- the end ----------------------------------------------------------------------------------

    def _finish(self) -> Behaviour:
        """Nothing more to send: half-close once the output is out, then linger (`closing`)."""
        self._finishing = False
        if self.link.backlogged:  # nothing more is served: read on, to see the peer's EOF
            self.link.backlogged = False
            self._steer_reading()
        self.services.sender.tell(ShutdownOutput(self.link, OUTPUT_SHUT, self.ref))
        return self.closing

    def _close(self) -> Behaviour | None:
        """Close now: the sending thread drops what is unsent, the receiving thread closes.
        Returns None: a stopping actor has no next state."""
        self._release()
        self.stop()
        return None

    def _release(self) -> None:
        if self._closed:
            return
        self._closed = True
        link = self.link
        if link.serving:
            link.serving = False
            self.services.tally.abandoned()
        self._alarm.cancel()  # a timer for a stopped actor would be a dead letter
        if self._later is not None:
            self._later.cancel()
        self.services.links.discard(link)
        self.services.sender.tell(Close(link))

    # --- lifecycle --------------------------------------------------------------------------------

    def post_stop(self) -> None:
        self._release()  # stopped from outside (a supervisor, the Listener): still close

    def pre_restart(self, reason: Exception, message: object) -> None:
        """Keep the socket open: the next instance answers for the failure."""
        self._alarm.cancel()

    def post_restart(self, reason: Exception) -> None:
        self._rearm()
        self.ref.tell(_FAILED)


# --- helpers ------------------------------------------------------------------------------------


def pipe_to(future: Future[int], ref: ActorRef, tally: Tally) -> None:
    """Tell `ref` the Answer of a /work computation when it completes (Akka's `pipe`)."""
    tally.offload_started()

    def done(f: Future[int]) -> None:
        tally.offload_finished()
        reply = INTERNAL_ERROR if f.exception() is not None else work_response(f.result())
        ref.tell(Answer(reply))

    future.add_done_callback(done)
