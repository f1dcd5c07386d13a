# The notebooks' helper against real servers on loopback: that every server it starts is gone
# when its `with` ends (the way out the notebooks rely on, also when a cell raises), and the
# shapes of what it returns. Rules of this file: short trials, no timing asserted, every socket
# counted in /proc before and after.
"""harness.lab: server lifetime, idle connections, bench, slow readers, wait costs, reference."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pandas as pd
import psutil
import pytest

from harness import lab

FD_DIR = "/proc/self/fd"


def open_fds() -> int:
    return len(os.listdir(FD_DIR))


def get_ping(srv: lab.Server) -> bytes:
    with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


def test_server_answers_and_is_gone_after_the_block() -> None:
    with lab.server("eventloop") as srv:
        assert psutil.pid_exists(srv.pid)
        assert get_ping(srv).endswith(b"PONG")
        assert srv.admin is not None
    assert not psutil.pid_exists(srv.pid)


def test_server_is_stopped_when_the_block_raises() -> None:
    pids = []

    def cell() -> None:
        with lab.server("threads") as srv:
            pids.append(srv.pid)
            raise RuntimeError("cell failed")

    with pytest.raises(RuntimeError, match="cell failed"):
        cell()
    assert len(pids) == 1
    assert not psutil.pid_exists(pids[0])


def test_server_options_are_serve_options() -> None:
    assert lab._options({"backpressure": False, "max_inflight": 32, "offload": "thread"}) == (
        ("backpressure", "off"),
        ("max_inflight", "32"),
        ("offload", "thread"),
    )


@pytest.mark.skipif(not os.path.isdir(FD_DIR), reason="counts descriptors in /proc")
def test_idle_connections_are_counted_and_closed() -> None:
    with lab.server("eventloop") as srv:
        before = open_fds()
        with lab.idle_connections(srv, 25) as n:
            assert n == 25
            assert open_fds() == before + 25
        assert open_fds() == before
        assert get_ping(srv).endswith(b"PONG")


def test_idle_connections_refuse_a_remote_host() -> None:
    remote = lab.Server("eventloop", "192.0.2.1", 80, None, 0)  # TEST-NET-1: never contacted
    with pytest.raises(ValueError, match="loopback"), lab.idle_connections(remote, 1):
        pass


def test_bench_returns_the_trial_row_and_its_tables() -> None:
    http = lab.bench("eventloop", connections=4, duration=1.0)
    assert len(http) == 1
    row = http.iloc[0]
    assert (row["impl"], row["protocol"], row["workload"]) == ("eventloop", "http", "ping")
    assert row["requests"] > 0, f"flags {row['flags']!r}, errors {row['error_kinds']!r}"
    assert set(http.attrs) == {"run_id", "manifest", "kinds", "timeseries", "histogram"}
    assert http.attrs["histogram"].get_total_count() > 0
    assert set(http.attrs["timeseries"]["source"]) == {"client", "server"}
    echo = lab.bench("eventloop", protocol="echo", connections=2, duration=0.5)
    assert (echo.iloc[0]["workload"], echo.iloc[0]["payload"]) == ("stream", 64)
    both = pd.concat([http, echo], ignore_index=True)  # attrs differ: dropped, not compared
    assert list(both["protocol"]) == ["http", "echo"]


def test_bench_refuses_an_inconsistent_load() -> None:
    with pytest.raises(ValueError, match="rate"):
        lab.bench(mode="open")


def test_slow_readers_give_the_server_time_series() -> None:
    series = lab.slow_readers("eventloop", backpressure=True, seconds=0.5)
    assert list(series.columns) == ["t", "rss_mib", "buffered_mib", "reading_paused"]
    assert series["rss_mib"].notna().any()
    assert series.attrs["trial"]["read_rate"] == 1 << 20


def test_wait_costs_shape() -> None:
    costs = lab.wait_costs(sockets=(0, 10), selectors=("poll", "epoll"), waits=3)
    assert list(costs.columns) == ["selector", "sockets", "wait_us", "p10_us", "p90_us", "note"]
    assert list(zip(costs["selector"], costs["sockets"], strict=True)) == [
        ("poll", 0),
        ("epoll", 0),
        ("poll", 10),
        ("epoll", 10),
    ]
    assert costs["wait_us"].notna().all()


def test_reference_of_a_missing_run_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-run"
    with pytest.raises(FileNotFoundError, match="no-run"):
        lab.reference(missing)
    monkeypatch.setenv("NETMODELS_RUN", str(missing))
    with pytest.raises(FileNotFoundError, match="no-run"):
        lab.reference()


def test_source_is_the_text_or_code() -> None:
    shown = lab.source(lab.source)
    text = shown if isinstance(shown, str) else shown.data
    assert text.startswith("def source(")
