# Profiles are data: parsing, validation, expansion into cells, and the interleaved schedule.
"""Tests of harness.profile and the sweep schedule."""

from __future__ import annotations

import pytest

from harness import profile
from harness.profile import Cell, Workload
from harness.sweep import schedule

REGISTERED = ["a", "b", "c"]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("ping", "ping"),
        ("delay:10", "delay:10"),
        ("ping@95+work:1@5", "ping@95+work:1@5"),
        ("ping @ 95 + work:1 @ 5", "ping@95+work:1@5"),
        ("stream", "stream"),
    ],
)
def test_workload_round_trips(text: str, canonical: str) -> None:
    assert str(Workload.parse(text)) == canonical


@pytest.mark.parametrize("text", ["pong", "delay", "ping:3", "work:x", "ping@0", "stream+ping"])
def test_bad_workloads_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"workload|weight|argument|mixed"):
        Workload.parse(text)


def test_cells_must_make_sense() -> None:
    with pytest.raises(ValueError, match="echo protocol"):
        Cell("a", protocol="echo", payload=10)
    with pytest.raises(ValueError, match="rate"):
        Cell("a", mode="open")


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ({"driver": "ab"}, "unknown driver 'ab'"),
        ({"driver": "locust:0"}, "unknown driver 'locust:0'"),
        ({"driver": "wrk", "workload": Workload.parse("echo")}, "GET /ping only"),
        ({"driver": "wrk", "protocol": "echo", "workload": Workload.parse("stream")}, "ping only"),
        ({"driver": "locust:2", "pipeline": 4}, "closed loop, pipeline 1"),
        ({"driver": "locust:1", "mode": "open", "rate": 10.0}, "closed loop, pipeline 1"),
    ],
)
def test_other_drivers_run_what_they_can(cell: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Cell("a", payload=64, **cell)  # type: ignore[arg-type]


def test_drivers_expand_into_cells_of_their_own() -> None:
    matrix = {"drivers": ["netmodels", "wrk", "locust:1", "locust:2"], "experiment": "E10"}
    p = profile.from_dict(sample(matrix=[matrix], repetitions=1), ["a"])
    cells = p.cells()
    assert [c.driver for c in cells] == ["netmodels", "wrk", "locust:1", "locust:2"]
    assert [(c.driver_name, c.driver_workers) for c in cells[2:]] == [("locust", 1), ("locust", 2)]
    assert cells[3].label == "a http ping closed c64 via locust:2"
    assert len({t.trial_id for t in schedule(p)}) == 4


def sample(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "t",
        "duration": 1.0,
        "warmup": 0.0,
        "repetitions": 2,
        "impls": ["*"],
        "matrix": [
            {"protocols": ["http"], "workloads": ["ping"], "connections": [1, 8]},
            {"protocols": ["http"], "modes": ["open"], "rate_fractions": [0.5]},
            {"protocols": ["echo"], "payloads": [64]},
        ],
    }
    data.update(changes)
    return data


def test_star_expands_to_every_registered_impl() -> None:
    p = profile.from_dict(sample(), REGISTERED)
    assert [i.name for i in p.impls] == REGISTERED
    assert {c.impl for c in p.cells()} == set(REGISTERED)
    assert {c.protocol for c in p.cells()} == {"http", "echo"}


def test_capacity_cells_cover_each_group_with_fractions_once() -> None:
    p = profile.from_dict(sample(), REGISTERED)
    capacity = p.capacity_cells()
    assert [c.impl for c in capacity] == REGISTERED
    assert all(c.mode == "closed" and c.role == "capacity" for c in capacity)
    assert all(c.rate_fraction is None for c in capacity)


def test_schedule_interleaves_repetitions() -> None:
    """A B C A B C, not A A B B C C: capacity first, then one pass per repetition."""
    p = profile.from_dict(sample(), REGISTERED)
    trials = schedule(p)
    cells = p.cells()
    assert [t.trial_id for t in trials] == [f"{n:04d}" for n in range(1, len(trials) + 1)]
    measured = [t for t in trials if t.cell.role == "measure"]
    assert [t.cell for t in measured] == cells + cells
    assert [t.repetition for t in measured] == [1] * len(cells) + [2] * len(cells)
    assert all(t.cell.role == "capacity" for t in trials[: len(REGISTERED)])


def test_unknown_names_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown impl"):
        profile.from_dict(sample(impls=["zzz"]), REGISTERED)
    with pytest.raises(ValueError, match="unknown matrix keys"):
        profile.from_dict(sample(matrix=[{"conections": [1]}]), REGISTERED)
    with pytest.raises(ValueError, match="unknown keys"):
        profile.from_dict(sample(durations=1), REGISTERED)


def test_impl_options_are_kept_sorted() -> None:
    data = sample(impls=[{"name": "a", "options": {"workers": 4, "offload": "thread"}}])
    (choice,) = profile.from_dict(data, REGISTERED).impls
    assert choice.options == (("offload", "thread"), ("workers", "4"))


@pytest.mark.parametrize("name", ["quick", "lecture", "full"])
def test_bundled_profiles_load(name: str) -> None:
    from harness.targets import TARGETS
    from impls.registry import IMPLS

    p = profile.load(name, list(IMPLS), list(TARGETS))
    assert {i.name for i in p.impls} == set(IMPLS)
    assert {c.protocol for c in p.cells()} == {"http", "echo"}
