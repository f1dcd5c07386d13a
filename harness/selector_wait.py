# One selector wait's cost against the number of sockets registered: the lecture's claim that
# select() and poll() slow down as sockets are added and epoll does not, measured on its own.
#
# Rules of this file: it is a standalone probe - the standard library only, no other harness
# module (it is not a stage of the profile -> runner -> ... pipeline, and nothing there imports
# it). Every descriptor it opens is closed before it returns, whatever happened. A selector's own
# limit (select()'s FD_SETSIZE) is a result, `wait_us=None` with the reason, never a crash.
#
# What one "wait" is: `selectors.<Kind>Selector.select(timeout=0)` with exactly one registered
# socket readable - the call an event loop makes once per iteration (asyncio's loop calls it),
# Python wrapper included, so the figure is what a loop pays, not the bare system call. The ready
# socket has one byte that is never read, so every wait finds it and returns at once.
"""`measure` / `sweep`: the median cost of one select/poll/epoll wait vs registered sockets.

Run `python -m harness.selector_wait --help`; it prints a table.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import resource
import selectors
import socket
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

SELECTORS = ("select", "poll", "epoll")
"""The selector kinds, in the order the lecture introduces them."""

FD_SETSIZE = 1024
"""select()'s fixed descriptor-set size on Linux: it takes no descriptor numbered at or above."""

WARMUP_WAITS = 5
"""Untimed waits first: poll() rebuilds its descriptor array on the first wait after a register,
and the first calls warm the caches; neither is the steady cost a loop pays."""

_SELECT_NOTE = f"select() takes only descriptors below FD_SETSIZE ({FD_SETSIZE})"
_SPARE_FDS = 64  # descriptors kept free for the rest of the process (and the ready pair)


@dataclass(frozen=True, slots=True)
class WaitCost:
    """The cost of one selector wait with `sockets` idle sockets registered besides a ready one.

    `wait_us`, `p10_us` and `p90_us` are the median, 10th and 90th percentile of `waits` timed
    waits, in microseconds; all three are None when the selector refused, and `note` says why
    (it is "" otherwise).
    """

    selector: str
    sockets: int
    wait_us: float | None
    p10_us: float | None
    p90_us: float | None
    waits: int
    note: str


class RefusedError(Exception):
    """The selector cannot take this many sockets here; the message says why (for `note`)."""


def _selector_class(selector: str) -> type[selectors.BaseSelector]:
    classes: dict[str, type[selectors.BaseSelector] | None] = {
        "select": selectors.SelectSelector,
        "poll": getattr(selectors, "PollSelector", None),
        "epoll": getattr(selectors, "EpollSelector", None),
    }
    if selector not in classes:
        raise ValueError(f"unknown selector {selector!r}: one of {', '.join(SELECTORS)}")
    cls = classes[selector]
    if cls is None:
        raise RefusedError(f"{selector} is not available on {sys.platform}")
    return cls


def _highest_open_fd() -> int:
    """The highest descriptor number open in this process (an estimate where /proc is absent)."""
    for listing in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return max(int(name) for name in os.listdir(listing))
    return 256


@contextlib.contextmanager
def _descriptors(needed: int) -> Iterator[None]:
    """Raise the soft RLIMIT_NOFILE to at least `needed` (up to the hard limit) while inside."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        yield
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise RefusedError(f"needs {needed} descriptors; the RLIMIT_NOFILE hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@contextlib.contextmanager
def registered(selector: str, sockets: int) -> Iterator[selectors.BaseSelector]:
    """A selector of kind `selector` with `sockets` idle sockets and one readable one registered.

    Each socket is one end of a `socket.socketpair()`. The other ends are moved to descriptor
    numbers above all registered ones, as a server's registered sockets would be the only ones
    it has: so the registered descriptors are numbered as if the peers were in another process,
    and select() takes as many sockets as it would in a server (about 1,020), not half of that.

    Args:
        selector: "select", "poll" or "epoll".
        sockets: idle sockets to register besides the readable one (>= 0).

    Yields:
        The selector; `select(timeout=0)` on it returns exactly the readable socket's key.

    Raises:
        ValueError: an unknown selector or a negative count.
        RefusedError: the selector does not exist here, or the descriptor limit is too low.
        (select() itself raises ValueError on the first wait if a descriptor passed FD_SETSIZE.)
    """
    if sockets < 0:
        raise ValueError("sockets must be >= 0")
    cls = _selector_class(selector)
    # Registered ends take the lowest free numbers, peers go at `base` and above.
    base = _highest_open_fd() + sockets + 1 + _SPARE_FDS
    opened: list[socket.socket] = []
    with _descriptors(base + sockets + 1 + _SPARE_FDS), contextlib.ExitStack() as stack:
        stack.callback(_close_all, opened)
        sel = cls()
        stack.callback(sel.close)
        for index in range(sockets + 1):
            mine, peer = socket.socketpair()
            opened.append(mine)
            try:
                moved = fcntl.fcntl(peer.fileno(), fcntl.F_DUPFD_CLOEXEC, base)
            finally:
                peer.close()  # frees its low number for the next registered end
            try:
                opened.append(socket.socket(fileno=moved))
            except OSError:
                os.close(moved)
                raise
            if index == sockets:  # the last pair: its registered end stays readable
                opened[-1].send(b"!")
            sel.register(mine, selectors.EVENT_READ)
        yield sel


def _close_all(opened: list[socket.socket]) -> None:
    for sock in opened:
        sock.close()


def measure(selector: str, sockets: int, *, waits: int = 200) -> WaitCost:
    """Time `waits` waits of `selector` with `sockets` idle sockets and one ready one registered.

    Args:
        selector: "select", "poll" or "epoll".
        sockets: idle sockets registered besides the ready one.
        waits: waits to time (after `WARMUP_WAITS` untimed ones), at least 1.

    Returns:
        The median and p10/p90 cost in microseconds; `wait_us=None` and a `note` if the selector
        refused (select() past FD_SETSIZE, a selector missing on this platform, too low a
        descriptor limit). Every socket and the selector are closed either way.

    Raises:
        ValueError: an unknown selector, sockets < 0 or waits < 1.
        RuntimeError: a wait did not return exactly the ready socket (the probe is broken).
    """
    if waits < 1:
        raise ValueError("waits must be >= 1")
    try:
        with registered(selector, sockets) as sel:
            try:
                for _ in range(WARMUP_WAITS):
                    sel.select(0)
            except ValueError:
                if selector != "select":
                    raise
                return WaitCost(selector, sockets, None, None, None, 0, _SELECT_NOTE)
            samples = _timed_waits(sel, waits)
    except RefusedError as refused:
        return WaitCost(selector, sockets, None, None, None, 0, str(refused))
    return _summary(selector, sockets, samples)


def _timed_waits(sel: selectors.BaseSelector, waits: int) -> list[int]:
    clock = time.perf_counter_ns
    wait = sel.select
    samples = []
    for _ in range(waits):
        start = clock()
        ready = wait(0)
        samples.append(clock() - start)
        if len(ready) != 1:  # checked outside the timed span
            raise RuntimeError(f"a wait returned {len(ready)} ready sockets instead of 1")
    return samples


def _summary(selector: str, sockets: int, samples_ns: list[int]) -> WaitCost:
    us = [ns / 1000 for ns in samples_ns]
    if len(us) == 1:
        p10 = p90 = us[0]
    else:
        deciles = statistics.quantiles(us, n=10, method="inclusive")
        p10, p90 = deciles[0], deciles[-1]
    return WaitCost(selector, sockets, statistics.median(us), p10, p90, len(us), "")


def sweep(
    selectors: Sequence[str] = SELECTORS,
    sockets: Sequence[int] = (10, 100, 1000, 4000),
    waits: int = 200,
    repetitions: int = 1,
) -> list[WaitCost]:
    """`measure` every selector at every count, `repetitions` times, interleaved.

    The order is count by count, every selector at each (select, poll, epoll at 10, then at 100,
    ...), and the whole again per repetition: slow drift of a shared machine then spreads over all
    selectors instead of landing on one. Results come back in that order, one per measurement.
    """
    return [
        measure(kind, count, waits=waits)
        for _ in range(repetitions)
        for count in sockets
        for kind in selectors
    ]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(costs: Sequence[WaitCost]) -> str:
    """The costs as a fixed-width text table, one line each, sorted by count then selector."""
    order = {kind: i for i, kind in enumerate(SELECTORS)}
    rows = sorted(costs, key=lambda c: (c.sockets, order.get(c.selector, len(order))))
    lines = [
        f"{'selector':<8} {'sockets':>7} {'median us':>10} {'p10 us':>8} {'p90 us':>8} "
        f"{'waits':>6}  note"
    ]
    lines += [
        f"{c.selector:<8} {c.sockets:>7} {_fmt(c.wait_us):>10} {_fmt(c.p10_us):>8} "
        f"{_fmt(c.p90_us):>8} {c.waits:>6}  {c.note}".rstrip()
        for c in rows
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run a sweep and print its table."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.selector_wait",
        description="Cost of one selector wait (one socket ready) vs idle sockets registered.",
    )
    parser.add_argument("--selectors", nargs="+", choices=SELECTORS, default=list(SELECTORS))
    parser.add_argument(
        "--sockets", nargs="+", type=int, default=[10, 100, 1000, 4000], metavar="N"
    )
    parser.add_argument("--waits", type=int, default=200, help="timed waits per measurement")
    parser.add_argument("--repetitions", type=int, default=1, help="interleaved passes")
    args = parser.parse_args(argv)
    costs = sweep(args.selectors, args.sockets, args.waits, args.repetitions)
    print("one wait = selectors.<Kind>Selector.select(timeout=0), one socket ready")
    print(table(costs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
