# Open-loop pacing: when each request is *meant* to be sent, independent of when answers come
# back. This is wrk2's fix for coordinated omission: a closed-loop client waits for an answer
# before it sends the next request, so a server stall also stalls the client, and the requests
# that would have been sent during the stall - and would have waited - are never measured.
# An open-loop client sends on schedule and measures every latency from the scheduled time, so a
# stall is charged to every request it delayed.
#
# Rules of this file: the schedule is pure arithmetic on integer nanoseconds (seeded for Poisson
# arrivals), so the same plan gives the same intended times; the pacer records how late each send
# was (schedule slip), because a late driver would hide latency the same way a closed loop does.
"""Arrival schedules (constant rate, Poisson) and the `Pacer` that follows them."""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Callable, Iterator
from time import monotonic_ns

MIN_TICK_NS = 200_000
"""Shortest wait between two pacer wake-ups: above ~5,000 requests/s per process the pacer sends
small batches (each request still timed from its own intended time), so waking costs at most
~10 % of a core instead of one signal per request."""


def schedule(
    start_ns: int, rate: float, arrivals: str, *, phase: int = 0, stride: int = 1, seed: int = 0
) -> Iterator[int]:
    """Intended send times, in CLOCK_MONOTONIC nanoseconds, from `start_ns` on.

    Args:
        rate: requests per second of the whole run (all driver processes together).
        arrivals: "constant" (evenly spaced) or "poisson" (exponential gaps, mean 1/rate).
        phase, stride: this process sends requests phase, phase + stride, ... of the run's
            constant schedule (`stride` processes interleave); Poisson streams are independent,
            each at rate / stride, seeded by `seed` and `phase`.
    """
    gap_ns = 1e9 / rate
    if arrivals == "constant":
        k = phase
        while True:
            yield start_ns + round(k * gap_ns)
            k += stride
    elif arrivals == "poisson":
        rng = random.Random(seed * 1_000_003 + phase)
        per_process = rate / stride
        t = float(start_ns)
        while True:
            t += rng.expovariate(per_process) * 1e9
            yield round(t)
    else:
        raise ValueError(f"unknown arrivals {arrivals!r}")


class Pacer:
    """Calls `send(intended_ns, now_ns)` for every scheduled time in [start, end).

    Waits with `setitimer(ITIMER_REAL)`, whose SIGALRM wakes the event loop through its signal
    pipe: event-loop timers (uvloop's count whole milliseconds and fire up to ~1 ms early or
    ~0.5 ms late) would make the slip itself about 1 ms, and polling instead of waiting would
    burn the CPU that the driver's self-check reads as saturation. Measured on this kind of
    machine: ~30 us late at p50, a few hundred us at p99 on a busy box. The process must own
    SIGALRM (driver processes do). `done` is set after the last send before `end_ns`.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        times: Iterator[int],
        end_ns: int,
        send: Callable[[int, int], None],
    ) -> None:
        self._loop = loop
        self._times = times
        self._end_ns = end_ns
        self._send = send
        self._next = next(times)
        self.done = asyncio.Event()

    def start(self) -> None:
        """Begin following the schedule."""
        self._loop.add_signal_handler(signal.SIGALRM, self._tick)
        self._tick()

    def stop(self) -> None:
        """Stop early (idempotent); also called after the last send."""
        signal.setitimer(signal.ITIMER_REAL, 0)
        self._loop.remove_signal_handler(signal.SIGALRM)
        self.done.set()

    def _tick(self) -> None:
        if self.done.is_set():
            return
        now = monotonic_ns()
        send, times, end = self._send, self._times, self._end_ns
        due = self._next
        while due <= now and due < end:
            send(due, now)
            due = next(times)
        self._next = due
        if due >= end:
            self.stop()
            return
        wait = max(due - monotonic_ns(), MIN_TICK_NS)
        signal.setitimer(signal.ITIMER_REAL, wait / 1e9)
