# The acceptor: one thread that accepts connections and gives each a thread of its own.
#
# Rules of this file: the listener is blocking, so this thread sleeps in accept() until a client
# arrives or the server shuts the listener down (on Linux, shutdown() of a listening socket wakes
# a blocked accept() with EINVAL; that is how the server stops this thread). Admission happens
# before a connection's thread starts: beyond `config.max_connections` the socket is closed at
# once. Running out of descriptors (EMFILE) must neither crash nor spin on the connection the
# kernel keeps offering: a spare descriptor is held open, and given up for a moment to accept
# that connection and close it, as libev and nginx do.
"""`Acceptor`: the accept loop of the threads impl."""

from __future__ import annotations

import errno
import logging
import socket
import threading

from impls.config import ServerConfig
from impls.osutil import OUT_OF_DESCRIPTORS, SpareDescriptor
from impls.sockets import configure
from impls.threads.compute import Compute
from impls.threads.connection import ConnectionThread
from impls.threads.tally import Tally

log = logging.getLogger(__name__)


class Acceptor(threading.Thread):
    """Accepts from a blocking listener until `stopping` is set and the listener shut down."""

    def __init__(
        self,
        listener: socket.socket,
        config: ServerConfig,
        tally: Tally,
        compute: Compute,
        stopping: threading.Event,
    ) -> None:
        super().__init__(name="acceptor", daemon=True)
        self._listener = listener
        self._config = config
        self._tally = tally
        self._compute = compute
        self._stopping = stopping
        self._spare = SpareDescriptor()
        self._accepted = 0

    def run(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError as exc:
                if self._stopping.is_set():
                    return
                self._accept_failed(exc)
                continue
            try:
                self._start(sock)
            except Exception:
                log.exception("could not start a connection")
                sock.close()

    def close_spare(self) -> None:
        """Release the spare descriptor (after the thread has ended)."""
        self._spare.close()

    def _start(self, sock: socket.socket) -> None:
        try:
            configure(sock, self._config, blocking=True)
        except OSError:
            sock.close()  # reset before we got to it
            return
        self._accepted += 1
        thread = ConnectionThread(
            sock, self._config, self._tally, self._compute, name=f"connection-{self._accepted}"
        )
        if not self._tally.open(thread):
            return
        try:
            thread.start()
        except RuntimeError:  # "can't start new thread": the OS ran out of threads or memory
            self._tally.close(thread)
            self._tally.reject("thread_limit")
            log.warning("cannot start a thread for a new connection; closed it")

    def _accept_failed(self, exc: OSError) -> None:
        if exc.errno in OUT_OF_DESCRIPTORS:
            self._tally.reject("fd_limit")
            # Turn away the client the kernel is holding; if even that fails (no spare, or
            # ENOBUFS/ENOMEM), retrying at once would spin: a closing connection frees room.
            if not self._spare.shed(self._listener):
                self._tally.wait_for_a_close(self._config.linger_timeout)
        elif exc.errno != errno.ECONNABORTED:  # ECONNABORTED: the client gave up in the backlog
            log.warning("accept failed: %s", exc)
            self._tally.wait_for_a_close(self._config.linger_timeout)
