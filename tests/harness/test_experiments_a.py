# E1, E2, E3, E8, E9 and E10 from runs with known answers: the tables' columns, the findings'
# numbers and wording (who leads, by how much, "no measurable difference", "not compared", flags,
# a peer or driver that did not run), and the figures' artists (hollow markers, hatched bars,
# units on the axes).
#
# Rules of this file: every number a test asserts is stated in the test's run (or follows from
# it in one line of arithmetic in a comment); figures are built, inspected and never saved.
"""Tests of the E1, E2, E3, E8, E9 and E10 analyses, findings and figures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from _fake_runs import FakeRun, trial
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from harness.analysis import concurrency, drivers, efficiency, overload, parsers, peers
from harness.analysis.run import Run
from harness.plots import concurrency as concurrency_plot
from harness.plots import drivers as drivers_plot
from harness.plots import efficiency as efficiency_plot
from harness.plots import overload as overload_plot
from harness.plots import parsers as parsers_plot
from harness.plots import peers as peers_plot


def build(tmp_path: Path, rows: Iterable[tuple[dict[str, Any], list[float] | None]]) -> Run:
    """A run of the given trial columns (and latencies, us), ids T001, T002, ..."""
    fake = FakeRun(tmp_path)
    for n, (columns, latencies) in enumerate(rows, 1):
        fake.add(trial(f"T{n:03d}", **columns), latencies=latencies)
    return Run.load(fake.finish())


def reps(values: Iterable[float], **columns: Any) -> list[tuple[dict[str, Any], None]]:
    """One trial per value of `columns["value"]`'s column, repetitions 1, 2, 3, ..."""
    name = columns.pop("column")
    return [({**columns, name: v, "repetition": r}, None) for r, v in enumerate(values, start=1)]


def lines(fig: Figure) -> list[Line2D]:
    return [line for ax in fig.axes for line in ax.get_lines()]


def line(fig: Figure, gid: str) -> Line2D:
    found = [x for x in lines(fig) if x.get_gid() == gid]
    assert found, f"no line {gid!r} among {[x.get_gid() for x in lines(fig)]}"
    return found[0]


def labels(fig: Figure) -> str:
    return " | ".join(ax.get_xlabel() + " / " + ax.get_ylabel() for ax in fig.axes)


def has_artists(fig: Figure) -> bool:
    return any(ax.get_lines() or ax.patches for ax in fig.axes)


# --- E1 ------------------------------------------------------------------------------------


def e1_rows(actor: tuple[float, ...], *, threads_flag: str = "") -> list[Any]:
    rows: list[Any] = []
    for connections, scale in ((1, 0.1), (64, 1.0)):
        for impl, values in (
            ("eventloop", (19_800, 20_000, 20_200)),
            ("actor", actor),
            ("threads", (8_900, 9_000, 9_100)),
        ):
            rows += reps(
                [v * scale for v in values],
                column="rps",
                experiment="E1",
                impl=impl,
                connections=connections,
                p99_us=1000.0 * connections / scale / 20,
                flags=threads_flag if impl == "threads" and connections == 64 else "",
            )
    return rows


def test_e1_leader_ratio_actor_share_and_flags(tmp_path: Path) -> None:
    run = build(tmp_path, e1_rows((11_900, 12_000, 12_100), threads_flag="driver_bound"))
    table = concurrency.table(run)
    assert set(concurrency.COLUMNS) <= set(table.columns)
    assert len(table) == 6  # 3 servers x 2 connection counts
    assert table.attrs["manifest"] == run.manifest
    text = " ".join(concurrency.findings(table))
    # 20,000 / 9,000 = 2.22x at the highest concurrency
    assert "At 64 connections (http ping), eventloop leads with 20,000 req/s" in text
    assert "2.22x" in text
    assert "threads" in text
    # 12,000 / 20,000
    assert "actor reached 0.6x of eventloop's throughput at 64 connections" in text
    assert "threads at 64 connections (http ping) was flagged driver_bound" in text
    assert "lower bound" in text

    fig = concurrency_plot.figure(table)
    assert isinstance(fig, Figure)
    assert has_artists(fig)
    hollow = line(fig, "threads flagged")
    assert hollow.get_markerfacecolor() == "none"
    assert list(hollow.get_xdata()) == [64]
    assert line(fig, "eventloop clean").get_markerfacecolor() != "none"
    assert "(req/s)" in labels(fig)
    assert "(ms" in labels(fig)
    assert "connections" in labels(fig)


def test_e1_overlapping_intervals_are_no_measurable_difference(tmp_path: Path) -> None:
    run = build(tmp_path, e1_rows((19_900, 20_100, 20_300)))
    text = " ".join(concurrency.findings(concurrency.table(run)))
    assert "actor and eventloop show no measurable difference in throughput" in text
    assert "flagged" not in text


def test_e1_fewer_than_three_repetitions_are_not_compared(tmp_path: Path) -> None:
    rows = [r for r in e1_rows((11_900, 12_000, 12_100)) if r[0]["repetition"] < 3]
    text = " ".join(concurrency.findings(concurrency.table(build(tmp_path, rows))))
    assert "fewer than 3 repetitions: not compared" in text
    assert "leads" not in text


# --- E2 ------------------------------------------------------------------------------------


def e2_rows(actor: tuple[float, ...], *, flag: str = "") -> list[Any]:
    common = {"column": "server_cpu_us_per_req", "experiment": "E2", "mode": "open"}
    return [
        *reps((10.0, 11.0, 12.0), impl="eventloop", rate=5000.0, rps=5000.0, **common),
        *reps(actor, impl="actor", rate=5000.0, rps=5000.0, flags=flag, **common),
    ]


def test_e2_actor_against_eventloop(tmp_path: Path) -> None:
    table = efficiency.table(build(tmp_path, e2_rows((20.0, 21.0, 22.0), flag="contended")))
    assert set(efficiency.COLUMNS) <= set(table.columns)
    assert list(table["server"]) == ["eventloop", "actor"]  # cheapest first
    assert table["server_cpu_us_per_req"].tolist() == [11.0, 21.0]
    findings = efficiency.findings(table)
    text = " ".join(findings)
    assert 2 <= len(findings) <= 4
    # 21 / 11 = 1.91; the intervals (10-12 and 20-22) do not overlap
    assert "actor costs 1.91x eventloop's CPU per request" in text
    assert "do not overlap" in text
    assert "5,000 req/s offered" in text
    assert "actor was flagged contended" in text

    fig = efficiency_plot.figure(table)
    assert has_artists(fig)
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 1  # the actor's bar
    assert "(µs" in fig.axes[0].get_xlabel()


def test_e2_overlap_is_no_measurable_difference(tmp_path: Path) -> None:
    table = efficiency.table(build(tmp_path, e2_rows((10.5, 11.5, 12.5))))
    text = " ".join(efficiency.findings(table))
    assert "no measurable difference" in text
    assert "costs 1." not in text


# --- E3 ------------------------------------------------------------------------------------

CAPACITY = 1000.0


def e3_trial(
    fraction: float, latencies: list[float], *, cap: str = "", rps: float, p99: float, **extra: Any
) -> tuple[dict[str, Any], list[float]]:
    columns = {
        "experiment": "E3",
        "impl": "eventloop",
        "options": f"max_inflight={cap}" if cap else "",
        "mode": "open",
        "rate": CAPACITY * fraction,
        "rate_fraction": fraction,
        "duration_s": 1.0,
        "rps": rps,
        "p99_us": p99,
        "p50_us": sorted(latencies)[len(latencies) // 2],
        "achieved_rate": 1.0,
        **extra,
    }
    return columns, latencies


def e3_run(tmp_path: Path) -> Run:
    rejected = {"errors": 500, "error_kinds": json.dumps({"status_503": 500}), "flags": "errors"}
    return build(
        tmp_path,
        [
            # without admission control: p99 1 ms, then 20 ms (> 10 x 1 ms: the knee), then 50 ms
            e3_trial(0.5, [1000.0] * 500, rps=500, p99=1000),
            e3_trial(1.0, [2000.0] * 950 + [20_000.0] * 50, rps=1000, p99=20_000),
            e3_trial(1.5, [5000.0] * 300 + [50_000.0] * 400, rps=700, p99=50_000),
            # with max_inflight=64: p99 stays at 1-1.5 ms, the excess is rejected with 503s
            e3_trial(0.5, [1000.0] * 500, cap="64", rps=500, p99=1000),
            e3_trial(1.0, [1500.0] * 1000, cap="64", rps=1000, p99=1500),
            e3_trial(1.5, [1500.0] * 1000, cap="64", rps=1000, p99=1500, **rejected),
        ],
    )


def test_e3_knee_goodput_and_shedding(tmp_path: Path) -> None:
    run = e3_run(tmp_path)
    table = overload.table(run)
    assert set(overload.COLUMNS) <= set(table.columns)
    knees = table[table["knee"]]
    assert knees[["admission", "rate_fraction"]].values.tolist() == [["off", 1.0]]
    by = table.set_index(["admission", "rate_fraction"])
    # goodput within 10 ms over 1 s: 950 of the 1.0 trial, 300 of the 1.5 trial
    assert by.loc[("off", 1.0), "goodput_rps"] == 950
    assert by.loc[("off", 1.5), "goodput_rps"] == 300
    assert by.loc[("on", 1.5), "goodput_rps"] == 1000
    assert by.loc[("on", 1.5), "rejected_rps"] == 500
    # 503s are the shedding measured: their `errors` flag does not make the point hollow
    assert not by.loc[("on", 1.5), "flagged"]
    assert by.loc[("on", 1.5), "flags"] == "errors"
    # 700 answered of 1,500 offered, none rejected: lost in a queue
    assert by.loc[("off", 1.5), "hollow"]

    text = " ".join(overload.findings(table))
    assert "p99 exceeds 10x the p99 at the lowest load" in text
    assert "eventloop 1,000 req/s (1x capacity) without admission control" in text
    assert "none up to 1.5x capacity with max_inflight=64" in text
    assert "queues without admission control (goodput falls to 300 req/s, p99 50 ms)" in text
    assert "sheds with max_inflight=64 (goodput holds at 1,000 req/s, rejecting 500/s" in text
    assert "fewer than 3 repetitions: not compared" in text

    fig = overload_plot.figure(table)
    assert has_artists(fig)
    assert line(fig, "eventloop flagged").get_markerfacecolor() == "none"
    knee = line(fig, "eventloop off knee")
    assert list(knee.get_xdata()) == [1000]
    assert "(req/s)" in labels(fig)
    assert "(ms" in labels(fig)


def test_e3_goodput_follows_the_bound(tmp_path: Path) -> None:
    table = overload.table(e3_run(tmp_path), bound_us=60_000)
    by = table.set_index(["admission", "rate_fraction"])
    assert by.loc[("off", 1.5), "goodput_rps"] == 700
    assert "answers within 60 ms" in " ".join(overload.findings(table))


# --- E8 ------------------------------------------------------------------------------------


def test_e8_parser_ratio_range(tmp_path: Path) -> None:
    rows: list[Any] = []
    for impl, fast, ratio in (("eventloop", 22_000.0, 4.4), ("actor", 11_700.0, 3.9)):
        for parser, rps in (("httptools", fast), ("h11", fast / ratio)):
            rows += reps(
                (rps * 0.99, rps, rps * 1.01),
                column="rps",
                experiment="E8",
                impl=impl,
                options=f"parser={parser}",
                server_cpu_us_per_req=1e6 / rps,
                flags="driver_bound" if (impl, parser) == ("eventloop", "httptools") else "",
            )
    rows += reps(
        (9000.0,) * 3, column="rps", experiment="E8", impl="threads", options="parser=httptools"
    )
    table = parsers.table(build(tmp_path, rows))
    assert set(parsers.COLUMNS) <= set(table.columns)
    assert list(table["server"]) == ["eventloop", "actor", "threads"]
    assert table["rps_ratio"].round(2).tolist()[:2] == [4.4, 3.9]
    text = " ".join(parsers.findings(table))
    assert "moves throughput 3.9x (actor) to 4.4x (eventloop)" in text
    assert "every ratio's interval excludes 1" in text
    assert "Measured with one parser only: threads (httptools)" in text
    assert "eventloop with httptools was flagged driver_bound" in text

    fig = parsers_plot.figure(table)
    assert has_artists(fig)
    throughput = fig.axes[0]
    assert len(throughput.patches) == 5  # 2 + 2 + 1 bars
    assert sum(1 for p in throughput.patches if p.get_hatch()) == 1
    assert "(req/s)" in throughput.get_ylabel()
    assert "(µs)" in fig.axes[1].get_ylabel()


# --- E9 ------------------------------------------------------------------------------------


def test_e9_fractions_of_bare_and_a_peer_that_did_not_run(tmp_path: Path) -> None:
    rows: list[Any] = []
    for impl, rps in (("bare", 40_000.0), ("eventloop", 20_000.0), ("uvicorn", 16_000.0)):
        rows += reps((rps * 0.99, rps, rps * 1.01), column="rps", experiment="E9", impl=impl)
    reason = "nginx not installed (apt-get install nginx-light)"
    rows += reps(
        (0.0, 0.0, 0.0),
        column="rps",
        experiment="E9",
        impl="nginx",
        flags="failed",
        requests=0,
        error_kinds=json.dumps({"failed": reason}),
    )
    table = peers.table(build(tmp_path, rows))
    assert set(peers.COLUMNS) <= set(table.columns)
    assert list(table["server"]) == ["bare", "eventloop", "uvicorn", "nginx"]
    nginx = table.set_index("server").loc["nginx"]
    assert nginx["missing"] == reason
    assert nginx["n"] == 0
    text = " ".join(peers.findings(table))
    # 20,000 / 40,000
    assert "bare (uvloop + httptools, the limit for Python here) served 40,000 req/s" in text
    assert "reach 0.5x (eventloop) of it" in text
    # 16,000 / 40,000; slower than eventloop, intervals apart
    assert "uvicorn (0.4x of bare) is slower than eventloop" in text
    assert f"Did not run here: nginx: {reason}" in text

    fig = peers_plot.figure(table)
    assert has_artists(fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("did not run: nginx not installed" in t for t in texts)
    assert "(req/s" in fig.axes[0].get_xlabel()


# --- E10 -----------------------------------------------------------------------------------


def test_e10_drivers_req_s_and_cpu_per_request(tmp_path: Path) -> None:
    rows: list[Any] = []
    # driver, procs, req/s, busiest process's CPU share
    for driver, procs, rps, cpu, flags in (
        ("netmodels", 1, 40_000.0, 0.8, ""),
        ("locust", 1, 2_000.0, 0.95, "driver_bound"),
        ("locust", 2, 1_800.0, 0.5, ""),
    ):
        for r, factor in enumerate((0.99, 1.0, 1.01), start=1):
            rows.append(
                (
                    {
                        "experiment": "E10",
                        "impl": "bare",
                        "driver": driver,
                        "driver_procs": procs,
                        "rps": rps * factor,
                        "driver_cpu": cpu,
                        "flags": flags,
                        "repetition": r,
                    },
                    None,
                )
            )
    rows += reps(
        (0.0,),
        column="rps",
        experiment="E10",
        impl="bare",
        driver="wrk",
        flags="failed",
        requests=0,
        error_kinds=json.dumps({"failed": "wrk is not on PATH (Debian: apt-get install wrk)"}),
    )
    run = build(tmp_path, rows)
    run.manifest["pinning"] = {"server": [0], "driver": [1]}
    table = drivers.table(run)
    assert set(drivers.COLUMNS) <= set(table.columns)
    assert list(table["driver"]) == ["netmodels", "locust:1", "locust:2", "wrk"]
    by = table.set_index("driver")
    # 0.8 x 1 / 40,000 req/s = 20 us; 0.95 x 1 / 2,000 = 475 us; 0.5 x 2 / 1,800 = 555.6 us
    assert by.loc["netmodels", "driver_us_per_req"] == pytest.approx(20.0)
    assert by.loc["locust:1", "driver_us_per_req"] == pytest.approx(475.0)
    assert by.loc["locust:2", "driver_us_per_req"] == pytest.approx(555.6, abs=0.1)
    assert by.loc["locust:2", "rps_per_proc"] == pytest.approx(900.0)
    assert by.loc["locust:1", "vs_ours"] == pytest.approx(0.05)
    assert by.loc["wrk", "missing"].startswith("wrk is not on PATH")
    assert by.loc["locust:2", "label"] == "Locust (2 workers)"
    text = " ".join(drivers.findings(table))
    assert "The netmodels driver achieved 40,000 req/s at 20.0 us of driver CPU" in text
    assert "Locust (1 worker) 2,000 req/s (0.05x), 475.0 us CPU per request (23.8x)" in text
    # 1,800 / 2,000, intervals apart; both workers on the one driver CPU of the manifest
    assert "Locust (2 workers) vs Locust (1 worker): 0.9x the req/s (lower)" in text
    assert "the workers share 1 driver CPU here" in text
    assert "Driver-bound (the req/s is the driver's ceiling, not the server's): Locust (1" in text
    assert "Did not run here: wrk (1 thread): wrk is not on PATH" in text

    fig = drivers_plot.figure(table)
    assert has_artists(fig)
    assert "(req/s)" in fig.axes[0].get_xlabel()
    assert "(us, log scale)" in fig.axes[1].get_xlabel()
    assert fig.axes[1].get_xscale() == "log"
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 1  # the driver_bound Locust row, drawn as flagged
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.startswith("did not run: wrk is not on PATH") for t in texts)


# --- every experiment, without its trials ---------------------------------------------------


@pytest.mark.parametrize(
    ("analysis", "plot"),
    [
        (concurrency, concurrency_plot),
        (efficiency, efficiency_plot),
        (overload, overload_plot),
        (parsers, parsers_plot),
        (peers, peers_plot),
        (drivers, drivers_plot),
    ],
)
def test_a_run_without_the_experiment(tmp_path: Path, analysis: Any, plot: Any) -> None:
    run = build(tmp_path, [({"experiment": "E5"}, None)])
    table = analysis.table(run)
    assert table.empty
    assert list(table.columns) == analysis.COLUMNS
    assert analysis.findings(table) == []
    fig = plot.figure(table)
    assert isinstance(fig, Figure)
    assert any("no E" in t.get_text() for ax in fig.axes for t in ax.texts)
