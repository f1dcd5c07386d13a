# The driver's workloads beyond "N connections at full speed": idle connections held beside the
# measured ones, slow readers that let answers pile up in the server, and per-kind figures of a
# mixed workload - each against real servers on 127.0.0.1, every load short and bounded.
#
# Rules of this file: assertions are about counts and about one run relative to another, never
# about how fast this machine is; what a test waits for is the run itself (its fixed timeline),
# never a sleep standing in for an event (the one sleep here is the period of a gauge sampler).
"""Idle connections, slow readers and per-kind latency, over real loopback sockets."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path
from time import monotonic_ns
from typing import Any

import pytest
from _harness_servers import Behaviour, TestServer

from harness import options
from harness.bench import cell_from_args
from harness.cli import build_parser
from harness.driver import DriverPool, LoadResult
from harness.driver.slow import BURST_S
from harness.profile import Cell, Workload
from harness.runner import ServerProcess, metrics
from tests.conformance._client import wait_until

REPO = Path(__file__).resolve().parents[2]
KIB = 1024
WRITE_HIGH_WATER = 256 * KIB
"""The servers' default `write_high_water` (impls/config.py): where back-pressure stops reading."""

MAX_READ = 256 * KIB
"""The most one read of the event loop hands a protocol (uvloop's read buffer)."""

SCRAPE_EVERY = 0.1
"""Seconds between two scrapes of a server's gauges while a slow-reader run goes on."""


def cell(**changes: Any) -> Cell:
    base: dict[str, Any] = {"impl": "test", "connections": 4, "duration": 0.5, "warmup": 0.2}
    base.update(changes)
    return Cell(**base)


class PeakSet(set[Any]):
    """The test server's set of open transports, remembering how large it ever was."""

    peak = 0

    def add(self, item: Any) -> None:
        super().add(item)
        self.peak = max(self.peak, len(self))


def gauge_peak(load: Cell, gauge: str) -> tuple[float, LoadResult]:
    """Run `load` against a fresh `netmodels serve`; the peak of one of its admin gauges over
    the measurement, scraped from this thread (the trial's sampler runs in the SCHED_IDLE class,
    and a busy machine can starve it of every sample), and what the driver measured."""
    peak = 0.0
    with ServerProcess(load.impl, load.protocol, load.options) as server:
        address = server.start()
        assert address.admin is not None
        with DriverPool(load, address.host, address.port, procs=2, drain=0.5) as pool:
            pool.start()
            times = pool.go()
            while monotonic_ns() < times.end:
                if monotonic_ns() >= times.measure:
                    peak = max(peak, metrics.scrape(address.admin).get(gauge, 0.0))
                time.sleep(SCRAPE_EVERY)  # a sampling period, not a wait for an event
            return peak, pool.collect()


# -- idle connections -------------------------------------------------------------------------


def test_idle_connections_are_held_beside_the_measured_ones() -> None:
    """301 idle connections over 2 processes (151 + 150): all held, all silent, then closed.

    The server accepts from its backlog at its own pace, slower on a busy machine; the run
    starts once it holds every connection the driver opened, so the peak below is what the
    driver held, not how fast this server's thread got to accept().
    """
    with TestServer(Behaviour()) as server:
        server.transports = open_now = PeakSet()
        with DriverPool(cell(idle_connections=301), server.host, server.port, procs=2) as pool:
            pool.start()
            wait_until(lambda: len(open_now) == 4 + 301, what="the server to accept them all")
            pool.go()
            result = pool.collect()
    assert result.idle_open == 301
    assert result.idle_errors == {}
    assert open_now.peak == 4 + 301
    assert result.sent_total == result.ok_total == server.answered  # the idle ones sent nothing
    assert result.error_count == 0
    assert "idle_refused" not in result.flags
    assert result.kinds == {}  # one kind: the totals say it all


def test_no_idle_connections_asked_is_none_not_zero() -> None:
    with TestServer(Behaviour()) as server:
        result = DriverPool(cell(), server.host, server.port).run()
    assert result.idle_open is None
    assert result.idle_errors == {}


def test_idle_connections_show_in_the_servers_own_gauge() -> None:
    """eventloop's `connections_open` gauge counts the idle connections during the run."""
    load = cell(impl="eventloop", idle_connections=200, duration=1.0)
    peak, result = gauge_peak(load, "connections_open")
    assert result.idle_open == 200
    assert peak == 4 + 200


def test_idle_connections_the_server_closes_are_counted_not_hidden() -> None:
    """A server that takes 9 connections: 4 measured, 5 idle held, 15 closed at accept."""
    with ServerProcess("eventloop", "http", (("max_connections", "9"),)) as server:
        address = server.start()
        result = DriverPool(
            cell(impl="eventloop", idle_connections=20), address.host, address.port
        ).run()
    assert result.idle_open == 5
    assert result.idle_errors == {"idle_closed": 15}
    assert "idle_refused" in result.flags
    assert result.error_count == 0  # the measured connections were not touched


def test_too_few_descriptors_for_the_idle_connections_fail_before_the_run(tmp_path: Path) -> None:
    """Under a hard limit of 256 open files, 4 + 1000 connections are refused up front, saying
    how many are needed (the limit is lowered in a child process, not in the tests' own)."""
    script = tmp_path / "low_limit.py"
    script.write_text(
        textwrap.dedent(
            """
            import resource

            from harness.driver import DriverError, DriverPool
            from harness.profile import Cell

            if __name__ == "__main__":
                resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
                load = Cell(impl="test", connections=4, idle_connections=1000, duration=0.5)
                try:
                    DriverPool(load, "127.0.0.1", 9).run()
                except DriverError as exc:
                    print(exc)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "4 connections and 1000 idle connections need about 1068 open files" in done.stdout
    assert "may open 256" in done.stdout


# -- slow readers -----------------------------------------------------------------------------


def received_at_most(load: Cell) -> float:
    """What `load`'s readers can take in its measurement: their rate, a saved-up burst and
    one read each - an upper bound whatever the machine's speed."""
    per_connection = load.read_rate * (load.duration + BURST_S) + MAX_READ
    return load.connections * per_connection


def test_slow_readers_pile_up_in_the_server_unless_it_pushes_back() -> None:
    """The same slow readers against eventloop with back-pressure on and off: on, the server's
    buffered output stays near its high-water mark; off, it grows past it."""
    load = cell(
        impl="eventloop", connections=2, pipeline=16, read_rate=64 * KIB, duration=2.0, warmup=0.5
    )
    peaks = {}
    for backpressure in ("true", "false"):
        changed = replace(load, options=(("backpressure", backpressure),))
        peak, result = gauge_peak(changed, "buffered_bytes:out")
        assert result.bytes_in <= received_at_most(load)
        assert result.ok_total > 0  # answers are still read, verified and counted
        assert set(result.errors) <= {"unread"}  # still in the server at the end: not failures
        assert "errors" not in result.flags
        peaks[backpressure] = peak
    assert 0 < peaks["true"] < 4 * WRITE_HIGH_WATER
    assert peaks["false"] > 4 * WRITE_HIGH_WATER
    assert peaks["false"] > peaks["true"]


def test_slow_echo_readers_verify_the_stream() -> None:
    """TCP echo at 32 KiB/s per connection: messages still verified byte for byte."""
    load = cell(
        protocol="echo",
        workload=Workload.parse("stream"),
        payload=1000,
        connections=2,
        read_rate=32 * KIB,
        duration=1.0,
    )
    with TestServer(Behaviour(echo=True)) as server:
        result = DriverPool(load, server.host, server.port, drain=0.2).run()
    assert result.ok_total > 0
    assert set(result.errors) <= {"unread"}
    assert result.bytes_in <= received_at_most(load)


# -- mixed workloads --------------------------------------------------------------------------


def assert_kinds_add_up(result: LoadResult) -> None:
    assert sum(k.requests for k in result.kinds.values()) == result.requests
    assert sum(k.errors for k in result.kinds.values()) == result.error_count
    for kind in result.kinds.values():
        assert kind.histogram.get_total_count() == kind.requests


def test_mixed_workload_has_figures_per_kind() -> None:
    """ping@90+delay:5@10: two kinds adding up to the totals; /delay sleeps 5 ms, so its p50
    is at least 5 ms (a property of the route, not of this machine)."""
    load = cell(impl="eventloop", workload=Workload.parse("ping@90+delay:5@10"), duration=1.0)
    with ServerProcess("eventloop", "http") as server:
        address = server.start()
        result = DriverPool(load, address.host, address.port, procs=2).run()
    assert set(result.kinds) == {"ping", "delay:5"}
    assert result.error_count == 0
    assert_kinds_add_up(result)
    assert result.kinds["delay:5"].requests > 0
    assert result.kinds["delay:5"].histogram.get_value_at_percentile(50) >= 5000


def test_mixed_workload_counts_errors_per_kind() -> None:
    """Every answer a 500: each kind's failures are its own, and add up to the total."""
    load = cell(workload=Workload.parse("ping@50+work:1@50"))
    with TestServer(Behaviour(status=500)) as server:
        result = DriverPool(load, server.host, server.port, procs=2).run()
    assert result.requests == 0
    assert result.error_count > 0
    assert set(result.kinds) == {"ping", "work:1"}
    assert all(k.errors > 0 for k in result.kinds.values())
    assert_kinds_add_up(result)


# -- bench options ----------------------------------------------------------------------------


def bench_args(*argv: str) -> Any:
    return build_parser().parse_args(["bench", *argv])


def test_bench_options_reach_the_cell() -> None:
    args = bench_args("--idle-connections", "500", "--read-rate", "1MiB", "--experiment", "E4")
    load = cell_from_args(args)
    assert (load.idle_connections, load.read_rate, load.experiment) == (500, 1 << 20, "E4")


@pytest.mark.parametrize(
    ("text", "value"),
    [("65536", 65536), ("64KiB", 65536), ("1MiB", 1 << 20), ("2MB", 2_000_000), ("1kB/s", 1000)],
)
def test_read_rates_take_units(text: str, value: int) -> None:
    assert options.byte_rate(text) == value


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--idle-connections", "-1"], "--idle-connections"),
        (["--read-rate", "-5"], "--read-rate"),
        (["--read-rate", "fast"], "--read-rate"),
        (["--read-rate", "1MiB", "--mode", "open", "--rate", "100"], "--read-rate"),
    ],
)
def test_bad_bench_options_name_the_option(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises((SystemExit, ValueError)) as caught:
        cell_from_args(bench_args(*argv))
    message = capsys.readouterr().err if caught.type is SystemExit else str(caught.value)
    assert named in message
