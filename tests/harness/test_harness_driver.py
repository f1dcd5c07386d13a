# The driver against servers of known behaviour: exact counts, verification of every answer,
# and the coordinated-omission demonstration (open loop sees a stall that closed loop hides).
"""Driver tests over real loopback sockets."""

from __future__ import annotations

import pytest
from _harness_servers import Behaviour, TestServer

from harness.driver import DriverPool
from harness.profile import Cell, Workload


def cell(**changes: object) -> Cell:
    base: dict[str, object] = {
        "impl": "test",
        "connections": 4,
        "duration": 1.0,
        "warmup": 0.5,
    }
    base.update(changes)
    return Cell(**base)  # type: ignore[arg-type]


def test_open_loop_sends_exactly_the_schedule() -> None:
    """200 req/s for 2 s after 0.5 s warm-up, split over 2 processes: exactly 400 measured."""
    with TestServer(Behaviour()) as server:
        load = cell(mode="open", rate=200.0, duration=2.0, connections=4)
        result = DriverPool(load, server.host, server.port, procs=2).run()
    assert result.procs == 2
    assert result.scheduled == result.sent == 400
    assert result.requests == 400
    assert result.warmup_sent == 100
    assert result.sent_total == result.ok_total == server.answered == 500
    assert result.error_count == 0
    assert sum(w.ok for w in result.windows) == 400
    assert result.histogram.get_total_count() == 400
    assert result.achieved_rate == 1.0


def test_poisson_arrivals_are_all_sent_and_counted() -> None:
    """A Poisson schedule offers a random (seeded) count; every scheduled request is sent."""
    with TestServer(Behaviour()) as server:
        load = cell(mode="open", rate=300.0, arrivals="poisson", duration=1.0, connections=4)
        result = DriverPool(load, server.host, server.port, procs=2, seed=7).run()
    assert result.scheduled == result.sent == result.requests
    assert 200 < result.scheduled < 400  # 300 expected; 6 standard deviations either side
    assert result.achieved_rate == 1.0
    assert result.sent_total == result.ok_total == server.answered


def test_closed_loop_counts_every_answer() -> None:
    """Closed loop, pipelined: every request sent is answered and counted exactly once."""
    with TestServer(Behaviour()) as server:
        result = DriverPool(
            cell(connections=6, pipeline=4), server.host, server.port, procs=2
        ).run()
    assert result.sent_total == result.ok_total == server.answered
    assert result.requests == sum(w.ok for w in result.windows) == result.sent
    assert result.histogram.get_total_count() == result.requests > 0
    assert result.unfinished == 0
    assert result.error_count == 0
    assert result.flags in ([], ["driver_bound"], ["contended"], ["driver_bound", "contended"])


@pytest.mark.parametrize(
    ("behaviour", "kind"),
    [
        (Behaviour(body=b"PANG"), "wrong_body"),
        (Behaviour(body=b"PONG!"), "wrong_length"),
        (Behaviour(status=500), "status_500"),
    ],
    ids=["body", "length", "status"],
)
def test_wrong_answers_are_errors_not_latencies(behaviour: Behaviour, kind: str) -> None:
    with TestServer(behaviour) as server:
        result = DriverPool(cell(duration=0.5, warmup=0.0), server.host, server.port).run()
    assert result.requests == 0
    assert result.histogram.get_total_count() == 0
    assert set(result.errors) == {kind}
    assert result.errors[kind] == result.sent > 0
    assert "errors" in result.flags


def test_echo_body_is_verified() -> None:
    """POST /echo answers must carry the request's body back."""
    with TestServer(Behaviour(body=b"x" * 100)) as server:
        load = cell(workload=Workload.parse("echo"), payload=100, duration=0.5, warmup=0.0)
        result = DriverPool(load, server.host, server.port).run()
    assert set(result.errors) == {"wrong_body"}


def test_tcp_echo_counts_messages() -> None:
    with TestServer(Behaviour(echo=True)) as server:
        load = cell(protocol="echo", workload=Workload.parse("stream"), payload=1000)
        result = DriverPool(load, server.host, server.port).run()
    assert result.error_count == 0
    assert result.sent_total == result.ok_total
    assert server.answered == result.ok_total * 1000


def test_tcp_echo_catches_a_corrupted_byte() -> None:
    with TestServer(Behaviour(echo=True, corrupt_echo=True)) as server:
        load = cell(protocol="echo", workload=Workload.parse("stream"), payload=1000)
        result = DriverPool(load, server.host, server.port, drain=0.5).run()
    assert result.requests == 0
    assert result.errors.get("wrong_body", 0) > 0


STALL_S = 0.2
"""The demonstration server stops for this long once a second.

Why not 100 ms: with a stall of S once a second, the open-loop latencies it causes spread evenly
from S down to 0, so 1 % of all requests see at least S - 10 ms; p99 of a 100 ms stall is about
90 ms, never 100. With 200 ms, ~10 % of requests wait 100 ms or more, so p99 >= 100 ms holds with
room to spare while the closed loop, whose few connections are all the stall can delay, keeps
its p99 far below."""


def test_coordinated_omission_open_loop_sees_the_stall() -> None:
    """The same stalling server, measured both ways for 3 s (3 stalls each).

    Closed loop: each stall delays just one request per connection - a few among thousands - so
    p99 stays low: the stall is "omitted". Open loop at a constant rate: every request meant for
    the stall waits for it, timed from its intended send time, so p99 shows the stall.
    """
    behaviour = Behaviour(stall_every=1.0, stall_for=STALL_S)
    with TestServer(behaviour) as server:
        closed = DriverPool(cell(connections=4, duration=3.0), server.host, server.port).run()
    with TestServer(behaviour) as server:
        open_ = DriverPool(
            cell(mode="open", rate=500.0, connections=16, duration=3.0),
            server.host,
            server.port,
        ).run()
    assert closed.error_count == open_.error_count == 0
    open_p99 = open_.latency["p99"]
    closed_p99 = closed.latency["p99"]
    assert open_p99 >= 100_000, open_.latency
    assert closed_p99 < open_p99, (closed.latency, open_.latency)
    assert closed.latency["max"] >= 100_000  # the closed loop did meet the stall, just rarely
