# The threads impl: a thread per connection over blocking sockets - the model event loops
# replaced, and the baseline every other impl is measured against.
#
# Rules of this file: the main thread only starts, waits for a stop signal and stops - watching
# the signal pipe all along, so a second signal cuts the graceful stop short. An acceptor
# thread accepts (acceptor.py); each connection gets a daemon thread that reads, answers and
# closes it with plain blocking calls (connection.py). Shared numbers live behind one lock
# (tally.py). `config.backpressure` changes nothing here: there is no user-space output buffer
# to bound or to let grow - a thread whose peer does not read blocks in send() and reads no
# further requests meanwhile, so blocking send() *is* the back-pressure.
"""Thread-per-connection server: `serve(config, ready)` and the `ThreadServer` it runs."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

from impls.config import ServerConfig
from impls.contract import Listening
from impls.osutil import StopSignals
from impls.sockets import listen
from impls.stats import ServerStatistics
from impls.threads.acceptor import Acceptor
from impls.threads.compute import Compute
from impls.threads.tally import Tally

log = logging.getLogger(__name__)


class ThreadServer:
    """The threads impl without its signal handling: `start`, `statistics`, `stop` (which is
    `stop_accepting`, a wait of up to `config.grace` seconds, then `close`).

    Tests drive it directly from any thread; `serve` adds the waits for SIGINT/SIGTERM.
    """

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._tally = Tally(config)
        self._stopping = threading.Event()
        self._listener = listen(config, blocking=True)
        try:
            self._compute = Compute(config)
        except BaseException:
            self._listener.close()
            raise
        self._acceptor = Acceptor(
            self._listener, config, self._tally, self._compute, self._stopping
        )

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on."""
        host, port = self._listener.getsockname()[:2]
        return host, port

    def start(self) -> None:
        """Start accepting connections."""
        self._acceptor.start()

    def statistics(self) -> ServerStatistics:
        """The statistics record now (safe to call from any thread, e.g. the admin thread)."""
        return self._tally.snapshot(offload_pending=self._compute.pending)

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish for up to `config.grace` seconds, then
        close every connection and stop the offload pool."""
        self.stop_accepting()
        if not self._tally.wait_until_closed(self._config.grace):
            log.info("grace period over; closing %d connections", len(self._tally.live()))
        self.close()

    def stop_accepting(self, on_all_closed: Callable[[], None] | None = None) -> None:
        """Close the listener and let each connection close once what it has received is
        answered (the first half of `stop`).

        Args:
            on_all_closed: called once no connection is left open - from the thread of the
                last one to close, or at once if none is open.
        """
        self._stopping.set()
        if self._acceptor.is_alive():
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            self._acceptor.join(self._config.grace)
        self._listener.close()
        self._acceptor.close_spare()
        if on_all_closed is not None:
            self._tally.call_when_all_closed(on_all_closed)
        # No new requests: a thread in recv() sees EOF now, a busy one after its answer is sent,
        # and each closes its connection as soon as what it has received is answered.
        self._tally.shutdown_all(socket.SHUT_RD)

    def connections_open(self) -> int:
        """How many connections are open now."""
        return len(self._tally.live())

    def close(self, *, wait: bool = True) -> None:
        """Close every connection now, answered or not, and stop the offload pool (and the
        listener, if `stop_accepting` has not).

        Args:
            wait: give the connection threads up to `config.linger_timeout` seconds to end.
                Their sockets are shut down, so only a thread asleep in a /delay is late;
                False after a second signal, when nothing is waited for.
        """
        if not self._stopping.is_set():
            self.stop_accepting()
        self._tally.shutdown_all(socket.SHUT_RDWR)
        if wait:
            deadline = time.monotonic() + self._config.linger_timeout
            for live in self._tally.live():
                live.join(max(0.0, deadline - time.monotonic()))
        self._compute.shutdown()


def serve(config: ServerConfig, ready: Callable[[Listening], None]) -> None:
    """Serve `config` with a thread per connection until SIGINT or SIGTERM.

    The first signal stops accepting and lets every connection finish its request in flight (up
    to `--grace` seconds); a second one closes every connection at once. `config.backpressure`
    has no effect: blocking send() is this model's back-pressure. Must be called from the main
    thread (it installs the signal handlers).
    """
    with StopSignals() as signals:
        server = ThreadServer(config)
        at_once = False
        try:
            server.start()
            host, port = server.address
            ready(Listening(host, port, server.statistics))
            first = signals.wait()
            log.info("%s: finishing in-flight requests (grace %ss)", first.name, config.grace)
            # The main thread keeps watching the signal pipe while the connections finish: the
            # last one to close wakes it there, and so does a second signal.
            server.stop_accepting(on_all_closed=signals.wake)
            second = signals.wait_or_wake(config.grace)
            if second is not None:
                log.info("%s again: closing every connection now", second.name)
                at_once = True
            elif server.connections_open():
                log.info("grace period over; closing %d connections", server.connections_open())
        finally:
            server.close(wait=not at_once)
