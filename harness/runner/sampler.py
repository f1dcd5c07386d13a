# The server, sampled at 10 Hz on the same clock as the client's latency windows
# (CLOCK_MONOTONIC, shared by every process on the machine), so a latency spike and the queue or
# CPU behind it line up in one time series.
#
# Rules of this file: sampling runs in a daemon thread of the harness (pinned with the driver,
# never on the server's CPU) at the idle scheduling class, so it only ever uses CPU the driver
# leaves over: a sample costs ~2 ms of CPU, and at normal priority the kernel ran it the moment
# it woke, pausing the open-loop driver on that CPU for 2 ms every 100 ms - the sends due
# meanwhile slipped by that much (1 % of them: schedule slip p99 ~2 ms, every open-loop run
# flagged invalid). A sample that cannot be taken is skipped, never fatal; CPU time covers the
# server's whole process tree (a process pool's workers burn the server's CPU too).
"""`ServerSampler`: CPU, RSS, fds and threads via psutil, plus the admin gauges."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

import psutil

from harness.runner.metrics import scrape

SAMPLE_INTERVAL = 0.1
"""Seconds between samples: 10 Hz resolves a 100 ms stall without costing the driver's CPU."""

GAUGES_EVERY = 5
"""The admin gauges are scraped on every 5th sample (2 Hz), psutil reads on every one. Reading
/proc costs the server nothing; a /metrics scrape costs it 0.4 ms of CPU under its GIL (measured
on eventloop-callbacks), which at 10 Hz was 0.4 % of its core and a stall every 100 ms that showed
in the latency tail of the very run being measured."""


@dataclass(frozen=True, slots=True)
class ServerSample:
    """One look at the server.

    t: seconds since the trial's origin (the start of measurement; warm-up is negative).
    cpu_s: cumulative user + system CPU seconds of the server's process tree.
    gauges: the admin metrics (`harness.runner.metrics.parse`); empty without an admin endpoint
        and on the samples between two scrapes (see `GAUGES_EVERY`).
    """

    t: float
    cpu_s: float | None = None
    rss_kib: int | None = None
    fds: int | None = None
    threads: int | None = None
    gauges: dict[str, float] = field(default_factory=dict)


class ServerSampler:
    """Samples a server every `SAMPLE_INTERVAL` from `start()` to `stop()`.

    Args:
        pid: the server's pid for psutil (None for a server started elsewhere).
        admin: `host:port` of its /metrics (None: no gauges).
        origin_ns: CLOCK_MONOTONIC nanoseconds of t = 0.
    """

    def __init__(self, pid: int | None, admin: str | None, origin_ns: int) -> None:
        self.origin_ns = origin_ns
        self._admin = admin
        self._process = _process(pid)
        self._samples: list[ServerSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="server-sampler", daemon=True)

    def start(self) -> None:
        """Begin sampling in the background."""
        self._thread.start()

    def sample(self, gauges: bool = True) -> ServerSample:
        """Take one sample now; `gauges=False` leaves the admin endpoint alone."""
        t = (time.monotonic_ns() - self.origin_ns) / 1e9
        gauges_now = scrape(self._admin) if self._admin and gauges else {}
        if self._process is None:
            return ServerSample(t, gauges=gauges_now)
        try:
            tree = [self._process, *self._process.children(recursive=True)]
        except psutil.Error:
            return ServerSample(t, gauges=gauges_now)
        cpu = 0.0
        rss = fds = threads = 0
        for proc in tree:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu += times.user + times.system
                    rss += proc.memory_info().rss // 1024
                    fds += proc.num_fds()
                    threads += proc.num_threads()
            except psutil.Error:
                continue  # a worker that exited between listing and reading
        return ServerSample(t, cpu, rss, fds, threads, gauges_now)

    def _run(self) -> None:
        _idle_class()
        # Samples fall on a grid through t = 0, so the start and end of measurement (whole
        # tenths of a second) are sampled, not interpolated across a 100 ms gap.
        step = int(SAMPLE_INTERVAL * 1e9)
        self._samples.append(self.sample())  # at once: the grid may start up to a step later
        k = -((self.origin_ns - time.monotonic_ns()) // step)
        while not self._stop.wait(
            max(0.0, (self.origin_ns + k * step - time.monotonic_ns()) / 1e9)
        ):
            self._samples.append(self.sample(gauges=k % GAUGES_EVERY == 0))
            k = max(k + 1, -((self.origin_ns - time.monotonic_ns()) // step))

    def stop(self) -> list[ServerSample]:
        """Stop sampling; returns every sample, oldest first."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return list(self._samples)


def tree_cpu_times(pid: int | None) -> tuple[float, float] | None:
    """(user, system) CPU seconds of process `pid` and its descendants now; None if it cannot be
    read. Read at the start and the end of a run, their difference is the server's CPU over
    exactly that run (what `netmodels ping` reports per request)."""
    process = _process(pid)
    if process is None:
        return None
    try:
        tree = [process, *process.children(recursive=True)]
    except psutil.Error:
        return None
    user = system = 0.0
    for proc in tree:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue  # a worker that exited between listing and reading
        user += times.user
        system += times.system
    return user, system


def _idle_class() -> None:
    """Put the calling thread (only it: Linux schedules threads) in SCHED_IDLE.

    An idle-class thread runs when nothing else on its CPU wants to, and a waking driver takes
    the CPU from it at once. A sample may then be taken a little late (its `t` is read when it is
    taken, so the series stays true); beside a saturated driver - flagged driver_bound anyway -
    samples thin out. Elsewhere (no SCHED_IDLE) the thread keeps its normal priority.
    """
    if not hasattr(os, "SCHED_IDLE"):
        return
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _process(pid: int | None) -> psutil.Process | None:
    if pid is None:
        return None
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None
