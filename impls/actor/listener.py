# The Listener actor: the receiving thread accepts, the Listener decides. It spawns one
# Connection child per accepted socket, supervises them, and counts them.
#
# Rules of this file: states `bound` (accepting) and `unbinding` (the server is stopping: no new
# connections; the last child to terminate rings `on_all_closed`). The supervision strategy is the
# Listener's only say over its children, and the only place a Connection failure is decided.
"""`Listener`: accept decisions, one Connection per socket, supervision."""

from __future__ import annotations

import socket
from collections.abc import Callable

from impls.actor.codec import Codec
from impls.actor.connection import SHUTDOWN, Connection
from impls.actor.link import Link
from impls.actor.messages import UNBIND, Connected, Register, Unbind
from impls.actor.runtime import Actor, Behaviour, ChildTerminated, Directive, SupervisorStrategy
from impls.actor.services import Services
from impls.protocol import new_connection


def _restart_connection(exc: Exception) -> Directive:
    return Directive.RESTART


class Listener(Actor):
    """Parent of every Connection actor."""

    # A handler that raised leaves its connection mid-request. Restarting the Connection gives a
    # fresh instance on the same link, which answers that request 500 and closes (its
    # `post_restart`); every other connection, and the Listener, carry on untouched.
    supervisor_strategy = SupervisorStrategy(_restart_connection, max_restarts=1)

    def __init__(self, services: Services, on_all_closed: Callable[[], None]) -> None:
        self.services = services
        self._on_all_closed = on_all_closed
        self._open = 0

    def bound(self, message: object) -> Behaviour | None:
        """Accepting connections."""
        match message:
            case Connected(sock):
                self._admit(sock)
            case ChildTerminated():
                self._left()
            case Unbind():
                self.services.receiver.tell(UNBIND)
                for child in self.children:
                    child.tell(SHUTDOWN)
                self._check_all_closed()
                return self.unbinding
        return None

    receive = bound  # the initial state

    def unbinding(self, message: object) -> Behaviour | None:
        """Stopping: refuse what was accepted meanwhile, wait for the children to finish."""
        match message:
            case Connected(sock):
                sock.close()
            case ChildTerminated():
                self._left()
                self._check_all_closed()
        return None

    def _admit(self, sock: socket.socket) -> None:
        services = self.services
        config = services.config
        if self._open >= config.max_connections:
            sock.close()
            services.tally.rejected("max_connections")
            return
        link = Link(sock, Codec(new_connection(config, services.encoder)))
        link.actor = self.spawn(Connection, link, services)
        services.links.add(link)
        self._open += 1
        services.tally.opened(+1)
        services.receiver.tell(Register(link))

    def _left(self) -> None:
        self._open -= 1
        self.services.tally.opened(-1)

    def _check_all_closed(self) -> None:
        if self._open == 0:
            self._on_all_closed()
