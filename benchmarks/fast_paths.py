# What the protocol layer's two micro-optimisations (`impls/protocol/_fast.py`) gain, measured
# both ways side by side in one run: each plain class against the same class with the helper.
#
# Rules of this file: it measures and prints ratios; it asserts nothing and no test runs it.
"""Run `python benchmarks/fast_paths.py`: construction and dict-lookup timings, plain vs fast."""

from __future__ import annotations

import dataclasses
import enum
import statistics
import timeit
from collections.abc import Callable

from impls.protocol._fast import fast_init, identity_hash

ROUNDS = 7
NUMBER = 200_000


def plain_and_fast(cls: type) -> tuple[type, type]:
    """Two fresh copies of a dataclass: the generated __init__, and `fast_init`'s."""
    plain = dataclasses.dataclass(frozen=True, slots=True)(
        type(cls.__name__, (), {"__annotations__": dict(cls.__annotations__)})
    )
    fast = fast_init(
        dataclasses.dataclass(frozen=True, slots=True)(
            type(cls.__name__, (), {"__annotations__": dict(cls.__annotations__)})
        )
    )
    return plain, fast


def best(statement: Callable[[], object]) -> float:
    """The median of ROUNDS timings, in µs per call."""
    times = timeit.repeat(statement, number=NUMBER, repeat=ROUNDS)
    return statistics.median(times) / NUMBER * 1e6


def main() -> None:
    class Request:
        method: str
        target: str
        headers: tuple[tuple[bytes, bytes], ...]
        body: bytes
        http_version: str
        keep_alive: bool
        path: str
        query: str

    class Timer:
        token: int
        phase: object
        seconds: float

    args8 = ("GET", "/ping", (), b"", "1.1", True, "/ping", "")
    for name, cls, args in (
        ("Request (8 fields)", Request, args8),
        ("Timer (3 fields)", Timer, (1, None, 5.0)),
    ):
        plain, fast = plain_and_fast(cls)
        slow_us = best(lambda plain=plain, args=args: plain(*args))
        fast_us = best(lambda fast=fast, args=args: fast(*args))
        print(
            f"{name:20} generated __init__ {slow_us:.3f} µs, "
            f"fast_init {fast_us:.3f} µs: {fast_us / slow_us:.2f}x"
        )

    class Phase(enum.Enum):
        HEAD = "head"
        IDLE = "idle"

    table = {Phase.HEAD: 1.0, Phase.IDLE: 2.0}
    slow_us = best(lambda: table[Phase.IDLE])
    identity_hash(Phase)
    table = {Phase.HEAD: 1.0, Phase.IDLE: 2.0}
    fast_us = best(lambda: table[Phase.IDLE])
    print(
        f"{'Enum dict lookup':20} Enum.__hash__ {slow_us:.3f} µs, "
        f"identity_hash {fast_us:.3f} µs: {fast_us / slow_us:.2f}x"
    )


if __name__ == "__main__":
    main()
