# The process contract of `netmodels serve`: the ready line, bad options, SIGTERM, a second signal.
"""Conformance: how a server process starts and stops."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import pytest

from tests.conformance._client import DEADLINE, Client, ConnectFactory, request, wait_until
from tests.conformance._contract import assert_answer
from tests.conformance._matrix import per_variant
from tests.conformance._metrics import scrape
from tests.conformance._server import REPO, ServeFactory, Server, Target, serve_command

READY_KEYS = {"impl", "protocol", "listening", "admin", "pid"}


@per_variant
def test_ready_line(server: Server, target: Target) -> None:
    ready = server.ready
    assert set(ready) == READY_KEYS
    assert ready["impl"] == target.impl
    assert ready["protocol"] == "http"
    assert ready["pid"] == server.pid
    host, port = server.address
    assert host == "127.0.0.1"
    assert port > 0
    assert server.admin is not None
    assert server.admin[0] == "127.0.0.1"
    assert server.admin[1] > 0


@per_variant
def test_ready_line_without_admin(serve: ServeFactory) -> None:
    s = serve()
    assert set(s.ready) == READY_KEYS
    assert s.ready["admin"] is None


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(["--port", "http"], id="not-a-number"),
        pytest.param(["--parser", "regex"], id="unknown-choice"),
        pytest.param(["--write-high-water", "10", "--write-low-water", "20"], id="invalid-config"),
    ],
)
@per_variant
def test_bad_option_exits_2(target: Target, bad: list[str]) -> None:
    result = subprocess.run(
        serve_command(*target.args(), *bad), cwd=REPO, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 2, result.stderr.decode()
    assert result.stdout == b""
    assert result.stderr, "a bad option is explained on stderr"


@per_variant
def test_sigterm_finishes_inflight_then_exits_0(
    serve: ServeFactory, connect: ConnectFactory
) -> None:
    s = serve("--admin-port", "0", "--grace", "5")
    assert s.admin is not None
    idle = connect(s)
    assert_answer(idle.exchange(request("GET", "/ping")), s.ready["impl"], 200, b"PONG")
    busy = connect(s)
    busy.send(request("GET", "/delay?ms=2000"))
    wait_until(
        lambda: scrape(s.admin).value("netmodels_inflight_requests") == 1,  # type: ignore[arg-type]
        what="the /delay request to be in flight",
    )

    s.terminate()

    assert_answer(busy.read_response(), s.ready["impl"], 200, b"slept 2000 ms")
    status = s.wait(timeout=s.grace + 10)
    assert status == 0, f"exit status {status}\n{s.stderr_tail()}"
    assert idle.read_until_eof() == b""
    assert s.extra_stdout() == b"", "nothing but the ready line goes to stdout"


@per_variant
def test_sigterm_when_idle_exits_0(serve: ServeFactory) -> None:
    s = serve("--grace", "2")
    s.terminate()
    status = s.wait(timeout=s.grace + 10)
    assert status == 0, f"exit status {status}\n{s.stderr_tail()}"


SECOND_SIGNAL_GRACE = 60
"""`--grace` of the second-signal test: far beyond its waits, so only the second signal can
explain the process ending before the /delay is answered."""


@per_variant
def test_a_second_signal_stops_at_once(serve: ServeFactory, connect: ConnectFactory) -> None:
    s = serve("--admin-port", "0", "--grace", str(SECOND_SIGNAL_GRACE))
    admin = s.admin
    assert admin is not None
    busy = connect(s)
    busy.send(request("GET", "/delay?ms=10000"))  # the longest /delay the contract allows
    wait_until(
        lambda: scrape(admin).value("netmodels_inflight_requests") == 1,
        what="the /delay request to be in flight",
    )

    s.terminate()
    wait_until(lambda: _refused(s.address), what="the listener to close after SIGTERM")
    s.proc.send_signal(signal.SIGINT)

    # Ignoring the second signal would answer the /delay (a 200 after 10 s), then exit.
    rest = _read_to_end(busy, timeout=3 * DEADLINE)
    assert not rest.startswith(b"HTTP/1.1 200"), f"the /delay was answered: {rest[:100]!r}"
    status = s.wait(timeout=3 * DEADLINE)
    assert status == 0, f"exit status {status}\n{s.stderr_tail()}"


def _refused(address: tuple[str, int]) -> bool:
    """True once connecting is refused: the server has closed its listening socket."""
    try:
        socket.create_connection(address, timeout=DEADLINE).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False  # ours sat in the backlog of the listener being closed; look again
    return False


def _read_to_end(client: Client, timeout: float) -> bytes:
    """Everything the server still sends before the connection ends, by a FIN or a reset."""
    deadline = time.monotonic() + timeout
    data = bytes(client.buffer)
    while (remaining := deadline - time.monotonic()) > 0:
        client.sock.settimeout(remaining)
        try:
            chunk = client.sock.recv(1 << 16)
        except ConnectionResetError:
            return data
        except TimeoutError:
            break
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the connection still open after {timeout} s; received {data[:100]!r}")
