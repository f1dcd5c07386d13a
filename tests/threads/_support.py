# Helpers of the threads impl's tests: an in-process server and a bounded-wait client.
"""`running`: a `ThreadServer` for one test; `exchange`, `read_to_eof`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from impls.config import ServerConfig
from impls.threads.server import ThreadServer

DEADLINE = 10.0
"""Seconds any single wait of a test may take before the test fails (never a duration check)."""


@contextmanager
def running(**changes: object) -> Iterator[ThreadServer]:
    """A started `ThreadServer` on an ephemeral loopback port, stopped on exit."""
    server = ThreadServer(ServerConfig(impl="threads").replace(**changes))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def connect(server: ThreadServer) -> socket.socket:
    sock = socket.create_connection(server.address, timeout=DEADLINE)
    sock.settimeout(DEADLINE)
    return sock


def read_to_eof(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset counts as a close)."""
    chunks = []
    try:
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def exchange(server: ThreadServer, raw: bytes) -> bytes:
    """Send `raw` on a new connection and return all bytes until the server closes it."""
    with connect(server) as sock:
        sock.sendall(raw)
        return read_to_eof(sock)


def get(path: str, *, close: bool = True) -> bytes:
    """The bytes of a GET request for `path`."""
    connection = b"connection: close\r\n" if close else b""
    return b"GET %s HTTP/1.1\r\nhost: t\r\n%s\r\n" % (path.encode(), connection)
