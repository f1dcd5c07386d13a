# The event loop with explicit dispatch (Rust mio style): one thread, one selector, one `match`.
#
# Rules of this file: nothing here blocks except `select()` itself (and `/work` under
# `--offload none`, on purpose: that is the lesson). Every source of work becomes an event kind
# from `kinds.py` - readiness from the selector, deadlines from the timer heap, results and
# signals through the wake-up socket - and `EventLoop.run` dispatches each with one `match`, so
# what the server can do is read off a single screen. All protocol decisions come from the shared
# sans-I/O layer (`impls.protocol`); this file only decides *when* to read, write and wait.
"""`serve` for the `eventloop` impl: a selector loop that dispatches explicit event kinds."""

from __future__ import annotations

import contextlib
import logging
import selectors
import signal
import socket
from collections.abc import Callable
from concurrent.futures import Executor

from impls.accepting import Admission
from impls.config import ServerConfig
from impls.contract import Listening
from impls.eventloop.dispatch.conn import Conn, State
from impls.eventloop.dispatch.kinds import (
    ACCEPT,
    WAKEUP,
    Accept,
    ConnectionTimeout,
    DelayElapsed,
    Event,
    GraceOver,
    LagProbe,
    LingerOver,
    OnConnection,
    Posted,
    Readable,
    Signalled,
    Wakeup,
    WorkDone,
    Writable,
)
from impls.eventloop.dispatch.timers import TimerHeap
from impls.eventloop.dispatch.wakeup import Waker
from impls.offload import make_pool
from impls.osutil import new_selector
from impls.protocol import (
    Delay,
    EchoData,
    HttpConnection,
    Request,
    RequestError,
    Response,
    ResponseEncoder,
    Work,
    dispatch,
    new_connection,
    overloaded,
    spin,
    work_response,
)
from impls.protocol.routes import INTERNAL_ERROR
from impls.sockets import listen
from impls.stats import LOOP_LAG_INTERVAL, Counters, ServerStatistics

log = logging.getLogger(__name__)


def serve(config: ServerConfig, ready: Callable[[Listening], None]) -> None:
    """Serve `config` on one thread until SIGINT/SIGTERM (see `impls.contract.ServeFunction`)."""
    loop = EventLoop(config)
    try:
        with loop.waker.signals_posted(Signalled):
            ready(Listening(*loop.address, loop.statistics))
            loop.run()
    finally:
        loop.close()


class EventLoop:
    """One selector, one timer heap, one wake-up socket, and the connections they serve."""

    _running: bool  # False ends `run` after the current turn
    _stopping: bool  # a signal came: no more accepting, finish what is in flight

    def run(self) -> None:
        """Wait for events and dispatch each, until stopped and drained."""
        while self._running:
            for event in self._poll():
                self._dispatch(event)
            if self._stopping and self._drained():
                self._running = False

    def _dispatch(self, event: Event) -> None:
        """Handle one event by its kind: the whole behaviour of the server, one case each."""
        try:
            match event:
                case Accept():
                    self._accept()
                case Readable(conn) if conn.state is not State.CLOSED:
                    self._on_readable(conn)
                case Writable(conn) if conn.state is State.OPEN:
                    self._advance(conn)
                case Wakeup():
                    for posted in self.waker.drain():
                        self._dispatch(posted)
                case WorkDone(conn, future):
                    self._offloaded -= 1
                    if conn.state is State.OPEN:
                        self._answer(conn, work_response(future.result()))
                        self._advance(conn)
                case DelayElapsed(conn, response) if conn.state is State.OPEN:
                    conn.delay_handle = None
                    self._answer(conn, response)
                    self._advance(conn)
                case ConnectionTimeout(conn, token) if conn.state is State.OPEN:
                    self._on_timeout(conn, token)
                case LingerOver(conn):
                    self._close(conn)
                case LagProbe(due):
                    self._on_lag_probe(due)
                case Signalled(signum):
                    self._on_signal(signum)
                case GraceOver():
                    log.warning("grace period over with %d in flight", self._inflight)
                    self._running = False
                case _:
                    pass  # an event for a connection that has closed meanwhile
        except Exception:
            self._recover(event)

    # --- set-up ----------------------------------------------------------------------------------

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._counters = Counters(("overload", "max_connections", "fd_limit"), loop=True)
        self._encoder = ResponseEncoder(config.server_name)
        self._timers: TimerHeap[Event] = TimerHeap()
        self._conns: set[Conn] = set()
        self._offloaded = 0  # /work jobs submitted to the pool and not yet finished
        self._running = True
        self._stopping = False
        with contextlib.ExitStack() as undo:  # a failure half-way releases what was acquired
            self._selector = new_selector(config.selector)
            undo.callback(self._selector.close)
            self.waker: Waker[Posted] = Waker()  # how threads and signals reach the loop
            undo.callback(self.waker.close)
            self._listener: socket.socket | None = listen(config)
            undo.callback(self._listener.close)
            self._admission = Admission(config, self._counters, self._selector)
            undo.callback(self._admission.close)
            self._pool: Executor | None = make_pool(config)
            undo.pop_all()
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._selector.register(self._listener, selectors.EVENT_READ, ACCEPT)
        self._selector.register(self.waker.socket, selectors.EVENT_READ, WAKEUP)
        due = self._timers.clock() + LOOP_LAG_INTERVAL
        self._timers.call_at(due, LagProbe(due))

    def statistics(self) -> ServerStatistics:
        """A snapshot for /metrics; called from the admin thread, so it only reads."""
        conns = list(self._conns)  # one C-level copy: the loop may add or remove meanwhile
        return self._counters.snapshot(
            queue_depths={
                "pipeline": sum(conn.protocol.pending for conn in conns),
                "offload": self._offloaded,
                "timers": len(self._timers),
            },
            buffered_bytes_out=sum(len(conn.out) for conn in conns),
            reading_paused_connections=sum(conn.paused for conn in conns),
        )

    # --- waiting ---------------------------------------------------------------------------------

    def _poll(self) -> list[Event]:
        """Block until something is ready or the next timer is due; return what happened.

        The order within one turn: socket readiness (a connection's READ before its WRITE), then
        the timers that are due. The selector sleeps no longer than until the earliest timer.
        """
        events: list[Event] = []
        for key, mask in self._selector.select(self._timers.timeout()):
            match key.data:
                case Conn() as conn:
                    if mask & selectors.EVENT_READ:
                        events.append(Readable(conn))
                    if mask & selectors.EVENT_WRITE:
                        events.append(Writable(conn))
                case token:
                    events.append(token)
        events.extend(self._timers.pop_due())
        return events

    # --- accepting -------------------------------------------------------------------------------

    def _accept(self) -> None:
        """Accept every waiting connection (the listener is level-triggered: leave none behind).

        Who gets in - `max_connections`, select()'s descriptor limit, running out of descriptors
        - is the same housekeeping in every loop, kept in `impls.accepting.Admission`.
        """
        if self._listener is None:
            return
        for sock in self._admission.accept_all(self._listener):
            conn = Conn(sock, new_connection(self._config, self._encoder))
            self._conns.add(conn)
            self._settle(conn)

    # --- one connection --------------------------------------------------------------------------

    def _on_readable(self, conn: Conn) -> None:
        try:
            data = conn.sock.recv(self._config.receive_size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)  # reset by the peer
            return
        if conn.state is State.LINGERING:
            if not data:
                self._close(conn)  # the peer has read our final answer and closed
            return  # input after the final answer is drained and dropped
        if not data:
            conn.eof = True
        conn.out.append(conn.protocol.receive_data(data))  # b"" (nothing), or a 100 Continue
        self._advance(conn)

    def _advance(self, conn: Conn) -> None:
        """Serve what `conn` has ready, write what that produced, then settle its timer/interest.

        Under back-pressure no further request is taken while the output is above the high-water
        mark; a write that brings it below the low-water mark lets the loop take more.
        """
        while True:
            while not conn.paused and (event := conn.protocol.next_event()) is not None:
                self._serve(conn, event)
            if not self._flush(conn):
                break
        self._settle(conn)

    def _serve(self, conn: Conn, event: Request | RequestError | EchoData) -> None:
        """Dispatch one request: answer it now, or arm what will answer it later."""
        limit = self._config.max_inflight
        overload = limit > 0 and isinstance(event, Request) and self._inflight >= limit
        self._counters.inflight += 1
        conn.serving = True
        if overload:
            self._counters.rejected["overload"] += 1
            self._answer(conn, overloaded())
            return
        match dispatch(event):
            case Delay(seconds, response):
                conn.delay_handle = self._timers.call_later(seconds, DelayElapsed(conn, response))
            case Work(iterations, _):
                self._start_work(conn, iterations)
            case reply:
                self._answer(conn, reply)

    def _start_work(self, conn: Conn, iterations: int) -> None:
        """Run /work inline (blocking the whole loop: the lesson) or hand it to the pool."""
        if self._pool is None:
            self._answer(conn, work_response(spin(iterations)))
            return
        future = self._pool.submit(spin, iterations)
        self._offloaded += 1
        # runs in a pool thread: it may only post to the loop, never touch its state
        future.add_done_callback(lambda done: self.waker.post(WorkDone(conn, done)))

    def _answer(self, conn: Conn, reply: Response | EchoData) -> None:
        """Queue the answer to `conn`'s current request (sent by the next `_flush`)."""
        data = conn.protocol.send(reply)
        conn.serving = False
        self._counters.inflight -= 1
        self._counters.requests_total += 1
        conn.out.append(data)
        if self._config.backpressure and len(conn.out) > self._config.write_high_water:
            conn.paused = True

    def _flush(self, conn: Conn) -> bool:
        """Write what the kernel takes now. True if that lifted `conn`'s back-pressure."""
        if not conn.out or conn.state is not State.OPEN:
            return False
        try:
            conn.out.send_to(conn.sock)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            self._close(conn)  # the peer has gone (EPIPE, ECONNRESET)
            return False
        if conn.paused and len(conn.out) <= self._config.write_low_water:
            conn.paused = False
            return True
        return False

    def _settle(self, conn: Conn) -> None:
        """After any step: re-arm the protocol timer, finish a done connection, fix interest."""
        if conn.state is State.OPEN:
            timer = conn.protocol.timer()
            if timer != conn.timer:
                self._timers.cancel(conn.timer_handle)
                conn.timer = timer
                conn.timer_handle = (
                    None
                    if timer is None
                    else self._timers.call_later(
                        timer.seconds, ConnectionTimeout(conn, timer.token)
                    )
                )
            if conn.protocol.done and not conn.out:
                self._finish(conn)
        if conn.state is not State.CLOSED:
            conn.watch(self._selector)

    def _finish(self, conn: Conn) -> None:
        """The final answer is flushed: half-close and drain input, so the peer reads the answer.

        Closing with unread input would make the kernel send a reset, which can destroy the
        answer (a 413, say) before the client has read it.
        """
        if conn.eof:
            self._close(conn)  # the peer has closed its side: nothing to drain
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.state = State.LINGERING
        conn.linger_handle = self._timers.call_later(self._config.linger_timeout, LingerOver(conn))

    def _on_timeout(self, conn: Conn, token: int) -> None:
        data = conn.protocol.expire(token)
        if data is None:
            return  # a timer the protocol has moved on from
        conn.out.append(data)  # a 408, or nothing for an idle connection; then close
        self._advance(conn)

    def _close(self, conn: Conn) -> None:
        """Close `conn` now; events still queued for it are ignored (`State.CLOSED`)."""
        if conn.state is State.CLOSED:
            return
        conn.state = State.CLOSED
        for handle in (conn.timer_handle, conn.delay_handle, conn.linger_handle):
            self._timers.cancel(handle)
        if conn.serving:
            conn.serving = False
            self._counters.inflight -= 1
        if conn.events:
            self._selector.unregister(conn.sock)
            conn.events = 0
        conn.sock.close()
        conn.out.clear()
        self._conns.discard(conn)
        self._counters.connections_open -= 1

    def _recover(self, event: Event) -> None:
        """A handler raised: keep the server up, confine the damage to the connection concerned.

        A request still unanswered gets a 500 (nothing of its answer can have been sent: answers
        are queued whole); then that connection closes.
        """
        if not isinstance(event, OnConnection):
            log.exception("error handling %r", event)
            return
        conn = event.conn
        log.exception("error on %r; closing it", conn)
        if conn.state is not State.OPEN:
            self._close(conn)
            return
        try:
            if conn.serving and isinstance(conn.protocol, HttpConnection):
                self._answer(conn, INTERNAL_ERROR)  # close=True: the connection ends after it
                self._advance(conn)
            else:
                self._close(conn)
        except Exception:
            log.exception("error answering 500 on %r", conn)
            self._close(conn)

    # --- loop housekeeping ----------------------------------------------------------------------

    def _on_lag_probe(self, due: float) -> None:
        now = self._timers.clock()
        self._counters.loop_lag = max(0.0, now - due)
        due = now + LOOP_LAG_INTERVAL
        self._timers.call_at(due, LagProbe(due))

    def _on_signal(self, signum: int) -> None:
        """First signal: stop accepting and drain for up to `grace`. A second: stop at once."""
        if self._stopping:
            log.info("%s again: stopping now", signal.Signals(signum).name)
            self._running = False
            return
        log.info(
            "%s: stopping after in-flight work (grace %ss)",
            signal.Signals(signum).name,
            self._config.grace,
        )
        self._stopping = True
        if self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()
            self._listener = None
        self._timers.call_later(self._config.grace, GraceOver())

    def _drained(self) -> bool:
        """Nothing in flight and no output left unsent: the graceful stop can complete."""
        return self._inflight == 0 and not any(conn.out for conn in self._conns)

    @property
    def _inflight(self) -> int:
        return self._counters.inflight

    def close(self) -> None:
        """Close every connection, stop the pool, release the loop's own descriptors."""
        for conn in list(self._conns):
            self._close(conn)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self.waker.close()
        self._selector.close()
        self._admission.close()
