# What every target program shares: where it listens and how it says it is ready.
#
# Rules of this file: targets listen on loopback only, on a port the kernel picks (port 0), so
# that two trials, or a trial and a test, never collide; the ready line has exactly the fields of
# `netmodels serve`'s (docs/service-spec.md) and is flushed at once - the harness waits for it.
"""`bind_loopback` and `announce`: the listening socket and the ready line of a target."""

from __future__ import annotations

import json
import os
import socket

LOOPBACK = "127.0.0.1"
"""The only address a target listens on: the harness and the tests run on the same machine."""


def bind_loopback() -> socket.socket:
    """A TCP socket bound to 127.0.0.1 on a port the kernel picks; not yet listening (the server
    that takes it over calls listen with its own backlog)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((LOOPBACK, 0))
    except OSError:
        sock.close()
        raise
    return sock


def announce(name: str, address: tuple[str, int], protocol: str = "http") -> None:
    """Print the ready line of target `name`, listening at `address` (host, port), with this
    process's pid: the harness samples that process and its children."""
    host, port = address[:2]
    line = {
        "impl": name,
        "protocol": protocol,
        "listening": f"{host}:{port}",
        "admin": None,
        "pid": os.getpid(),
    }
    print(json.dumps(line), flush=True)
