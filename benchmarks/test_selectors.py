# Micro-benchmark of one selector wait against the sockets registered: the lecture's claim that
# select() and poll() slow down as sockets are added and epoll does not.
#
# Rules of this file (it measures; it asserts only that each wait found the one ready socket, so
# a run with --benchmark-disable, each body once, is a smoke test): the sockets and the selector
# come from `harness.selector_wait.registered`, the setup `python -m harness.selector_wait` times
# with its own loop (median and p10/p90 of single waits); this file gives the same measurement
# pytest-benchmark's statistics, saved runs and --benchmark-compare. select() stops at 900: its
# descriptors must be below FD_SETSIZE (1024), with room for what a whole test session has open;
# the probe reports the refusal beyond that.
# Run: `python -m pytest benchmarks/test_selectors.py --benchmark-enable --benchmark-only`.
"""pytest-benchmark timings of select/poll/epoll `select(timeout=0)` at 10 to 4000 sockets."""

from __future__ import annotations

from typing import Any

import pytest

from harness.selector_wait import registered

Benchmark = Any  # pytest-benchmark's fixture (its package ships no type hints)

CASES = [
    *(("select", n) for n in (10, 100, 900)),
    *(("poll", n) for n in (10, 100, 900, 4000)),
    *(("epoll", n) for n in (10, 100, 900, 4000)),
]


@pytest.mark.parametrize(("selector", "sockets"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_wait(benchmark: Benchmark, selector: str, sockets: int) -> None:
    """One `select(timeout=0)` with `sockets` idle sockets and one readable one registered."""
    with registered(selector, sockets) as sel:
        ready = benchmark(sel.select, 0)
        assert len(ready) == 1, "the wait found the ready socket"
        assert len(sel.get_map()) == sockets + 1
