# Who gets in: the admission rules of a server that accepts on a non-blocking listener itself.
#
# Rules of this file: this is the accept() loop's housekeeping, not a model's lesson, so it lives
# once here. Every refusal is counted in `Counters.rejected` under the name `/metrics` shows and
# logged once (under a flood, a line per connection would be a flood of its own). The listener is
# level-triggered: `accept_all` leaves nobody waiting, or sheds one when out of descriptors, so
# the loop never spins on a listener that stays readable.
"""`Admission`: accept every waiting connection, admit or refuse each, survive EMFILE."""

from __future__ import annotations

import logging
import selectors
import socket

from impls.config import ServerConfig
from impls.osutil import OUT_OF_DESCRIPTORS, SpareDescriptor
from impls.sockets import configure
from impls.stats import Counters

log = logging.getLogger(__name__)

FD_SETSIZE = 1024
"""select(2) cannot watch a descriptor numbered this or higher (glibc's FD_SETSIZE)."""


class Admission:
    """Accepts for one listener: refuses beyond `max_connections`, beyond FD_SETSIZE when the
    selector is select(2) (watching such a socket would crash the loop), and sheds a client
    when out of descriptors (see `SpareDescriptor`). Counts refusals in `counters.rejected`
    ("max_connections", "fd_limit") and opened connections in `counters.connections_open`."""

    def __init__(
        self, config: ServerConfig, counters: Counters, selector: selectors.BaseSelector
    ) -> None:
        self._config = config
        self._counters = counters
        self._select_limit = isinstance(selector, selectors.SelectSelector)
        self._spare = SpareDescriptor()
        self._fd_limit_logged = False

    def accept_all(self, listener: socket.socket) -> list[socket.socket]:
        """Accept every waiting connection; return those admitted, configured and counted in."""
        admitted: list[socket.socket] = []
        while True:
            try:
                sock, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return admitted
            except ConnectionAbortedError:
                continue  # reset while still in the backlog: nothing to serve, take the next
            except OSError as exc:
                if exc.errno not in OUT_OF_DESCRIPTORS:
                    raise
                self._reject_fd_limit("out of file descriptors")
                self._spare.shed(listener)
                return admitted
            if self._admit(sock):
                admitted.append(sock)

    def _admit(self, sock: socket.socket) -> bool:
        counters = self._counters
        if counters.connections_open >= self._config.max_connections:
            sock.close()
            counters.rejected["max_connections"] += 1
            return False
        if self._select_limit and sock.fileno() >= FD_SETSIZE:
            sock.close()
            self._reject_fd_limit("descriptor beyond select()'s FD_SETSIZE")
            return False
        try:
            configure(sock, self._config)
        except OSError:
            sock.close()  # reset before we got to it
            return False
        counters.connections_open += 1
        return True

    def _reject_fd_limit(self, why: str) -> None:
        self._counters.rejected["fd_limit"] += 1
        if not self._fd_limit_logged:
            self._fd_limit_logged = True
            log.warning("%s: closing new connections at accept", why)

    def close(self) -> None:
        """Release the spare descriptor."""
        self._spare.close()
