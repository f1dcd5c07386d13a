# The targets of `harness.targets` as the harness runs them: started through `ServerProcess`,
# asked over a real loopback socket, stopped, and nothing left behind. A target that cannot run
# on this machine (a peer not installed) is skipped with the reason `missing()` gives.
#
# Rules of this file: no sleeps and no timing asserts - the stall target's stalls are seen through
# its `/stalls` counter, polled by requests in a loop bounded in count and time.
"""The non-impl targets: the table, the command lines, and each target over real sockets."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness import targets, yardstick
from harness.bench import cell_from_args
from harness.cli import build_parser
from harness.profile import Cell
from harness.runner import ServerAddress, ServerError, ServerProcess
from harness.runner.server import YARDSTICK
from harness.targets import nginx, stall
from impls.registry import IMPLS

DEADLINE = 10.0
"""Seconds a test may wait for something a target does (a stall, an answer)."""

MAX_POLLS = 100_000
"""Requests a polling loop may send before it gives up, whatever the clock says."""


def skip_if_missing(name: str) -> None:
    reason = targets.missing(name)
    if reason is not None:
        pytest.skip(reason)


@contextlib.contextmanager
def connection(address: ServerAddress) -> Iterator[http.client.HTTPConnection]:
    """One keep-alive HTTP/1.1 connection to `address`."""
    conn = http.client.HTTPConnection(address.host, address.port, timeout=DEADLINE)
    try:
        yield conn
    finally:
        conn.close()


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    """`GET path` on `conn`: (status, body); the connection stays open for the next one."""
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    assert not response.will_close, "the target closed a keep-alive connection"
    return response.status, body


def tree(pid: int) -> list[psutil.Process]:
    """`pid` and every process under it."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def group_is_empty(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def gone(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


# -- the table -----------------------------------------------------------------------------------


def test_the_table_names_the_targets() -> None:
    assert targets.TARGETS == ("bare", "stall", "nginx", "uvicorn", "aiohttp")
    assert YARDSTICK in targets.TARGETS
    assert all(targets.is_target(name) for name in targets.TARGETS)
    assert not targets.is_target("eventloop")
    assert not set(targets.TARGETS) & set(IMPLS), "a target would hide an impl of the same name"


@pytest.mark.parametrize("name", targets.TARGETS)
def test_each_target_says_whether_it_can_run(name: str) -> None:
    assert targets.protocols(name) == ("http",)
    reason = targets.missing(name)
    assert reason is None or ("not installed (" in reason and "\n" not in reason)


def test_unknown_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown target 'nope'"):
        targets.missing("nope")


def test_a_missing_peer_fails_at_start_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    absent = (("netmodels-no-such-program", "apt-get install nothing"),)
    monkeypatch.setitem(
        targets.TABLE, "nginx", dataclasses.replace(targets.TABLE["nginx"], programs=absent)
    )
    with (
        ServerProcess("nginx", "http") as server,
        pytest.raises(ServerError, match=r"netmodels-no-such-program not installed \(apt-get"),
    ):
        server.start()
    assert server.pid is None, "nothing was started"


def test_a_target_refuses_a_protocol_it_does_not_serve() -> None:
    with (
        ServerProcess("stall", "echo") as server,
        pytest.raises(ServerError, match="stall serves http only, not echo"),
    ):
        server.start()
    assert server.pid is None


# -- command lines -------------------------------------------------------------------------------


def test_a_target_name_starts_the_target_program() -> None:
    assert ServerProcess(YARDSTICK, "http").argv == [sys.executable, "-m", "harness.yardstick"]
    assert ServerProcess("uvicorn", "http").argv == [
        sys.executable,
        "-m",
        "harness.targets.asgi",
    ]
    assert ServerProcess("eventloop", "http").argv[2:5] == ["harness.cli", "serve", "--impl"]


def test_a_bench_cell_passes_stall_options_through() -> None:
    args = build_parser().parse_args(
        ["bench", "--impl", "stall", "--server-opt", "stall_ms=50", "--server-opt", "period-ms=200"]
    )
    cell = cell_from_args(args)
    server = ServerProcess(cell.impl, cell.protocol, cell.options)
    assert server.argv == [
        sys.executable,
        "-m",
        "harness.targets.stall",
        "--period-ms",
        "200",
        "--stall-ms",
        "50",
    ]
    assert server.unavailable is None


def test_a_profile_cell_passes_stall_options_through() -> None:
    cell = Cell(impl="stall", options=(("stall_ms", "300"),))
    argv = ServerProcess(cell.impl, cell.protocol, cell.options).argv
    assert argv[-2:] == ["--stall-ms", "300"]
    args = stall.parse_args(argv[3:])
    assert (args.stall_ms, args.period_ms) == (300.0, 1000.0)


@pytest.mark.parametrize(
    "argv",
    [["--stall-ms", "100", "--period-ms", "100"], ["--stall-ms", "-1"], ["--period-ms", "0"]],
)
def test_the_stall_target_refuses_stalls_that_never_end(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        stall.parse_args(argv)


def test_the_stall_target_answers_the_yardsticks_bytes() -> None:
    assert stall.RESPONSE == yardstick.RESPONSE


# -- over real sockets ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", targets.TARGETS)
def test_target_answers_ping_and_leaves_nothing_behind(name: str) -> None:
    skip_if_missing(name)
    with ServerProcess(name, "http") as server:
        address = server.start()
        assert address.host == "127.0.0.1"
        assert address.pid == server.pid
        assert address.admin is None
        assert address.pid is not None
        with connection(address) as conn:
            answers = [get(conn, "/ping") for _ in range(3)]
        assert answers == [(200, b"PONG")] * 3
        processes = tree(address.pid)
        # nginx's wrapper names its temporary directory on nginx's command line (`-p DIR/`)
        dirs = [Path(arg) for p in processes[1:] for arg in p.cmdline() if "netmodels-nginx" in arg]
        status = server.stop()
    assert status == 0, f"{name} did not exit cleanly on SIGTERM{server.log_tail()}"
    assert all(gone(p) for p in processes), [p.pid for p in processes if not gone(p)]
    assert group_is_empty(address.pid), f"{name} left processes in its group"
    assert not any(d.exists() for d in dirs), dirs


@pytest.mark.parametrize("name", ["uvicorn", "aiohttp", "nginx"])
def test_peers_answer_404_to_other_paths(name: str) -> None:
    skip_if_missing(name)
    with ServerProcess(name, "http") as server, connection(server.start()) as conn:
        status, _ = get(conn, "/nope")
        assert status == 404
        assert get(conn, "/ping") == (200, b"PONG")


def test_the_stall_target_stalls() -> None:
    skip_if_missing("stall")
    options = (("stall_ms", "20"), ("period_ms", "50"))
    with ServerProcess("stall", "http", options) as server, connection(server.start()) as conn:
        deadline = time.monotonic() + DEADLINE
        stalls = 0
        for _ in range(MAX_POLLS):
            status, body = get(conn, "/stalls")
            assert status == 200
            stalls = int(body)
            if stalls >= 1 or time.monotonic() > deadline:
                break
        assert stalls >= 1, "no stall within the deadline"
        assert get(conn, "/ping") == (200, b"PONG")


def test_a_target_that_fails_to_start_is_reported() -> None:
    with (
        ServerProcess("stall", "http", (("stall_ms", "2000"),)) as server,
        pytest.raises(ServerError, match="exited with status 2"),
    ):
        server.start()


def test_the_nginx_config_keeps_everything_in_its_directory(tmp_path: Path) -> None:
    config = nginx.render_config(
        tmp_path, 8080, 1024, "token", without="--without-http_scgi_module"
    )
    files = [
        word.rstrip(";")
        for line in config.splitlines()
        if not line.strip().startswith("location")  # a URL path, not a file
        for word in line.split()
        if word.startswith("/")
    ]
    assert len(files) == 6  # error log, pid, four temp paths
    assert all(Path(path).is_relative_to(tmp_path) for path in files), files
    assert "scgi_temp_path" not in config
    assert "listen 127.0.0.1:8080;" in config


NGINX_IN_THE_WAY = """
import shutil, socket, sys
from harness.targets import nginx

in_the_way = socket.socket()
in_the_way.bind(("127.0.0.1", 0))
in_the_way.listen()  # accepts into its backlog, never answers
nginx.free_port = lambda: in_the_way.getsockname()[1]
sys.exit(nginx.main([]))
"""


def test_nginx_is_not_announced_when_another_process_has_its_port() -> None:
    skip_if_missing("nginx")
    wrapper = subprocess.run(
        [sys.executable, "-c", NGINX_IN_THE_WAY],
        capture_output=True,
        text=True,
        timeout=2 * nginx.READY_TIMEOUT,
        check=False,
    )
    assert wrapper.returncode == 1
    assert wrapper.stdout == "", "a ready line for a port nginx never bound"
    assert "Address already in use" in wrapper.stderr
