# The receiving thread (the lecture's): it owns the selector for input, reads every socket, runs
# the bytes through the connection's codec, and tells the typed result to the connection's actor.
#
# Rules of this file: this thread never decides anything about a request - it parses and
# delivers. It accepts too (accepting is reading the listening socket), applies the socket
# options, and tells the Listener actor; which connections to keep is the Listener's decision.
# Actors steer it with commands: Register a new connection, Suspend/ResumeReading one
# (back-pressure), close one, Unbind. A `tell` here may wait if a bounded mailbox is full (the
# "block" policy): that stalls reading, which is the point - TCP then pushes back on the clients.
"""`ReceivingThread`: accept, recv, parse, tell."""

from __future__ import annotations

import logging
import selectors
import socket
from collections.abc import Callable

from impls.actor.iothread import IoThread
from impls.actor.link import Link
from impls.actor.messages import (
    PEER_CLOSED,
    CloseSocket,
    Connected,
    ErrorClosed,
    Register,
    ResumeReading,
    SuspendReading,
    Unbind,
)
from impls.actor.runtime import ActorRef
from impls.config import ServerConfig
from impls.osutil import OUT_OF_DESCRIPTORS, SpareDescriptor
from impls.sockets import configure

log = logging.getLogger(__name__)

ReceiverCommand = Register | SuspendReading | ResumeReading | CloseSocket | Unbind

_ACCEPT = object()


class ReceivingThread(IoThread[ReceiverCommand]):
    """Reads the listening socket and every registered connection.

    Args:
        listening: the bound, listening, non-blocking socket.
        config: the socket options for accepted connections, and `receive_size`.
        rejected: called with a reason when an accept fails for lack of descriptors.
    """

    def __init__(
        self, listening: socket.socket, config: ServerConfig, rejected: Callable[[str], None]
    ) -> None:
        super().__init__("actor-receiver")
        self.listener: ActorRef | None = None  # the Listener actor; set before start()
        self._listening: socket.socket | None = listening
        self._accepting = False
        self._config = config
        self._receive_size = config.receive_size
        self._rejected = rejected
        self._spare = SpareDescriptor()  # given up to turn a client away at EMFILE
        self._fd_limit_logged = False
        self._links: set[Link] = set()
        self._accept_again()

    def handle(self, command: ReceiverCommand) -> None:
        match command:
            case Register(link):
                self._links.add(link)
                self._watch(link)
            case SuspendReading(link):
                link.paused = True
                self._unwatch(link)
            case ResumeReading(link):
                link.paused = False
                self._watch(link)
            case CloseSocket(link):
                self._unwatch(link)
                self._links.discard(link)
                link.sock.close()
                self._accept_again()  # a descriptor is free again
            case Unbind():
                if self._listening is not None:
                    if self._accepting:
                        self.selector.unregister(self._listening)
                    self._listening.close()
                    self._listening = None

    def ready(self, key: selectors.SelectorKey, mask: int) -> None:
        if key.data is _ACCEPT:
            self._accept()
        else:
            self._read(key.data)

    def cleanup(self) -> None:
        for link in self._links:
            link.sock.close()
        self._links.clear()
        if self._listening is not None:
            self._listening.close()
        self._spare.close()

    def _read(self, link: Link) -> None:
        actor = link.actor
        assert actor is not None
        try:
            data = link.sock.recv(self._receive_size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # reset by the peer
            link.eof = True
            self._unwatch(link)
            actor.tell(ErrorClosed(str(exc)))
            return
        message = link.codec.parse(data)
        if message is not None:
            actor.tell(message)
        if not data:
            link.eof = True
            self._unwatch(link)
            actor.tell(PEER_CLOSED)

    def _accept(self) -> None:
        """Accept every waiting connection (the listening socket is level-triggered)."""
        listener = self.listener
        assert listener is not None
        while self._listening is not None:
            try:
                sock, _ = self._listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # reset while in the backlog
            except OSError as exc:
                if exc.errno not in OUT_OF_DESCRIPTORS:
                    raise
                self._out_of_descriptors(self._listening)
                return
            try:
                configure(sock, self._config)
            except OSError:
                sock.close()  # reset before we got to it
                continue
            listener.tell(Connected(sock))

    def _out_of_descriptors(self, listening: socket.socket) -> None:
        """Turn away the client the kernel holds, with the spare descriptor; if even that fails,
        stop accepting until a connection closes (Akka IO's pull-mode accepting). Either way,
        never spin on a listener that stays readable, nor leave the client hanging if avoidable."""
        self._rejected("fd_limit")
        if not self._fd_limit_logged:  # once: under a flood, a line per connection is a flood
            self._fd_limit_logged = True
            log.warning("out of file descriptors: turning new connections away")
        if not self._spare.shed(listening):
            self.selector.unregister(listening)
            self._accepting = False

    def _accept_again(self) -> None:
        if self._listening is not None and not self._accepting:
            self.selector.register(self._listening, selectors.EVENT_READ, _ACCEPT)
            self._accepting = True

    def _watch(self, link: Link) -> None:
        if not (link.reading or link.paused or link.eof):
            self.selector.register(link.sock, selectors.EVENT_READ, link)
            link.reading = True

    def _unwatch(self, link: Link) -> None:
        if link.reading:
            self.selector.unregister(link.sock)
            link.reading = False
