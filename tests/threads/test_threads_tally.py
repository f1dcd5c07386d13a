"""`Tally`: admission at the connection and in-flight limits, and the statistics record."""

from __future__ import annotations

import socket

from impls.config import ServerConfig
from impls.threads.tally import Tally


class FakeLive:
    """A stand-in connection thread with a real (unconnected) socket."""

    def __init__(self, pending: int = 0) -> None:
        self.sock = socket.socket()
        self.pending = pending

    def join(self, timeout: float | None = None) -> None:
        pass


def test_connections_beyond_the_limit_are_closed_and_counted() -> None:
    tally = Tally(ServerConfig(max_connections=2))
    first, second, third = FakeLive(), FakeLive(), FakeLive()
    assert tally.open(first)
    assert tally.open(second)
    assert not tally.open(third)
    assert third.sock.fileno() == -1  # closed at once
    tally.close(first)
    assert first.sock.fileno() == -1
    stats = tally.snapshot(offload_pending=0)
    assert stats.connections_open == 1
    assert {reason: n for reason, n in stats.rejected.items() if n} == {"max_connections": 1}
    tally.close(second)
    assert tally.wait_until_closed(timeout=0)


def test_every_refusal_reason_is_reported_from_the_start() -> None:
    # docs/metrics.md, "Rejections": the threads impl's reasons, at 0 before any refusal.
    rejected = Tally(ServerConfig()).snapshot(offload_pending=0).rejected
    reasons = {"overload", "max_connections", "fd_limit", "send_timeout", "thread_limit"}
    assert rejected == dict.fromkeys(reasons, 0)


def test_closing_twice_counts_once() -> None:
    tally = Tally(ServerConfig())
    live = FakeLive()
    tally.open(live)
    tally.close(live)
    tally.close(live)
    assert tally.snapshot(offload_pending=0).connections_open == 0


def test_only_limited_requests_are_refused_at_max_inflight() -> None:
    tally = Tally(ServerConfig(max_inflight=1))
    assert tally.admit(limited=True)
    assert not tally.admit(limited=True)  # a second HTTP request: 503
    assert tally.admit(limited=False)  # an error answer or echo chunk is never refused
    stats = tally.snapshot(offload_pending=0)
    assert stats.inflight_requests == 2
    assert {reason: n for reason, n in stats.rejected.items() if n} == {"overload": 1}
    tally.finish(admitted=True, answered=True)
    tally.finish(admitted=True, answered=True)
    tally.finish(admitted=False, answered=True)  # the 503 itself
    stats = tally.snapshot(offload_pending=0)
    assert (stats.inflight_requests, stats.requests_total) == (0, 3)


def test_zero_max_inflight_means_unlimited() -> None:
    tally = Tally(ServerConfig(max_inflight=0))
    assert all(tally.admit(limited=True) for _ in range(100))


def test_snapshot_reports_queues_and_no_user_space_buffer() -> None:
    tally = Tally(ServerConfig())
    lives = [FakeLive(pending=2), FakeLive(pending=3)]
    for live in lives:
        tally.open(live)
    stats = tally.snapshot(offload_pending=4)
    assert stats.queue_depths == {"pipeline": 5, "offload": 4}
    assert stats.buffered_bytes_out == 0
    assert stats.reading_paused_connections == 0
    for live in lives:
        tally.close(live)


def test_the_last_close_calls_back_once_asked() -> None:
    tally = Tally(ServerConfig())
    calls: list[str] = []
    early = FakeLive()
    tally.open(early)
    tally.close(early)  # before anyone asked: nothing to call
    first, second = FakeLive(), FakeLive()
    tally.open(first)
    tally.open(second)
    tally.call_when_all_closed(lambda: calls.append("all closed"))
    tally.close(first)
    assert calls == [], "one is still open"
    tally.close(second)
    tally.close(second)  # closing twice is not a second last close
    assert calls == ["all closed"]


def test_asking_with_nothing_open_calls_back_at_once() -> None:
    calls: list[str] = []
    Tally(ServerConfig()).call_when_all_closed(lambda: calls.append("all closed"))
    assert calls == ["all closed"]
