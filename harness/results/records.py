# From what was measured to what is stored: one trials.csv row and the timeseries.csv rows of a
# trial, built from the driver's `LoadResult` and the runner's server samples.
#
# Rules of this file: a value that was not measured is empty (NaN when loaded), never zero;
# server CPU per request is the server's CPU time over exactly the measurement window divided by
# the right answers of that window - the efficiency figure that stays meaningful when throughput
# is driver-bound.
"""`TrialRecord` and the time-series rows of a trial."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from harness.driver import LoadResult
from harness.driver import histogram as histogram_module
from harness.profile import Cell
from harness.results.schema import (
    KIND_COLUMNS,
    LATENCY_COLUMNS,
    TIMESERIES_COLUMNS,
    TRIAL_COLUMNS,
)
from harness.runner import ServerSample

NAN = float("nan")

SUMMARY_KEYS = dict(
    zip(LATENCY_COLUMNS, ("p50", "p90", "p99", "p999", "p9999", "max", "mean"), strict=True)
)
"""The latency columns of trials.csv and kinds.csv, and their keys in `histogram.summary`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Latencies:
    """The latency columns of a trials.csv or kinds.csv row (`schema.LATENCY`), microseconds;
    NaN until measured."""

    p50_us: float = NAN
    p90_us: float = NAN
    p99_us: float = NAN
    p999_us: float = NAN
    p9999_us: float = NAN
    max_us: float = NAN
    mean_us: float = NAN


def latency_columns(summary: dict[str, float]) -> dict[str, Any]:
    """`histogram.summary(h)` as the latency columns of a row (`p50_us` ... `mean_us`), for
    `TrialRecord(**...)`, `KindRecord(**...)` or `dataclasses.replace(record, **...)`."""
    return {column: summary[key] for column, key in SUMMARY_KEYS.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialRecord(Latencies):
    """One row of trials.csv (the columns are documented in `schema.TRIALS`)."""

    trial_id: str
    repetition: int
    role: str
    impl: str
    options: str
    protocol: str
    workload: str
    mode: str
    connections: int
    pipeline: int
    payload: int
    rate: float | None
    rate_fraction: float | None
    arrivals: str
    duration_s: float
    warmup_s: float
    requests: int
    errors: int
    error_kinds: str
    rps: float
    mb_s: float | None
    achieved_rate: float | None
    slip_p99_us: float | None
    server_cpu_us_per_req: float | None
    server_cpu_util: float | None
    server_rss_peak_kib: int | None
    server_fds_peak: int | None
    server_threads_peak: int | None
    driver: str
    driver_procs: int
    driver_cpu: float | None
    driver_wait: float | None
    server_cpus: str
    driver_cpus: str
    flags: str
    started_at: str
    histogram: str = ""
    experiment: str = ""
    idle_connections: int = 0
    read_rate: int | None = None
    idle_open: int | None = None
    server_rss_growth_kib_s: float | None = None
    server_buffered_peak: int | None = None

    def row(self) -> dict[str, Any]:
        """The record as a CSV row (None -> empty)."""
        values = asdict(self)
        return {name: _cell(values[name]) for name in TRIAL_COLUMNS}

    @property
    def flag_list(self) -> list[str]:
        """`flags` as a list."""
        return [f for f in self.flags.split(";") if f]


@dataclass(frozen=True, slots=True)
class ServerFigures:
    """What the server samples say about the measurement window."""

    cpu_us_per_req: float | None = None
    cpu_util: float | None = None
    rss_peak_kib: int | None = None
    fds_peak: int | None = None
    threads_peak: int | None = None
    rss_growth_kib_s: float | None = None
    buffered_peak: int | None = None

    def columns(self) -> dict[str, Any]:
        """The figures as the `server_*` columns of a trials.csv row."""
        return {f"server_{name}": value for name, value in asdict(self).items()}


def server_figures(
    samples: Sequence[ServerSample], duration: float, requests: int
) -> ServerFigures:
    """Server CPU per request and utilisation over [0, duration], and peaks, from the samples."""
    timed = [s for s in samples if s.cpu_s is not None]
    if len(timed) < 2 or duration <= 0:
        return ServerFigures()
    # The window actually sampled: all of [0, duration] in a trial (the sampler starts during
    # warm-up), a little less for wrk, whose start the sampler can only follow.
    low, high = max(0.0, timed[0].t), min(duration, timed[-1].t)
    start, end = _cpu_at(timed, low), _cpu_at(timed, high)
    covered = (high - low) / duration
    cpu = end - start if start is not None and end is not None and covered > 0.5 else None
    window = [s for s in timed if 0.0 <= s.t <= duration] or timed
    buffered = [s.gauges["buffered_bytes:out"] for s in window if "buffered_bytes:out" in s.gauges]
    return ServerFigures(
        cpu_us_per_req=cpu / (requests * covered) * 1e6 if cpu is not None and requests else None,
        cpu_util=cpu / (high - low) if cpu is not None else None,
        rss_peak_kib=max(s.rss_kib or 0 for s in window),
        fds_peak=max(s.fds or 0 for s in window),
        threads_peak=max(s.threads or 0 for s in window),
        rss_growth_kib_s=rss_slope(window),
        buffered_peak=round(max(buffered)) if buffered else None,
    )


def rss_slope(samples: Sequence[ServerSample]) -> float | None:
    """Least-squares slope of the server's RSS over `samples`, in KiB per second.

    A slope, not last minus first: one allocation burst at the start (a pool warming up) should
    not read as growth, and steady growth under a slow reader should not hide behind a dip.
    """
    points = [(s.t, float(s.rss_kib)) for s in samples if s.rss_kib is not None]
    if len(points) < 3:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_r = sum(r for _, r in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread <= 0:
        return None
    return sum((t - mean_t) * (r - mean_r) for t, r in points) / spread


def _cpu_at(samples: Sequence[ServerSample], t: float) -> float | None:
    """Cumulative server CPU at time `t`, interpolated between the samples around it."""
    before = [s for s in samples if s.t <= t]
    after = [s for s in samples if s.t >= t]
    if not before or not after:
        return None
    a, b = before[-1], after[0]
    assert a.cpu_s is not None
    assert b.cpu_s is not None
    if b.t == a.t:
        return a.cpu_s
    return a.cpu_s + (b.cpu_s - a.cpu_s) * (t - a.t) / (b.t - a.t)


def cell_record(
    *,
    trial_id: str,
    repetition: int,
    cell: Cell,
    driver: str,
    driver_procs: int,
    server_cpus: Sequence[int],
    driver_cpus: Sequence[int],
    started_at: str,
    server: ServerFigures,
) -> TrialRecord:
    """The row of a trial of `cell` before the driver's figures are in: what the cell asked for,
    where it ran, the server's figures (`ServerFigures()`: none), and nothing measured by the
    driver - no requests, NaN latencies, None elsewhere. Every row starts here, and
    `dataclasses.replace` fills in what the driver measured."""
    return TrialRecord(
        trial_id=trial_id,
        repetition=repetition,
        role=cell.role,
        impl=cell.impl,
        options=cell.options_text,
        protocol=cell.protocol,
        workload=str(cell.workload),
        mode=cell.mode,
        connections=cell.connections,
        pipeline=cell.pipeline,
        payload=cell.payload,
        rate=cell.rate,
        rate_fraction=cell.rate_fraction,
        arrivals=cell.arrivals if cell.mode == "open" else "",
        duration_s=cell.duration,
        warmup_s=cell.warmup,
        requests=0,
        errors=0,
        error_kinds="",
        rps=0.0,
        mb_s=None,
        achieved_rate=None,
        slip_p99_us=None,
        **server.columns(),
        driver=driver,
        driver_procs=driver_procs,
        driver_cpu=None,
        driver_wait=None,
        server_cpus=cpu_text(server_cpus),
        driver_cpus=cpu_text(driver_cpus),
        flags="",
        started_at=started_at,
        histogram="",
        experiment=cell.experiment,
        idle_connections=cell.idle_connections,
        read_rate=cell.read_rate or None,
    )


def trial_record(
    *,
    trial_id: str,
    repetition: int,
    cell: Cell,
    load: LoadResult,
    server: ServerFigures,
    server_cpus: Sequence[int],
    driver_cpus: Sequence[int],
    started_at: str,
    histogram: str,
    extra_flags: Sequence[str] = (),
) -> TrialRecord:
    """The trials.csv row of a trial measured by the netmodels driver."""
    latency = load.latency
    record = cell_record(
        trial_id=trial_id,
        repetition=repetition,
        cell=cell,
        driver="netmodels",
        driver_procs=load.procs,
        server_cpus=server_cpus,
        driver_cpus=driver_cpus,
        started_at=started_at,
        server=server,
    )
    return replace(
        record,
        duration_s=load.duration_s,
        requests=load.requests,
        errors=load.error_count,
        error_kinds=json.dumps(load.errors, sort_keys=True) if load.errors else "",
        rps=load.rps,
        mb_s=load.mb_s,
        **latency_columns(latency),
        achieved_rate=load.achieved_rate,
        slip_p99_us=load.slip_p99_us,
        driver_cpu=load.driver_cpu,
        driver_wait=load.driver_wait,
        idle_open=load.idle_open,
        flags=";".join([*load.flags, *extra_flags]),
        histogram=histogram,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class KindRecord(Latencies):
    """One row of kinds.csv: one request kind of a mixed workload (`schema.KINDS`)."""

    trial_id: str
    kind: str
    requests: int
    errors: int
    rps: float
    histogram: str

    def row(self) -> dict[str, Any]:
        """The record as a CSV row (None -> empty)."""
        values = asdict(self)
        return {name: _cell(values[name]) for name in KIND_COLUMNS}


def kind_records(
    trial_id: str, load: LoadResult, histogram_path: str
) -> list[tuple[KindRecord, str]]:
    """The kinds.csv rows of a trial (none for a single-kind workload), each with its encoded
    histogram; `histogram_path` is the trial's own (`histograms/0001.hdr`)."""
    out = []
    stem = histogram_path.removesuffix(".hdr")
    for kind, result in sorted(load.kinds.items()):
        path = f"{stem}.{kind.replace(':', '-')}.hdr"
        record = KindRecord(
            trial_id=trial_id,
            kind=kind,
            requests=result.requests,
            errors=result.errors,
            rps=result.requests / load.duration_s if load.duration_s > 0 else 0.0,
            histogram=path,
            **latency_columns(histogram_module.summary(result.histogram)),
        )
        out.append((record, histogram_module.encode(result.histogram)))
    return out


def timeseries_rows(
    trial_id: str, load: LoadResult | None, samples: Sequence[ServerSample]
) -> list[dict[str, Any]]:
    """The client windows (one per second) and server samples (10 Hz) of a trial, by time."""
    rows: list[dict[str, Any]] = []
    if load is not None:
        for w in load.windows:
            wall = 1.0 if w.index < len(load.windows) - 1 else load.duration_s - w.index
            rows.append(
                {
                    "trial_id": trial_id,
                    "source": "client",
                    "t": float(w.index),
                    "sent": w.sent,
                    "requests": w.ok,
                    "errors": w.errors,
                    "mb_s": w.bytes_in / max(wall, 1e-9) / 1e6,
                    "p50_us": w.p50_us,
                    "p99_us": w.p99_us,
                    "max_us": w.max_us,
                    "slip_max_us": w.slip_max_us if load.cell.mode == "open" else None,
                    "driver_cpu": w.driver_cpu,
                }
            )
    previous: ServerSample | None = None
    for s in samples:
        g = s.gauges
        queues = {k.split(":", 1)[1]: v for k, v in g.items() if k.startswith("queue_depth:")}
        cpu_util = None
        if previous is not None and previous.cpu_s is not None and s.cpu_s is not None:
            cpu_util = (s.cpu_s - previous.cpu_s) / max(s.t - previous.t, 1e-9)
        lag = g.get("loop_lag_seconds")
        rows.append(
            {
                "trial_id": trial_id,
                "source": "server",
                "t": round(s.t, 4),
                "cpu_util": cpu_util,
                "rss_kib": s.rss_kib,
                "fds": s.fds,
                "threads": s.threads,
                "connections_open": g.get("connections_open"),
                "inflight": g.get("inflight_requests"),
                "queue_depth": sum(queues.values()) if queues else None,
                "queues": json.dumps(queues, sort_keys=True) if queues else None,
                "buffered_out": g.get("buffered_bytes:out"),
                "reading_paused": g.get("reading_paused_connections"),
                "rejected": sum(v for k, v in g.items() if k.startswith("rejected")) if g else None,
                "requests_total": g.get("requests_total"),
                "loop_lag_us": lag * 1e6 if lag is not None else None,
            }
        )
        previous = s
    rows.sort(key=lambda row: row["t"])
    return [{name: _cell(row.get(name)) for name in TIMESERIES_COLUMNS} for row in rows]


def cpu_text(cpus: Sequence[int]) -> str:
    """(1, 2, 3) -> "1,2,3"; () -> "" (not pinned)."""
    return ",".join(str(c) for c in cpus)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return round(value, 3)
    return value
