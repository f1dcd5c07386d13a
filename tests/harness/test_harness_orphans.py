# A SIGKILLed harness gets no chance to stop its children; the kernel must do it (Linux:
# PR_SET_PDEATHSIG, `harness.process.lifetime`). Each test starts a small harness-like parent
# process, reads the pids of what it started, SIGKILLs it, and waits - with a deadline - for the
# children to end.
"""Server and driver processes do not outlive a killed harness."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from _harness_servers import Behaviour, TestServer

from impls.registry import IMPLS

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 30.0
"""Seconds for a parent to start its children, and for the children to end after its death."""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only"
)

SERVER_PARENT = """
import sys
from harness.runner import ServerProcess

server = ServerProcess(sys.argv[1], "http")
print(server.start().pid, flush=True)
sys.stdin.read()  # until the test kills this process
"""

DRIVER_PARENT = """
import sys
from harness.driver import DriverPool
from harness.profile import Cell

# a gentle load that would run for minutes: only the parent's death can end it in time
cell = Cell(impl="test", mode="open", rate=20.0, connections=2, duration=300.0, warmup=0.5)
pool = DriverPool(cell, "127.0.0.1", int(sys.argv[1]), procs=2)
pool.start()
pool.go()
print("running", flush=True)
sys.stdin.read()  # until the test kills this process
"""


@contextlib.contextmanager
def parent(script: str, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """A harness-like parent process running `script`; killed on the way out whatever happens."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        process.kill()
        process.communicate(timeout=DEADLINE)


def first_line(process: subprocess.Popen[bytes]) -> str:
    """The parent's first line on stdout, read with a deadline."""
    assert process.stdout is not None
    deadline = time.monotonic() + DEADLINE
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "the parent printed no line in time"
        readable, _, _ = select.select([process.stdout], [], [], remaining)
        if readable:
            chunk = os.read(process.stdout.fileno(), 4096)
            assert chunk, f"the parent exited: {process.communicate()[1].decode()[-2000:]}"
            buffer += chunk
    return buffer.decode().strip()


def ended(process: psutil.Process) -> bool:
    """Exited - or a zombie nobody has reaped yet (an orphan's reaper may be slow, or absent)."""
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def wait_ended(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Poll until every process has ended or the deadline passed; returns those still running."""
    deadline = time.monotonic() + DEADLINE
    running = [p for p in processes if not ended(p)]
    while running and time.monotonic() < deadline:
        psutil.wait_procs(running, timeout=0.1)  # a bounded wait for a change, then look again
        running = [p for p in running if not ended(p)]
    return running


def kill_all(processes: list[psutil.Process]) -> None:
    """Cleanup for a failed test: nothing it started may outlive it."""
    for p in processes:
        with contextlib.suppress(psutil.Error):
            p.kill()


def test_server_dies_with_a_killed_harness() -> None:
    with parent(SERVER_PARENT, next(iter(IMPLS))) as harness:
        server = psutil.Process(int(first_line(harness)))
        try:
            assert server.ppid() == harness.pid
            assert not ended(server)
            harness.kill()  # SIGKILL: no cleanup of its own
            harness.wait(timeout=DEADLINE)
            alive = wait_ended([server])
            assert alive == [], f"server {server.pid} outlived its SIGKILLed parent"
        finally:
            if not ended(server):  # it leads its own process group (pool workers included)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(server.pid, signal.SIGKILL)


def test_drivers_die_with_a_killed_harness() -> None:
    with (
        TestServer(Behaviour()) as target,
        parent(DRIVER_PARENT, str(target.port)) as harness,
    ):
        assert first_line(harness) == "running"
        children = psutil.Process(harness.pid).children(recursive=True)
        try:
            # the forkserver (and resource tracker) are the parent's children, the drivers theirs
            drivers = [p for p in children if p.ppid() != harness.pid]
            assert len(drivers) == 2, [_cmd(p) for p in children]
            harness.kill()
            harness.wait(timeout=DEADLINE)
            alive = wait_ended(children)
            assert alive == [], [_cmd(p) for p in alive]
        finally:
            kill_all(children)


def _cmd(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return f"<{process.pid}: gone>"
