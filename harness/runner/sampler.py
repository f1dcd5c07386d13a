# The server, sampled at 10 Hz on the same clock as the client's latency windows
# (CLOCK_MONOTONIC, shared by every process on the machine), so a latency spike and the queue or
# CPU behind it line up in one time series.
#
# Rules of this file: sampling runs in a daemon thread of the harness (pinned with the driver,
# never on the server's CPU); a sample that cannot be taken is skipped, never fatal; CPU time
# covers the server's whole process tree (a process pool's workers burn the server's CPU too).
"""`ServerSampler`: CPU, RSS, fds and threads via psutil, plus the admin gauges."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil

from .metrics import scrape

SAMPLE_INTERVAL = 0.1
"""Seconds between samples: 10 Hz resolves a 100 ms stall without costing the driver's CPU."""


@dataclass(frozen=True, slots=True)
class ServerSample:
    """One look at the server.

    t: seconds since the trial's origin (the start of measurement; warm-up is negative).
    cpu_s: cumulative user + system CPU seconds of the server's process tree.
    gauges: the admin metrics (`harness.runner.metrics.parse`); empty without an admin endpoint.
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

    def sample(self) -> ServerSample:
        """Take one sample now."""
        t = (time.monotonic_ns() - self.origin_ns) / 1e9
        gauges = scrape(self._admin) if self._admin else {}
        if self._process is None:
            return ServerSample(t, gauges=gauges)
        try:
            tree = [self._process, *self._process.children(recursive=True)]
        except psutil.Error:
            return ServerSample(t, gauges=gauges)
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
        return ServerSample(t, cpu, rss, fds, threads, gauges)

    def _run(self) -> None:
        # Samples fall on a grid through t = 0, so the start and end of measurement (whole
        # tenths of a second) are sampled, not interpolated across a 100 ms gap.
        step = int(SAMPLE_INTERVAL * 1e9)
        self._samples.append(self.sample())  # at once: the grid may start up to a step later
        k = -((self.origin_ns - time.monotonic_ns()) // step)
        while not self._stop.wait(
            max(0.0, (self.origin_ns + k * step - time.monotonic_ns()) / 1e9)
        ):
            self._samples.append(self.sample())
            k = max(k + 1, -((self.origin_ns - time.monotonic_ns()) // step))

    def stop(self) -> list[ServerSample]:
        """Stop sampling; returns every sample, oldest first."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return list(self._samples)


def _process(pid: int | None) -> psutil.Process | None:
    if pid is None:
        return None
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None
