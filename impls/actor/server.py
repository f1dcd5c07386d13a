# The actor impl's server: an actor system, a Listener actor, and the lecture's two I/O threads.
#
#     receiving thread --(Connected)------------------> Listener --spawns--> Connection
#     receiving thread --(Request, PeerClosed, ...)----------------------->  Connection
#     Connection --(Write, ShutdownOutput, Close)--> sending thread --(Ack)-> Connection
#     Connection --(SuspendReading, ResumeReading)--> receiving thread
#
# Rules of this file: wiring and the process contract only (ready line, signals, grace). All
# behaviour lives in the actors; all socket work in the two I/O threads.
"""`serve` for the `actor` impl, and `ActorServer`, the same server startable in-process."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import select
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from impls.config import ServerConfig
from impls.offload import make_pool
from impls.protocol import ResponseEncoder
from impls.registry import Listening
from impls.sockets import listen
from impls.stats import ServerStatistics

from ._link import Link
from ._listener import Listener
from ._mailbox import MailboxConfig
from ._messages import UNBIND
from ._receiver import ReceivingThread
from ._sender import SendingThread
from ._services import Services, Tally
from ._system import ActorSystem
from ._timers import ThreadScheduler

log = logging.getLogger(__name__)


def serve(config: ServerConfig, ready: Callable[[Listening], None]) -> None:
    """Serve `config` until SIGINT/SIGTERM (see `impls.registry.ServeFunction`).

    The first signal stops accepting and lets every connection finish its request in flight
    (up to `--grace` seconds); a second one, or the grace running out, closes everything.
    """
    bell = _Bell()
    server = ActorServer(config, on_all_closed=bell.ring)
    try:
        with bell.on_signals():
            ready(Listening(*server.address, server.statistics))
            bell.wait(None)
            log.info("stopping: finishing in-flight requests (grace %ss)", config.grace)
            server.unbind()
            if not bell.wait(config.grace):
                log.warning("grace period over; closing every connection")
    finally:
        server.close()
        bell.close()


class ActorServer:
    """The whole actor server: started by the constructor, stopped by `unbind` then `close`.

    Args:
        on_all_closed: called (from an actor) when, after `unbind`, the last connection closed.
    """

    def __init__(
        self, config: ServerConfig, on_all_closed: Callable[[], None] | None = None
    ) -> None:
        self.config = config
        self._on_all_closed = on_all_closed
        self.all_closed = threading.Event()
        mailbox = (
            MailboxConfig(config.mailbox_capacity, config.mailbox_overflow)
            if config.backpressure
            else MailboxConfig()  # unbounded: the failure `--backpressure off` demonstrates
        )
        with contextlib.ExitStack() as undo:  # a failure half-way releases what was acquired
            listening = listen(config)
            undo.callback(listening.close)
            self._pool = make_pool(config)
            if self._pool is not None:
                undo.callback(self._pool.shutdown)
            self._scheduler = ThreadScheduler()
            self.system = ActorSystem(
                threads=config.actor_threads,
                throughput=config.actor_throughput,
                mailbox=mailbox,
                scheduler=self._scheduler,
            )
            undo.callback(self.system.shutdown)
            self._tally = Tally(config.max_inflight)
            self._receiver = ReceivingThread(listening, config.receive_size, self._tally.rejected)
            self._sender = SendingThread(self._receiver)
            self._links: set[Link] = set()
            services = Services(
                config=config,
                encoder=ResponseEncoder(config.server_name),
                receiver=self._receiver,
                sender=self._sender,
                pool=self._pool,
                tally=self._tally,
                links=self._links,
            )
            self.address: tuple[str, int] = listening.getsockname()[:2]
            self.listener = self.system.spawn(Listener, services, self._closed)
            self._receiver.listener = self.listener
            self._receiver.start()
            self._sender.start()
            undo.pop_all()

    def _closed(self) -> None:
        self.all_closed.set()
        if self._on_all_closed is not None:
            self._on_all_closed()

    def unbind(self) -> None:
        """Stop accepting; every connection finishes its request in flight, then closes."""
        self.listener.tell(UNBIND)

    def close(self) -> None:
        """Stop everything now (after `unbind` and some grace, for a graceful stop).

        The order matters: the sending thread first (it stops touching sockets), then the
        receiving thread (it closes them all), then the pool and the timers while the dispatcher
        still runs (their callbacks may wait for room in a bounded mailbox), the dispatcher last.
        """
        self._sender.stop()
        self._receiver.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.system.shutdown()

    def statistics(self) -> ServerStatistics:
        """A snapshot for /metrics (called on the admin thread: it only reads)."""
        links = list(self._links)  # one C-level copy: actors add and remove links meanwhile
        depths = {"mailbox:Listener": 0, "mailbox:Connection": 0}
        depths.update(self.system.mailbox_depths())
        depths.update(
            {
                "pipeline": sum(link.codec.pending for link in links),
                "offload": self._tally.offloaded,
                "timers": len(self._scheduler),
                "dispatcher": len(self.system.dispatcher),
                "receiver": len(self._receiver),
                "sender": len(self._sender),
                "unacked_writes": sum(link.unacked_writes for link in links),
            }
        )
        snapshot = self._tally.counters.snapshot(
            queue_depths=depths,
            buffered_bytes_out=sum(link.unacked_bytes for link in links),
            reading_paused_connections=sum(link.suspended for link in links),
        )
        rejected = {**snapshot.rejected, "dead_letter": self.system.dead_letters}
        return dataclasses.replace(snapshot, rejected=rejected)


class _Bell:
    """Wakes the main thread: on SIGINT/SIGTERM (through `signal.set_wakeup_fd`, which writes
    from C whichever thread the kernel picked), or when `ring` is called from any thread."""

    def __init__(self) -> None:
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)

    def ring(self) -> None:
        with contextlib.suppress(OSError):  # full: it rings already; closed: nobody listens
            self._write.send(b"\0")

    def wait(self, timeout: float | None) -> bool:
        """Sleep until rung or signalled (True), or until `timeout` passes (False)."""
        readable, _, _ = select.select([self._read], [], [], timeout)
        if not readable:
            return False
        self._read.recv(1)
        return True

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[None]:
        """While inside, SIGINT and SIGTERM ring the bell (main thread only; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_fd)

    def close(self) -> None:
        self._read.close()
        self._write.close()


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The wake-up fd carries the news; the Python-level handler only replaces the default."""
