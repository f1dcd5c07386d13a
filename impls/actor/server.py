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
import threading
from collections.abc import Callable

from impls.actor.link import Link
from impls.actor.listener import Listener
from impls.actor.messages import UNBIND
from impls.actor.receiver import ReceivingThread
from impls.actor.runtime import ActorSystem, MailboxConfig, ThreadScheduler
from impls.actor.sender import SendingThread
from impls.actor.services import Services, Tally
from impls.config import ServerConfig
from impls.contract import Listening
from impls.offload import make_pool
from impls.osutil import StopSignals
from impls.protocol import ResponseEncoder
from impls.sockets import listen
from impls.stats import ServerStatistics

log = logging.getLogger(__name__)


def serve(config: ServerConfig, ready: Callable[[Listening], None]) -> None:
    """Serve `config` until SIGINT/SIGTERM (see `impls.contract.ServeFunction`).

    The first signal stops accepting and lets every connection finish its request in flight
    (up to `--grace` seconds); a second one, or the grace running out, closes everything.
    """
    with StopSignals() as signals:
        server = ActorServer(config, on_all_closed=signals.wake)
        try:
            ready(Listening(*server.address, server.statistics))
            signals.wait()
            log.info("stopping: finishing in-flight requests (grace %ss)", config.grace)
            server.unbind()
            if signals.wait_or_wake(config.grace) is not None:
                log.warning("second signal; closing every connection")
            elif not server.all_closed.is_set():
                log.warning("grace period over; closing every connection")
        finally:
            server.close()


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
            self._receiver = ReceivingThread(listening, config, self._tally.rejected)
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
