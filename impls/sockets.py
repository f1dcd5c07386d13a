# Socket set-up shared by every impl that owns its sockets, so all listen and accept alike.
"""Listening-socket and accepted-socket set-up from `ServerConfig`."""

from __future__ import annotations

import socket

from impls.config import ServerConfig


def listen(config: ServerConfig, *, blocking: bool = False) -> socket.socket:
    """A socket bound to `config.host:config.port` and listening with `config.backlog`."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, config.port))
        sock.listen(config.backlog)
        sock.setblocking(blocking)
    except BaseException:
        sock.close()
        raise
    return sock


def configure(sock: socket.socket, config: ServerConfig, *, blocking: bool = False) -> None:
    """Apply the per-connection settings to an accepted socket."""
    sock.setblocking(blocking)
    if config.tcp_nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
