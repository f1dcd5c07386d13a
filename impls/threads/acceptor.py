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
import os
import socket
import threading

from ..config import ServerConfig
from ..sockets import configure
from .compute import Compute
from .connection import ConnectionThread
from .tally import Tally

log = logging.getLogger(__name__)

_OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE)


def _open_spare() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


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
        self._spare = _open_spare()
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
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None

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
        if exc.errno in _OUT_OF_DESCRIPTORS:
            self._tally.reject("fd_limit")
            self._shed_one()
        elif exc.errno != errno.ECONNABORTED:  # ECONNABORTED: the client gave up in the backlog
            log.warning("accept failed: %s", exc)
            # ENOBUFS, ENOMEM: retrying at once would spin; a closing connection frees resources.
            self._tally.wait_for_a_close(self._config.linger_timeout)

    def _shed_one(self) -> None:
        """Out of descriptors: turn away the client the kernel is holding, or wait for room."""
        if self._spare is None:
            self._tally.wait_for_a_close(self._config.linger_timeout)
        else:
            os.close(self._spare)
            try:
                sock, _ = self._listener.accept()
                sock.close()
            except OSError:
                pass  # another thread took the freed descriptor first; try again next time
        self._spare = _open_spare()
