# Micro-benchmarks of the function impl's Finagle-style stack: what the filters in front of the
# routes cost per request, on one in-memory GET /ping (no sockets, no codec).
#
# Rules of this file (it measures; it asserts only that every request was answered 200 PONG, so a
# run with --benchmark-disable, each body once, is a smoke test): the stacks are the ones
# impls/function/server.py assembles (`http_stack`), not copies, so a filter added there is
# measured here. The calls' coroutines are awaited on one uvloop loop (the server's default), and
# `loop.run_until_complete` runs a batch of CALLS_PER_ROUND awaited one after another - one
# run_until_complete per call would add the loop's own start/stop (a task, a future, a stop
# callback) to every call. Per request is the round's time / CALLS_PER_ROUND (in extra_info);
# a stack's overhead is its figure minus the bare service's.
# Run: `python -m pytest benchmarks/test_filters.py --benchmark-enable --benchmark-only`.
"""pytest-benchmark timings of the bare service vs the default and the full filter stack."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from impls.aioserver import new_loop
from impls.config import ServerConfig
from impls.function import ROUTES, Service
from impls.function.filters import OffloadFilter
from impls.function.server import http_stack
from impls.protocol import Request, Response
from impls.protocol.routes import PONG
from impls.stats import Counters

Benchmark = Any  # pytest-benchmark's fixture (its package ships no type hints)

CALLS_PER_ROUND = 100
"""Requests awaited one after another per run_until_complete."""

CONFIG = ServerConfig(impl="function")
FULL = CONFIG.replace(timeout_ms=1000, max_inflight=64, max_waiters=64)
"""The default config plus --timeout-ms and --max-inflight/--max-waiters: every server filter."""

PING = Request("GET", "/ping", ((b"host", b"localhost:8000"),), b"", "1.1", True, "/ping", "")


def bare() -> Service[Request, Response]:
    """The routes with what turns their `Work` into a response, and no filter of the stack's."""
    return OffloadFilter(None) >> ROUTES


def stack(config: ServerConfig) -> Service[Request, Response]:
    return http_stack(config, Counters(), None).service


STACKS: dict[str, Callable[[], Service[Request, Response]]] = {
    # the backend alone
    "bare": bare,
    # Stats >> Exception >> backend: what `serve --impl function` runs by default
    "default": lambda: stack(CONFIG),
    # Stats >> Exception >> Timeout >> ConcurrencyLimit >> backend
    "full": lambda: stack(FULL),
}


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = new_loop(CONFIG)
    yield event_loop
    event_loop.close()


@pytest.mark.parametrize("name", STACKS)
def test_stack(benchmark: Benchmark, loop: asyncio.AbstractEventLoop, name: str) -> None:
    """CALLS_PER_ROUND requests through the service, awaited in turn, per round."""
    service = STACKS[name]()

    async def calls() -> list[Response]:
        return [await service(PING) for _ in range(CALLS_PER_ROUND)]

    benchmark.extra_info["requests_per_round"] = CALLS_PER_ROUND
    replies = benchmark(lambda: loop.run_until_complete(calls()))
    assert len(replies) == CALLS_PER_ROUND
    assert all(reply is PONG for reply in replies), "every request answered 200 PONG"
    assert PONG.status == 200
    loop.run_until_complete(service.close())
