# The receiving thread (the lecture's): it owns the selector for input, reads every socket, runs
# the bytes through the connection's codec, and tells the typed result to the connection's actor.
#
# Rules of this file: this thread never decides anything about a request - it parses and
# delivers. It accepts too (accepting is reading the listening socket) and tells the Listener
# actor; which connections to keep is the Listener's decision. Actors steer it with commands:
# Register a new connection, Suspend/ResumeReading one (back-pressure), close one, Unbind. A
# `tell` here may wait if a bounded mailbox is full (the "block" policy): that stalls reading,
# which is the point - TCP then pushes back on the clients.
"""`ReceivingThread`: accept, recv, parse, tell."""

from __future__ import annotations

import errno
import logging
import selectors
import socket
from collections.abc import Callable

from ._iothread import IoThread
from ._link import Link
from ._messages import (
    PEER_CLOSED,
    CloseSocket,
    Connected,
    ErrorClosed,
    Register,
    ResumeReading,
    SuspendReading,
    Unbind,
)
from ._ref import ActorRef

log = logging.getLogger(__name__)

ReceiverCommand = Register | SuspendReading | ResumeReading | CloseSocket | Unbind

_ACCEPT = object()
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class ReceivingThread(IoThread[ReceiverCommand]):
    """Reads the listening socket and every registered connection.

    Args:
        listening: the bound, listening, non-blocking socket.
        receive_size: bytes asked of one recv().
        rejected: called with a reason when an accept fails for lack of descriptors.
    """

    def __init__(
        self, listening: socket.socket, receive_size: int, rejected: Callable[[str], None]
    ) -> None:
        super().__init__("actor-receiver")
        self.listener: ActorRef | None = None  # the Listener actor; set before start()
        self._listening: socket.socket | None = listening
        self._accepting = False
        self._receive_size = receive_size
        self._rejected = rejected
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
                if exc.errno not in _OUT_OF_DESCRIPTORS:
                    raise
                # Out of descriptors: stop accepting until a connection closes (Akka IO's
                # pull-mode accepting), rather than spin on a listener that stays readable.
                self._rejected("fd_limit")
                log.warning("out of file descriptors: accepting paused until one closes")
                self.selector.unregister(self._listening)
                self._accepting = False
                return
            listener.tell(Connected(sock))

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
