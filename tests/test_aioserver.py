"""`impls.aioserver`: the loop follows `--loop` and `--selector`; `Connections` admits up to
`max_connections`, refuses once stopping, and reports the last one out."""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

import pytest

from impls.aioserver import Connections, new_loop
from impls.config import ServerConfig
from impls.stats import Counters


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("epoll", selectors.EpollSelector),
        ("poll", selectors.PollSelector),
        ("select", selectors.SelectSelector),
    ],
)
def test_the_stock_loop_runs_on_the_selector_asked_for(name: str, kind: type) -> None:
    loop = new_loop(ServerConfig(impl="function").replace(loop="asyncio", selector=name))
    try:
        assert isinstance(loop, asyncio.SelectorEventLoop)
        assert isinstance(loop._selector, kind)  # type: ignore[attr-defined]
    finally:
        loop.close()


def test_uvloop_when_asked() -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = new_loop(ServerConfig(impl="function").replace(loop="uvloop"))
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_admission_stopping_and_the_last_one_out() -> None:
    gone: list[str] = []
    counters = Counters(("max_connections",))
    loop = asyncio.new_event_loop()
    try:
        config = ServerConfig(impl="function").replace(max_connections=2)
        connections: Connections[Any] = Connections(
            config, counters, loop, on_last_gone=lambda: gone.append("last")
        )
        first, second, third = object(), object(), object()
        assert connections.admit(first)
        assert connections.admit(second)
        assert not connections.admit(third)  # beyond max_connections
        assert counters.rejected["max_connections"] == 1
        assert counters.connections_open == 2
        assert set(connections) == {first, second}
        connections.forget(first)
        assert gone == []  # not stopping: nobody waits for the last one
        connections.stopping = True
        assert not connections.admit(third)  # stopping: nobody new
        assert counters.rejected["max_connections"] == 2
        connections.forget(second)
        assert gone == ["last"]
        assert counters.connections_open == 0
        assert len(connections) == 0
    finally:
        loop.close()


def test_both_asyncio_impls_make_their_loop_here() -> None:
    from impls.eventloop.callbacks import loop as callbacks
    from impls.function import server as function

    assert callbacks.new_loop is new_loop
    assert function.new_loop is new_loop
