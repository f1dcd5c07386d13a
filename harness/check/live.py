# The server under check: a real `netmodels serve` process (`harness.runner.ServerProcess`, as
# every trial starts one), seen from outside - its wire, its /metrics, and what psutil reads of
# its pid.
#
# Rules of this file: a server is known only through its process contract and /proc, never by
# importing impl code. Every wait polls a condition with a deadline (a count of descriptors, a
# gauge, the process having exited) and returns what it last saw, so the caller can print it as
# evidence; nothing here sleeps to let something happen.
"""`Live` (a running server of a `Target`) and `Footprint` (its fds, threads, RSS)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psutil

from harness.check.options import Target
from harness.runner import ServerProcess
from harness.runner.metrics import scrape

POLL_INTERVAL = 0.01
"""Seconds between two looks at a condition: /proc reads cost microseconds."""

QUIET_LOOKS = 5
"""Looks in a row (POLL_INTERVAL apart) the footprint must hold still to count as idle."""

LOG_TAIL = 600
"""Bytes of the server's stderr a failure quotes."""

_TCP_LISTEN = "0A"
"""The LISTEN state in /proc/net/tcp."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Footprint:
    """What the server holds: descriptors, threads, resident memory."""

    fds: int
    threads: int
    rss_kib: int

    def same_as(self, idle: Footprint) -> bool:
        """Back to idle: the same descriptors and threads. (Every client connection is a
        descriptor, so the idle count - taken with none open - means none is left.)"""
        return self.fds == idle.fds and self.threads == idle.threads


def poll(probe: Callable[[], T], done: Callable[[T], bool], timeout: float) -> T:
    """Call `probe` until `done(value)` or `timeout` seconds passed; return the last value."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        value = probe()
    return value


class Live:
    """A running `netmodels serve` of `target` with `options` besides its own.

    Always use it as a context manager (or call `close`): the process is stopped on every way
    out, SIGTERM then SIGKILL of its process group (`ServerProcess.stop`).
    """

    def __init__(self, target: Target, options: Sequence[tuple[str, str]] = ()) -> None:
        self.target = target
        self._process = ServerProcess(
            target.impl, "http", [("parser", target.parser), *target.options, *options]
        )
        try:
            address = self._process.start()
        except BaseException:
            self._process.close()
            raise
        assert address.pid is not None  # we started it
        self.address = (address.host, address.port)
        self.admin = address.admin
        self.pid = address.pid
        self._ps = psutil.Process(self.pid)
        self.exit_status: int | None = None
        self._log_tail = ""

    def __enter__(self) -> Live:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server (idempotent); remember its exit status and the end of its log."""
        status = self._process.stop()
        if status is not None:
            self.exit_status = status
            self._log_tail = self._process.log_tail(LOG_TAIL)
        self._process.close()

    def alive(self) -> bool:
        """True while the process has not exited."""
        return self._process.running

    def log_tail(self) -> str:
        """The end of the server's stderr (for a failure's evidence), also once it was closed."""
        return self._process.log_tail(LOG_TAIL) or self._log_tail

    def footprint(self) -> Footprint | None:
        """Descriptors, threads and RSS now (psutil, ~0.1 ms); None once the process is gone."""
        try:
            with self._ps.oneshot():
                fds = self._ps.num_fds()
                threads = self._ps.num_threads()
                rss = self._ps.memory_info().rss // 1024
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            return None
        return Footprint(fds, threads, rss)

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds the server process has used; None once it is gone."""
        try:
            times = self._ps.cpu_times()
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            return None
        return float(times.user + times.system)

    def connections(self) -> int:
        """TCP connections the server holds, listening sockets aside (admin ones included).

        Reads /proc/<pid>/net/tcp*, the whole table of the network namespace - ~25 ms on a box
        that has run a few benchmarks (psutil takes longer) - so it is for the idle baseline and
        for evidence, not for polling.
        """
        inodes = set()
        fd_dir = Path(f"/proc/{self.pid}/fd")
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    link = os.readlink(fd)
                    if link.startswith("socket:["):
                        inodes.add(link[len("socket:[") : -1])
        count = 0
        for table in ("tcp", "tcp6"):
            with contextlib.suppress(OSError):
                lines = Path(f"/proc/{self.pid}/net/{table}").read_text().splitlines()[1:]
                count += sum(1 for line in lines if _established(line.split(), inodes))
        return count

    def settle(self, idle: Footprint, timeout: float) -> Footprint | None:
        """Wait until the footprint is back to `idle` (or `timeout`); the last one seen."""
        return poll(self.footprint, lambda f: f is None or f.same_as(idle), timeout)

    def quiet(self, timeout: float) -> Footprint | None:
        """Wait until no client connection is left and the footprint holds still for
        `QUIET_LOOKS` looks in a row; that footprint (None if the process is gone or it never
        held still).

        Runtimes open some descriptors lazily and for good (libuv's spare fd for EMFILE, a
        signal wake-up pipe); after a warm-up the footprint of a quiet server is its idle one.
        """
        looks: list[Footprint | None] = []

        def steady() -> bool:
            looks.append(self.footprint())
            recent = looks[-QUIET_LOOKS:]
            return (
                len(recent) == QUIET_LOOKS
                and recent[0] is not None
                and all(f == recent[0] for f in recent)
                and self.connections() == 0
            )

        return looks[-1] if poll(steady, bool, timeout) else None

    def gauge(self, name: str) -> float | None:
        """One `netmodels_<name>` value of /metrics (`harness.runner.metrics.parse` names), or
        None if /metrics did not answer."""
        if self.admin is None:
            return None
        return scrape(self.admin).get(name)

    def inflight(self) -> float | None:
        """The server's `netmodels_inflight_requests` gauge (None: /metrics did not answer)."""
        return self.gauge("inflight_requests")

    def wait_inflight(self, count: int, timeout: float) -> float | None:
        """Wait until `count` requests are in flight; the gauge last read."""
        return poll(self.inflight, lambda value: value == count, timeout)

    def signal(self, signum: int) -> None:
        """Send `signum` to the server process."""
        os.kill(self.pid, signum)

    def wait_exit(self, timeout: float) -> int | None:
        """Wait until the process exits; its status, or None if it still runs at `timeout`."""
        if poll(self.alive, lambda alive: not alive, timeout):
            return None
        self.close()
        return self.exit_status


def _established(fields: list[str], inodes: set[str]) -> bool:
    """A /proc/net/tcp row of one of `inodes` that is not a listening socket."""
    return len(fields) > 9 and fields[9] in inodes and fields[3] != _TCP_LISTEN
