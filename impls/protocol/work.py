# The CPU work behind /work: a deterministic computation, never a sleep.
#
# Rules of this file: `spin` is a top-level pure function of an int, so it pickles into a process
# pool and gives the same answer everywhere. How many iterations make a millisecond is measured
# once per process (`iterations_for`), because machines and Python builds differ several-fold.
"""`spin`: CPU-bound work of a requested duration for the /work route."""

from __future__ import annotations

import functools
import time

_CALIBRATION_ITERATIONS = 200_000


def spin(iterations: int) -> int:
    """Run a 32-bit linear congruential generator `iterations` times and return its state.

    Pure Python on purpose: it holds the GIL, as real request-handling code would, which is what
    makes `--offload thread` and `--offload process` teach different lessons.
    """
    x = 1
    for _ in range(iterations):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
    return x


@functools.cache
def _iterations_per_ms() -> float:
    best = float("inf")
    for _ in range(3):  # the fastest of three: scheduling noise only ever adds time
        start = time.perf_counter()
        spin(_CALIBRATION_ITERATIONS)
        best = min(best, time.perf_counter() - start)
    return _CALIBRATION_ITERATIONS / (best * 1000.0)


def iterations_for(ms: int) -> int:
    """How many `spin` iterations take about `ms` milliseconds on this machine."""
    return int(ms * _iterations_per_ms())
