"""E4-E7 (back-pressure, coordinated omission, offload, selectors): tables, findings and
figures from fake runs whose answers are known.

Each `build_*` writes a run through the real RunDirectory with numbers chosen so that the
answer is unmistakable (RSS grows 1000 KiB/s with back-pressure off and not at all on; the
open-loop driver sees a stall in 10 % of its requests, the closed loop in well under 1 %; ...);
the tests then check the tables, that the findings state it, and that the figures draw it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from _fake_runs import FakeRun, trial
from matplotlib.figure import Figure

from harness.analysis import backpressure as e4
from harness.analysis import offload as e6
from harness.analysis import omission as e5
from harness.analysis import selectors as e7
from harness.analysis.run import Run
from harness.experiments import BY_KEY
from harness.plots import backpressure as e4_plot
from harness.plots import offload as e6_plot
from harness.plots import omission as e5_plot
from harness.plots import selectors as e7_plot
from harness.plots import style

MIB_S = 1 << 20
REPETITIONS = (1, 2, 3)


# --- fake runs -------------------------------------------------------------------------------


def _server_series(rss_at, buffered_at) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """10 Hz server samples from t = -1 s to 5 s; admin gauges on every 5th sample."""
    rows: list[dict[str, object]] = []
    for i, t in enumerate(np.round(np.arange(-1.0, 5.0001, 0.1), 1)):
        row: dict[str, object] = {"source": "server", "t": float(t), "rss_kib": rss_at(t)}
        if i % 5 == 0:
            row |= {
                "buffered_out": buffered_at(t),
                "reading_paused": 0,
                "queue_depth": 0,
                "queues": "{}",
            }
        rows.append(row)
    return rows


def build_e4(root: Path) -> Run:
    """eventloop: RSS grows 990/1000/1010 KiB/s with back-pressure off, flat with it on;
    threads: flat both ways (it blocks in send). One threads trial is flagged `contended`."""
    run = FakeRun(root)
    for rep in REPETITIONS:
        for impl in ("threads", "eventloop"):
            for bp in ("true", "false"):
                slope = 990 + 10 * (rep - 1) if (impl, bp) == ("eventloop", "false") else 0.0
                base = 30_000 + rep

                def rss(t: float, slope: float = slope, base: float = base) -> float:
                    return base + slope * max(t, 0.0)

                def buffered(t: float, slope: float = slope) -> float:
                    return slope * 1024 * max(t, 0.0) if slope else 65_536.0

                run.add(
                    trial(
                        f"{impl}-{bp}-{rep}",
                        experiment="E4",
                        impl=impl,
                        options=f"backpressure={bp}",
                        repetition=rep,
                        pipeline=16,
                        read_rate=MIB_S,
                        flags="contended" if (impl, bp, rep) == ("threads", "false", 2) else "",
                    ),
                    timeseries=_server_series(rss, buffered),
                )
    run.finish()
    return Run.load(run.path)


STALL = "period_ms=1000;stall_ms=100"


def build_e5(root: Path) -> Run:
    """The stall target, 100 ms every 1000 ms: the closed loop sees 100 us answers and a
    handful of stalls (< 1 %); the open loop sees 10 % of its requests spread up to 100 ms."""
    run = FakeRun(root)
    closed = [100.0] * 1990 + [100_000.0] * 10
    opened = [100.0] * 1800 + list(np.linspace(1_000, 100_000, 200))
    for rep in REPETITIONS:
        run.add(
            trial(
                f"closed-{rep}",
                experiment="E5",
                impl="stall",
                options=STALL,
                mode="closed",
                repetition=rep,
                p99_us=100.0 + rep,
            ),
            latencies=closed,
        )
        run.add(
            trial(
                f"open-{rep}",
                experiment="E5",
                impl="stall",
                options=STALL,
                mode="open",
                rate=1000.0,
                repetition=rep,
                p99_us=90_000.0 + 100 * rep,
            ),
            latencies=opened,
        )
    run.finish()
    return Run.load(run.path)


PING_TAIL_US = {"none": 5_000.0, "thread": 600.0, "process": 610.0}
"""/ping p99 per offload on eventloop: 2 % of /ping waits behind a /work inline."""


def build_e6(root: Path) -> Run:
    """eventloop and threads under ping@95+work:5@5, each offload setting, three repetitions;
    /ping p99 is PING_TAIL_US[offload] (+ the repetition) on eventloop, 300 us on threads."""
    run = FakeRun(root)
    for rep in REPETITIONS:
        for impl in ("threads", "eventloop"):
            for offload in ("none", "thread", "process"):
                tail = PING_TAIL_US[offload] + rep if impl == "eventloop" else 300.0 + rep
                ping = [200.0] * 980 + [tail] * 20
                work = [5_000.0 + 10 * rep] * 50
                run.add(
                    trial(
                        f"{impl}-{offload}-{rep}",
                        experiment="E6",
                        impl=impl,
                        options="" if offload == "none" else f"offload={offload}",
                        workload="ping@95+work:5@5",
                        repetition=rep,
                        flags="driver_bound" if (impl, offload) == ("threads", "process") else "",
                    ),
                    kinds={"ping": (0, ping), "work:5": (0, work)},
                )
    run.finish()
    return Run.load(run.path)


WAIT_SOCKETS = (10, 100, 1000, 4000)
SELECT_NOTE = "select() takes only descriptors below FD_SETSIZE (1024)"


def build_e7(root: Path) -> Run:
    """Probe rows, one repetition: poll's wait grows 0.01 us per socket, epoll's is flat at
    0.6 us, select is poll's until it refuses 4000 sockets. Server trials: epoll flat at
    10,000 req/s, poll down to 6,000 at 5,000 idle, select holding only 1,000 of 5,000."""
    run = FakeRun(root)
    rows: list[dict[str, object]] = []
    for sockets in WAIT_SOCKETS:
        for variant in ("select", "poll", "epoll"):
            value = 0.6 if variant == "epoll" else 0.5 + 0.01 * sockets
            refused = variant == "select" and sockets > 1024
            rows.append(
                {
                    "experiment": "E7",
                    "probe": "selector_wait",
                    "variant": variant,
                    "param": sockets,
                    "repetition": 1,
                    "value": None if refused else value,
                    "p10": None if refused else value * 0.9,
                    "p90": None if refused else value * 1.2,
                    "unit": "us",
                    "count": 0 if refused else 200,
                    "note": SELECT_NOTE if refused else "",
                }
            )
    run.probe(rows)
    for rep in REPETITIONS:
        for selector in ("select", "poll", "epoll"):
            for idle in (0, 1000, 5000):
                rps = 10_000.0 + 10 * rep
                if selector != "epoll" and idle:
                    rps -= 4_000.0 * idle / 5000
                refused = selector == "select" and idle == 5000
                run.add(
                    trial(
                        f"{selector}-{idle}-{rep}",
                        experiment="E7",
                        options=f"selector={selector}",
                        idle_connections=idle,
                        idle_open=1000 if refused else idle,
                        repetition=rep,
                        rps=rps,
                        p99_us=1_000.0 + idle / 10,
                        flags="idle_refused" if refused else "",
                    )
                )
    run.finish()
    return Run.load(run.path)


def build_empty(root: Path) -> Run:
    """A run with one trial of another experiment."""
    run = FakeRun(root)
    run.add(trial("other", experiment="E1"))
    run.finish()
    return Run.load(run.path)


# --- shared checks ---------------------------------------------------------------------------


def _check_figure(fig: Figure) -> None:
    """Axes with data; every y label names its unit; small multiples that share a y axis may
    leave it to the first panel of their row, but every figure labels both axes somewhere."""
    assert isinstance(fig, Figure)
    drawn = [ax for ax in fig.axes if ax.has_data()]
    assert drawn, "no axes with data"
    ylabels = [ax.get_ylabel() for ax in drawn]
    assert any(ylabels)
    for label in filter(None, ylabels):
        assert re.search(r"\((s|ms|µs|MiB|req/s)\)", label), f"y label without a unit: {label!r}"
    assert any(ax.get_xlabel() for ax in drawn), "no x label"
    fig.canvas.draw()


def _hollow(fig: Figure) -> int:
    """Markers drawn hollow (face 'none') with data, over every axes."""
    return sum(
        1
        for ax in fig.axes
        for line in ax.get_lines()
        if len(line.get_xdata()) and line.get_markerfacecolor() == "none"
    )


def _legend_texts(fig: Figure) -> list[str]:
    """Every legend entry's text, wrapped lines joined again."""
    texts = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]
    texts += [t.get_text() for legend in fig.legends for t in legend.texts]
    return [" ".join(t.split()) for t in texts]


@pytest.mark.parametrize("key", ["E4", "E5", "E6", "E7"])
def test_an_empty_run_gives_empty_tables_no_findings_and_a_figure(tmp_path: Path, key: str) -> None:
    run = build_empty(tmp_path)
    experiment = BY_KEY[key]
    frame = experiment.table(run)
    assert frame.empty
    assert list(frame.columns)
    assert experiment.findings(frame) == []
    fig = experiment.figure(frame)
    assert isinstance(fig, Figure)
    fig.canvas.draw()


# --- E4 --------------------------------------------------------------------------------------


def test_e4_table_is_the_server_series_with_trial_identity(tmp_path: Path) -> None:
    frame = e4.table(build_e4(tmp_path))
    assert list(frame.columns) == e4.COLUMNS
    assert set(frame["backpressure"]) == {"on", "off"}
    assert frame["trial_id"].nunique() == 12
    assert frame.attrs["manifest"]["schema_version"] == 2
    growth = frame.drop_duplicates("trial_id").set_index("trial_id")["rss_growth_kib_s"]
    # No growth column in the trial rows: it is the slope of the samples.
    assert growth["eventloop-false-2"] == pytest.approx(1000, rel=1e-6)
    assert growth["eventloop-true-2"] == pytest.approx(0, abs=1e-6)
    first = frame[frame["trial_id"] == "eventloop-false-1"].iloc[0]
    assert first["t"] == pytest.approx(-1.0)
    assert first["rss_mib"] == pytest.approx(30_001 / 1024)


def test_e4_summary_and_findings_state_growth_off_versus_on(tmp_path: Path) -> None:
    frame = e4.table(build_e4(tmp_path))
    cells = e4.summary(frame).set_index(["impl", "backpressure"])
    off = cells.loc[("eventloop", "off")]
    on = cells.loc[("eventloop", "on")]
    assert off["rss_growth_kib_s"] == pytest.approx(1000, rel=1e-6)
    assert off["rss_growth_kib_s_low"] > on["rss_growth_kib_s_high"]
    text = e4.findings(frame)
    assert 2 <= len(text) <= 4
    assert "eventloop 1,000 KiB/s (95 % CI 990-1,010, n=3) off vs 0 KiB/s" in text[0]
    assert "threads 0 KiB/s" in text[0]
    assert "(no measurable difference)" in text[0]
    assert "eventloop's, 58.6 MiB per minute" in text[1]
    assert any("back-pressure for free" in t for t in text)
    assert any("threads-false-2" in t and "contended" in t for t in text)


def test_e4_figure_draws_rss_per_impl_with_flagged_hollow(tmp_path: Path) -> None:
    fig = e4_plot.figure(e4.table(build_e4(tmp_path)))
    _check_figure(fig)
    titles = [ax.get_title() for ax in fig.axes]
    assert "threads" in titles
    assert "eventloop" in titles
    assert any(ax.get_ylabel() == "server RSS (MiB)" for ax in fig.axes)
    assert _hollow(fig) > 0
    assert style.FLAGGED_NOTE in _legend_texts(fig)


def test_e4_fewer_than_three_repetitions_are_not_compared(tmp_path: Path) -> None:
    frame = e4.table(build_e4(tmp_path))
    text = e4.findings(frame[frame["repetition"] == 1])
    assert "fewer than 3 repetitions: not compared" in text[0]


# --- E5 --------------------------------------------------------------------------------------


def test_e5_spectrum_shows_the_open_loop_p99_ten_times_higher(tmp_path: Path) -> None:
    frame = e5.table(build_e5(tmp_path))
    assert list(frame.columns) == e5.COLUMNS
    assert set(frame["mode"]) == {"closed", "open"}
    assert list(frame[frame["mode"] == "open"]["point"]) == [p for p, _ in e5.stats.SPECTRUM]
    cells = e5.summary(frame).set_index("mode")
    assert cells.loc["closed", "p99_us"] == pytest.approx(100, rel=0.01)
    assert cells.loc["open", "p99_us"] >= 10 * cells.loc["closed", "p99_us"]
    assert cells.loc["open", "requests"] == 6000
    assert cells.loc["closed", "stall_ms"] == 100
    text = e5.findings(frame)
    assert 2 <= len(text) <= 4
    closed_ms = cells.loc["closed", "p99_us"] / 1000
    open_ms = cells.loc["open", "p99_us"] / 1000
    assert text[0].startswith(
        f"On the same stalls (100 ms every 1,000 ms), the closed-loop driver reports p99 "
        f"{e5.stats.number(closed_ms)} ms, the open-loop driver {e5.stats.number(open_ms)} ms ("
    )
    assert f"({e5.stats.times(open_ms / closed_ms)} higher)" in text[0]
    assert "delays about 10 % of requests, by up to 100 ms" in text[1]


def test_e5_figure_is_a_percentile_spectrum_with_the_stall_line(tmp_path: Path) -> None:
    fig = e5_plot.figure(e5.table(build_e5(tmp_path)))
    _check_figure(fig)
    ax = next(ax for ax in fig.axes if ax.has_data())
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "latency (ms)"
    labels = [t.get_text() for t in ax.texts] + _legend_texts(fig)
    assert any(label == "stall 100 ms" for label in labels)
    assert any("closed" in label for label in labels)
    assert any("open" in label for label in labels)


def test_e5_flagged_mode_is_hollow_and_named(tmp_path: Path) -> None:
    run = build_e5(tmp_path)
    frame = e5.table(run)
    frame.loc[frame["mode"] == "open", ["flags", "flagged"]] = ["invalid", True]
    assert any("open-loop" in t and "invalid" in t for t in e5.findings(frame))
    fig = e5_plot.figure(frame)
    assert _hollow(fig) > 0
    assert style.FLAGGED_NOTE in _legend_texts(fig)


# --- E6 --------------------------------------------------------------------------------------


def test_e6_table_has_per_kind_intervals_and_spectra(tmp_path: Path) -> None:
    frame = e6.table(build_e6(tmp_path))
    assert list(frame.columns) == e6.COLUMNS
    assert len(frame) == 2 * 3 * 2
    ping = frame[(frame["impl"] == "eventloop") & (frame["kind"] == "ping")].set_index("offload")
    assert list(ping.index) == ["none", "thread", "process"]
    for offload, tail in PING_TAIL_US.items():
        assert ping.loc[offload, "p99_us"] == pytest.approx(tail + 2, rel=0.002)
        assert ping.loc[offload, "spectrum_p99_us"] == pytest.approx(tail + 3, rel=0.002)
        assert ping.loc[offload, "n"] == 3
    assert bool(
        frame[(frame["impl"] == "threads") & (frame["offload"] == "process")]["flagged"].all()
    )


def test_e6_findings_give_ping_p99_per_offload_and_the_ratio(tmp_path: Path) -> None:
    text = e6.findings(e6.table(build_e6(tmp_path)))
    assert 2 <= len(text) <= 4
    assert text[0] == (
        "/ping p99 on eventloop (ping@95+work:5@5, closed loop): 5 ms with /work inline, "
        "0.602 ms with /work in a thread pool, 0.612 ms with /work in a process pool."
    )
    assert "thread pool 8.31x (offloading lowers it)" in text[1]
    assert "process pool 8.17x" in text[1]
    assert "threads thread pool no measurable difference" in text[2]
    assert text[3].startswith("threads with offload=process was flagged driver_bound")


def test_e6_figure_draws_ping_and_work_p99_and_a_spectrum(tmp_path: Path) -> None:
    fig = e6_plot.figure(e6.table(build_e6(tmp_path)))
    _check_figure(fig)
    ylabels = [ax.get_ylabel() for ax in fig.axes if ax.has_data()]
    assert "/ping p99 (ms)" in ylabels
    assert "/work p99 (ms)" in ylabels
    assert "latency (ms)" in ylabels
    assert _hollow(fig) > 0
    assert style.FLAGGED_NOTE in _legend_texts(fig)


# --- E7 --------------------------------------------------------------------------------------


def test_e7_table_has_wait_and_server_parts(tmp_path: Path) -> None:
    frame = e7.table(build_e7(tmp_path))
    assert list(frame.columns) == e7.COLUMNS
    assert set(frame["part"]) == {"wait", "server"}
    waits = frame[frame["part"] == "wait"].set_index(["selector", "param"])
    assert waits.loc[("poll", 4000), "median"] == pytest.approx(40.5)
    assert waits.loc[("poll", 4000), "interval"] == "p10-p90"
    assert waits.loc[("poll", 4000), "low"] == pytest.approx(40.5 * 0.9)
    assert bool(waits.loc[("select", 4000), "refused"])
    assert waits.loc[("select", 4000), "note"] == SELECT_NOTE
    server = frame[(frame["part"] == "server") & (frame["metric"] == "rps")]
    server = server.set_index(["selector", "param"])
    assert server.loc[("epoll", 0), "median"] == pytest.approx(10_020)
    assert bool(server.loc[("select", 5000), "refused"])
    assert server.loc[("select", 5000), "idle_open"] == 1000


def test_e7_findings_compare_poll_and_epoll_and_name_refusals(tmp_path: Path) -> None:
    text = e7.findings(e7.table(build_e7(tmp_path)))
    assert 2 <= len(text) <= 4
    assert text[0].startswith(
        "At 4,000 sockets one poll() wait costs 40.5 µs, one epoll wait 0.6 µs (67.5x)"
    )
    assert "from 10 sockets poll() grew 67.5x, epoll 1x" in text[0]
    assert text[1] == (
        f"select refused 4,000 sockets: {SELECT_NOTE} (it took 1,000, at 10.5 µs a wait)."
    )
    assert "epoll 0 % at 5,000 (no measurable difference)" in text[2]
    assert "poll -39.9 % at 5,000;" in text[2]
    assert "select -39.9 % at 5,000, holding only 1,000 of them" in text[2]
    assert text[3].startswith(
        "the select cell at 5,000 idle connections (trials select-5000-1, select-5000-2, "
        "select-5000-3) was flagged idle_refused"
    )
    assert "idle_refused" in text[3]


def test_e7_figure_draws_waits_refusals_and_server(tmp_path: Path) -> None:
    fig = e7_plot.figure(e7.table(build_e7(tmp_path)))
    _check_figure(fig)
    wait_ax = next(ax for ax in fig.axes if ax.get_ylabel() == "one wait (µs)")
    assert wait_ax.get_xscale() == "log"
    assert wait_ax.get_yscale() == "log"
    assert any("select: refused past FD_SETSIZE (1024)" in t.get_text() for t in wait_ax.texts)
    assert any(line.get_marker() == "x" for line in wait_ax.get_lines())
    assert any(ax.get_ylabel() == "throughput (req/s)" for ax in fig.axes)
    assert _hollow(fig) > 0
    assert style.FLAGGED_NOTE in _legend_texts(fig)


def test_e7_waits_alone_draw_one_panel(tmp_path: Path) -> None:
    frame = e7.table(build_e7(tmp_path))
    fig = e7_plot.figure(frame[frame["part"] == "wait"])
    assert len([ax for ax in fig.axes if ax.has_data()]) == 1
