"""Out of file descriptors (EMFILE): the threads server sheds connections and keeps serving.

Runs `netmodels serve` as a process and lowers its descriptor limit once it is ready, so the
limit bites on accept() rather than on start-up.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.conformance._client import wait_until
from tests.threads._support import DEADLINE, read_to_eof

LIMIT = 64
CLIENTS = 2 * LIMIT


def _rejected_fd_limit(admin: str) -> int:
    with urllib.request.urlopen(f"http://{admin}/metrics", timeout=DEADLINE) as answer:
        text = answer.read().decode()
    found = re.search(r'netmodels_rejected_total\{impl="threads",reason="fd_limit"\} (\S+)', text)
    return int(float(found.group(1))) if found else 0


def _ping(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=DEADLINE) as sock:
            sock.settimeout(DEADLINE)
            sock.sendall(b"GET /ping HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
            return read_to_eof(sock).endswith(b"PONG")
    except OSError:
        return False  # shed while the server was still at its limit


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs prlimit (Linux)")
def test_emfile_sheds_connections_and_the_server_keeps_serving() -> None:
    command = [sys.executable, "-m", "harness.cli", "serve", "--impl", "threads"]
    server = subprocess.Popen(
        [*command, "--admin-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    clients: list[socket.socket] = []
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        host, port = ready["listening"].rsplit(":", 1)
        address = (host, int(port))
        assert len(os.listdir(f"/proc/{server.pid}/fd")) < LIMIT // 2
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (LIMIT, LIMIT))
        clients.extend(socket.create_connection(address, timeout=DEADLINE) for _ in range(CLIENTS))
        assert read_to_eof(clients[-1]) == b""  # beyond any room the server has: shed
        for sock in clients:
            sock.close()
        wait_until(lambda: _ping(address), what="the server to answer again")
        # The admin endpoint needs a descriptor too, so it is asked only now.
        assert _rejected_fd_limit(ready["admin"]) >= CLIENTS - LIMIT
        server.send_signal(signal.SIGTERM)
        assert server.wait(DEADLINE) == 0
    finally:
        for sock in clients:
            sock.close()
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()
