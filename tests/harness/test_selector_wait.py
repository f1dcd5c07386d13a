# The selector probe's structure, not its figures: performance is measured in benchmarks (and by
# `python -m harness.selector_wait`), never asserted here. Rules of this file: no timing bounds,
# few waits (the results are shape-checked only), and every test that opens sockets checks that
# the process holds no more descriptors afterwards than before.
"""harness.selector_wait: every selector measures, select refuses past FD_SETSIZE, no fd leaks."""

from __future__ import annotations

import ast
import os
import selectors
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import selector_wait
from harness.selector_wait import SELECTORS, WaitCost, measure, registered, sweep

FD_DIR = "/proc/self/fd"
pytestmark = pytest.mark.skipif(not os.path.isdir(FD_DIR), reason="counts descriptors in /proc")

PAST_FD_SETSIZE = 1100
"""Idle sockets enough that registered descriptor numbers pass 1024 (FD_SETSIZE)."""


def open_fds() -> int:
    return len(os.listdir(FD_DIR))


@pytest.fixture
def no_fd_leak() -> Iterator[None]:
    before = open_fds()
    yield
    assert open_fds() == before, "the probe left descriptors open"


@pytest.mark.usefixtures("no_fd_leak")
@pytest.mark.parametrize("kind", SELECTORS)
@pytest.mark.parametrize("sockets", [0, 10, 100])
def test_every_selector_measures_at_small_counts(kind: str, sockets: int) -> None:
    cost = measure(kind, sockets, waits=7)
    assert (cost.selector, cost.sockets, cost.waits, cost.note) == (kind, sockets, 7, "")
    assert cost.wait_us is not None
    assert cost.p10_us is not None
    assert cost.p90_us is not None
    assert 0 < cost.p10_us <= cost.wait_us <= cost.p90_us


@pytest.mark.usefixtures("no_fd_leak")
def test_select_past_fd_setsize_is_refused_with_the_reason() -> None:
    cost = measure("select", PAST_FD_SETSIZE, waits=3)
    assert cost == WaitCost(
        "select",
        PAST_FD_SETSIZE,
        None,
        None,
        None,
        0,
        "select() takes only descriptors below FD_SETSIZE (1024)",
    )


@pytest.mark.usefixtures("no_fd_leak")
@pytest.mark.parametrize("kind", ["poll", "epoll"])
def test_poll_and_epoll_take_what_select_refuses(kind: str) -> None:
    cost = measure(kind, PAST_FD_SETSIZE, waits=3)
    assert cost.wait_us is not None
    assert (cost.waits, cost.note) == (3, "")


@pytest.mark.usefixtures("no_fd_leak")
def test_registered_yields_exactly_one_ready_socket() -> None:
    with registered("poll", 20) as sel:
        assert len(sel.get_map()) == 21
        assert [events for _, events in sel.select(0)] == [selectors.EVENT_READ]
        assert len(sel.select(0)) == 1, "the ready byte is never read, so it stays ready"


@pytest.mark.usefixtures("no_fd_leak")
def test_select_takes_as_many_sockets_as_fit_below_fd_setsize() -> None:
    """The peers' descriptors are moved above the registered ones, so select() takes about as
    many sockets as in a server (~1,020 less what the process has open), not half of that."""
    already_open = len(os.listdir("/proc/self/fd"))
    fit = 1024 - already_open - 8  # the selector's own descriptor and a margin
    assert fit > 900
    with registered("select", fit) as sel:
        assert len(sel.select(0)) == 1


@pytest.mark.usefixtures("no_fd_leak")
def test_sockets_are_closed_when_the_body_raises() -> None:
    with pytest.raises(RuntimeError, match="inside"), registered("epoll", 10):
        raise RuntimeError("inside")


def test_unknown_selector_and_bad_arguments_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown selector"):
        measure("kqueue-ish", 1)
    with pytest.raises(ValueError, match="waits"):
        measure("poll", 1, waits=0)
    with pytest.raises(ValueError, match="sockets"):
        measure("poll", -1)


@pytest.mark.usefixtures("no_fd_leak")
def test_sweep_runs_interleaved_count_by_count() -> None:
    costs = sweep(sockets=(1, 2), waits=2, repetitions=2)
    assert [(c.selector, c.sockets) for c in costs] == [
        (kind, count) for _ in range(2) for count in (1, 2) for kind in SELECTORS
    ]
    assert all(c.waits == 2 for c in costs)


@pytest.mark.usefixtures("no_fd_leak")
def test_main_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert selector_wait.main(["--sockets", "3", "--waits", "2"]) == 0
    out = capsys.readouterr().out
    assert all(kind in out for kind in SELECTORS)


def test_it_imports_no_harness_module() -> None:
    """A standalone probe, standard library only (tests/harness/test_harness_layers.py places it
    in layer 0; this says more: it imports no harness or impls module at all)."""
    tree = ast.parse(Path(selector_wait.__file__).read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import"
            names.add(node.module or "")
    assert not {name for name in names if name.split(".")[0] in {"harness", "impls"}}
