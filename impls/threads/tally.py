# The numbers and the connections every thread of the threads impl shares, behind one lock.
#
# Rules of this file: every read-modify-write of shared state happens under `self._lock`. With
# real threads `counter += 1` is a load, an add and a store that another thread can interleave,
# and a `Counter` increment even runs Python code (`__missing__`), so neither is atomic. The lock
# also guards the set of live connections, and a live connection's socket is shut down or closed
# only while holding it: so the stopping thread's `shutdown()` can never land on a descriptor
# number that a fresh accept() has just reused.
"""`Tally`: connection and request accounting shared by the threads of the threads impl."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Protocol

from impls.config import ServerConfig
from impls.stats import Counters, ServerStatistics


class Live(Protocol):
    """What the tally needs of a live connection (a `ConnectionThread`)."""

    sock: socket.socket

    @property
    def pending(self) -> int:
        """Complete requests waiting behind the one being answered."""
        ...

    def join(self, timeout: float | None = None) -> None:
        """Wait for the connection's thread to end."""
        ...


class Tally:
    """Admission (connections and requests), counters and live connections, all thread-safe."""

    def __init__(self, config: ServerConfig) -> None:
        self._max_connections = config.max_connections
        self._max_inflight = config.max_inflight
        reasons = ("overload", "max_connections", "fd_limit", "send_timeout", "thread_limit")
        self._counters = Counters(reasons)
        self._lock = threading.Lock()
        self._closed = threading.Condition(self._lock)  # notified whenever a connection closes
        self._live: set[Live] = set()
        self._on_all_closed: Callable[[], None] | None = None  # see `call_when_all_closed`

    # -- connections -------------------------------------------------------------------------

    def open(self, live: Live) -> bool:
        """Admit a new connection, or close its socket at once beyond `max_connections`."""
        with self._lock:
            counters = self._counters
            if counters.connections_open >= self._max_connections:
                counters.rejected["max_connections"] += 1
                live.sock.close()
                return False
            counters.connections_open += 1
            self._live.add(live)
            return True

    def close(self, live: Live) -> None:
        """Close `live`'s socket and forget the connection."""
        with self._lock:
            live.sock.close()
            if live not in self._live:
                return
            self._live.remove(live)
            self._counters.connections_open -= 1
            self._closed.notify_all()
            on_all_closed = None if self._live else self._on_all_closed
        if on_all_closed is not None:
            on_all_closed()  # outside the lock: it is someone else's code

    def shutdown_all(self, how: int) -> None:
        """`socket.shutdown(how)` every live connection: SHUT_RD makes a thread blocked in recv()
        see EOF, SHUT_RDWR also fails a thread blocked in send()."""
        with self._lock:
            for live in self._live:
                # OSError: already reset by the peer, and its thread is on its way out.
                with contextlib.suppress(OSError):
                    live.sock.shutdown(how)

    def live(self) -> list[Live]:
        """The connections open now (a copy)."""
        with self._lock:
            return list(self._live)

    def wait_until_closed(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every connection to close; True if they did."""
        with self._closed:
            return self._closed.wait_for(lambda: not self._live, timeout)

    def call_when_all_closed(self, callback: Callable[[], None]) -> None:
        """From now on, call `callback` each time the last open connection closes (on the
        closing thread), and once here at once if none is open: how a thread that sleeps
        elsewhere than in `wait_until_closed` (the main thread, on its signal pipe) hears of it.
        """
        with self._lock:
            self._on_all_closed = callback
            idle = not self._live
        if idle:
            callback()

    def wait_for_a_close(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for some connection to close (and free its descriptor)."""
        with self._closed:
            self._closed.wait(timeout)

    # -- requests ----------------------------------------------------------------------------

    def admit(self, *, limited: bool) -> bool:
        """Count a request as in flight. A `limited` one (an HTTP request) is refused, and counted
        as rejected for "overload", while `max_inflight` requests are in flight."""
        with self._lock:
            counters = self._counters
            if limited and 0 < self._max_inflight <= counters.inflight:
                counters.rejected["overload"] += 1
                return False
            counters.inflight += 1
            return True

    def finish(self, *, admitted: bool, answered: bool) -> None:
        """A request is over: it leaves the in-flight count if `admitted`, and counts as answered
        if its answer was sent."""
        with self._lock:
            if admitted:
                self._counters.inflight -= 1
            if answered:
                self._counters.requests_total += 1

    def reject(self, reason: str) -> None:
        """Count one refusal (a connection or request turned away) under `reason`."""
        with self._lock:
            self._counters.rejected[reason] += 1

    # -- statistics --------------------------------------------------------------------------

    def snapshot(self, *, offload_pending: int) -> ServerStatistics:
        """The statistics record now. Nothing is buffered in user space: a thread blocks in
        send() instead, so no output bytes are held and no connection is ever paused."""
        with self._lock:
            pipeline = sum(live.pending for live in self._live)
            return self._counters.snapshot(
                queue_depths={"pipeline": pipeline, "offload": offload_pending},
                buffered_bytes_out=0,
                reading_paused_connections=0,
            )
