# The format of a run directory, as one table per file: every column's name, type and meaning is
# written here once, and the writer (records.py, run.py), the loader (load.py), the report's
# glossary, the cell keys of the analysis and the column tables of docs/harness.md are derived
# from it. Readers check the version in manifest.json against `SCHEMA_VERSION`.
#
# Rules of this file: plain data and the names derived from it, nothing else; a change to any
# file's columns or meaning gets a new version and a line in the history below (pyperf's habit),
# so old runs stay readable; docs/harness.md's column tables are `markdown(...)` of these tables
# (a test compares them), so a column cannot be added without its meaning reaching the docs.
"""Schema version and history, and the columns of trials.csv, timeseries.csv, kinds.csv and
probes.csv: `Column` tables (`TRIALS`, ...) and their names (`TRIAL_COLUMNS`, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

SCHEMA_VERSION = 2
# Format history:
#   1 - first format: manifest.json, trials.csv (TRIAL_COLUMNS), histograms/<trial_id>.hdr
#       (one base64 compressed HdrHistogram V2 per trial, microseconds) and timeseries.csv
#       (TIMESERIES_COLUMNS; client rows once a second, server rows at 10 Hz).
#   2 - the experiments: trials.csv gains `experiment`, `idle_connections`, `read_rate`,
#       `idle_open`, `server_rss_growth_kib_s` and `server_buffered_peak`; kinds.csv (KIND_COLUMNS:
#       one row per request kind of a mixed workload, with histograms/<trial_id>.<kind>.hdr) and
#       probes.csv (PROBE_COLUMNS: measurements that are not load trials, e.g. one selector wait)
#       are new. Version 1 runs load with the new columns empty.

Dtype = Literal["text", "int", "float"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a CSV file of a run.

    dtype: "text" loads as a string ("" when empty); "int" and "float" load as float64, an empty
        cell (not measured) as NaN - never as zero.
    meaning: what the value is, with its unit; the report's glossary and the docs print it.
    cell: part of what identifies the trial's cell across repetitions (an open-loop cell's load,
        its rate fraction or else its rate, is the other part: see `harness.analysis.cells`).
    """

    name: str
    dtype: Dtype
    meaning: str
    cell: bool = False


def _text(name: str, meaning: str, *, cell: bool = False) -> Column:
    return Column(name, "text", meaning, cell)


def _int(name: str, meaning: str, *, cell: bool = False) -> Column:
    return Column(name, "int", meaning, cell)


def _float(name: str, meaning: str) -> Column:
    return Column(name, "float", meaning)


LATENCY = (
    _float("p50_us", "median latency, microseconds (open mode: from the intended send time)"),
    _float("p90_us", "90th percentile latency, microseconds"),
    _float("p99_us", "99th percentile latency, microseconds"),
    _float("p999_us", "99.9th percentile latency, microseconds"),
    _float("p9999_us", "99.99th percentile latency, microseconds"),
    _float("max_us", "largest latency, microseconds"),
    _float("mean_us", "mean latency, microseconds (never shown alone: tails matter more)"),
)
"""The latency columns of trials.csv and kinds.csv, from the (trial's or kind's) histogram."""

TRIALS = (
    # identity and shape of the trial
    _text("trial_id", "the trial's id in the run (its histogram is histograms/<trial_id>.hdr)"),
    _int("repetition", "which repetition of its cell the trial is (1, 2, ...; interleaved)"),
    _text(
        "role",
        "measure (a result), capacity (sizes open-loop rates) or probe (calibrate)",
        cell=True,
    ),
    _text(
        "experiment", "the experiment the trial belongs to (E1 ... E10), empty for none", cell=True
    ),
    _text(
        "impl",
        "the server: a registered impl or a reference point (bare, nginx, uvicorn, ...)",
        cell=True,
    ),
    _text(
        "options",
        "`netmodels serve` options of the server, key=value;key=value (empty: defaults)",
        cell=True,
    ),
    _text("protocol", "http (HTTP/1.1) or echo (TCP echo, RFC 862)", cell=True),
    _text(
        "workload",
        "ping, echo, bytes, delay:MS, work:MS, or a weighted mix like ping@95+work:1@5",
        cell=True,
    ),
    _text(
        "mode",
        "closed (each connection waits for its answers) or open (requests on a schedule)",
        cell=True,
    ),
    _int("connections", "busy connections, across all driver processes", cell=True),
    _int("pipeline", "closed mode: requests outstanding per connection", cell=True),
    _int("payload", "bytes of /echo bodies, /bytes answers and echo messages", cell=True),
    _int(
        "idle_connections", "connections opened and held idle beside the measured ones", cell=True
    ),
    _int(
        "read_rate",
        "slow readers: bytes/s each connection reads (empty: as fast as it can)",
        cell=True,
    ),
    _float("rate", "open mode: requests per second scheduled, all driver processes together"),
    _float("rate_fraction", "open mode: the rate as a fraction of the capacity measured first"),
    _text(
        "arrivals", "open mode: constant (evenly spaced) or poisson (exponential gaps)", cell=True
    ),
    _float("duration_s", "measured seconds"),
    _float("warmup_s", "seconds of load before the measurement, discarded"),
    # what the driver measured
    _int("requests", "right answers to requests meant for the measurement window"),
    _int("errors", "wrong or missing answers in the measurement window"),
    _text(
        "error_kinds",
        "errors by kind, a JSON object kind -> count "
        "(status_503, wrong_body, connection_reset, unfinished, ...)",
    ),
    _float("rps", "right answers per second"),
    _float("mb_s", "megabytes per second received, headers included"),
    *LATENCY,
    _float("achieved_rate", "open mode: requests sent over requests scheduled"),
    _float("slip_p99_us", "open mode: how late the driver sent, 99th percentile, microseconds"),
    _int("idle_open", "idle connections actually held open (refused ones are counted, not hidden)"),
    # what the server spent (driver-independent efficiency)
    _float(
        "server_cpu_us_per_req",
        "the server's CPU time over the measurement per right answer, microseconds: "
        "the driver-independent efficiency figure",
    ),
    _float("server_cpu_util", "the server's CPU seconds per second (100 % = one core)"),
    _int("server_rss_peak_kib", "the server's peak resident memory, KiB"),
    _int("server_fds_peak", "the server's peak count of open file descriptors"),
    _int("server_threads_peak", "the server's peak thread count"),
    _float(
        "server_rss_growth_kib_s",
        "least-squares slope of the server's memory over the measurement, KiB per second",
    ),
    _int("server_buffered_peak", "peak of the server's buffered output, bytes (admin gauge)"),
    # the instrument
    _text("driver", "the load generator: netmodels, wrk or locust", cell=True),
    _int("driver_procs", "driver processes (wrk: threads; locust: workers)"),
    _float("driver_cpu", "the busiest driver process's CPU share over the measurement"),
    _float(
        "driver_wait",
        "the largest share of the measurement a driver process waited for a CPU "
        "held by another process",
    ),
    _text("server_cpus", "CPUs the server was pinned to"),
    _text("driver_cpus", "CPUs the driver was pinned to"),
    _text(
        "flags",
        "why the trial's numbers cannot be trusted as they stand, ;-joined (see Flags)",
    ),
    _text("started_at", "when the trial started, UTC ISO 8601"),
    _text("histogram", "the trial's latency histogram file, relative to the run directory"),
)
"""trials.csv: one row per trial."""

TIMESERIES = (
    _text("trial_id", "the trial the row belongs to"),
    _text("source", "client (one row per second, by intended send time) or server (10 Hz)"),
    _float("t", "seconds from the start of measurement (warm-up is negative)"),
    # client rows
    _int("sent", "client: requests sent in the second"),
    _int("requests", "client: right answers in the second"),
    _int("errors", "client: wrong or missing answers in the second"),
    _float("mb_s", "client: megabytes per second received"),
    _float("p50_us", "client: median latency in the second, microseconds"),
    _float("p99_us", "client: 99th percentile latency in the second, microseconds"),
    _float("max_us", "client: largest latency in the second, microseconds"),
    _float("slip_max_us", "client, open mode: how late the driver sent, at most, microseconds"),
    _float("driver_cpu", "client: the busiest driver process's CPU share in the second"),
    # server rows; the admin gauges (from connections_open on) on every 5th row, empty between
    _float("cpu_util", "server: CPU seconds per second since the previous sample"),
    _int("rss_kib", "server: resident memory, KiB"),
    _int("fds", "server: open file descriptors"),
    _int("threads", "server: threads"),
    _int("connections_open", "server gauge: connections open"),
    _int("inflight", "server gauge: requests being handled"),
    _int("queue_depth", "server gauge: items in all internal queues together"),
    _text("queues", "server gauge: a JSON object queue -> depth"),
    _int("buffered_out", "server gauge: output bytes buffered, not yet sent"),
    _int("reading_paused", "server gauge: connections whose reading is paused"),
    _int("rejected", "server gauge: connections and requests rejected so far, all reasons"),
    _int("requests_total", "server gauge: requests answered so far, as the server counts them"),
    _float("loop_lag_us", "server gauge: event loop lag, microseconds"),
)
"""timeseries.csv: a trial's client windows and server samples, by time."""

KINDS = (
    _text("trial_id", "the trial the row belongs to"),
    _text("kind", "the request kind of a mixed workload: ping, work:1, ..."),
    _int("requests", "right answers of this kind in the measurement window"),
    _int("errors", "wrong or missing answers of this kind"),
    _float("rps", "right answers of this kind per second"),
    *LATENCY,
    _text("histogram", "histograms/<trial_id>.<kind>.hdr (':' written as '-')"),
)
"""kinds.csv: one row per request kind of a trial with a mixed workload."""

PROBES = (
    _text("probe_id", "unique in the run, like a trial id"),
    _text("experiment", "the experiment the probe belongs to"),
    _text("probe", "what was measured, e.g. selector_wait"),
    _text("variant", "e.g. select, poll or epoll"),
    _float("param", "the swept quantity, e.g. registered sockets"),
    _int("repetition", "which repetition of the point the row is"),
    _float("value", "the median, in `unit`; empty when the variant refused (see `note`)"),
    _float("p10", "10th percentile, in `unit`"),
    _float("p90", "90th percentile, in `unit`"),
    _text("unit", "the unit of value, p10 and p90, e.g. us"),
    _int("count", "observations behind the median"),
    _text("note", "why a variant refused, or what else a reader should know"),
    _text("started_at", "when the probe started, UTC ISO 8601"),
)
"""probes.csv: measurements that are not load trials."""

TABLES: dict[str, tuple[Column, ...]] = {
    "trials": TRIALS,
    "timeseries": TIMESERIES,
    "kinds": KINDS,
    "probes": PROBES,
}
"""Every table of a run, by the name `harness.results.load` takes."""


def names(columns: Sequence[Column]) -> tuple[str, ...]:
    """The column names of a table, in file order."""
    return tuple(c.name for c in columns)


TRIAL_COLUMNS = names(TRIALS)
TIMESERIES_COLUMNS = names(TIMESERIES)
KIND_COLUMNS = names(KINDS)
PROBE_COLUMNS = names(PROBES)
LATENCY_COLUMNS = names(LATENCY)
CELL_COLUMNS = tuple(c.name for c in TRIALS if c.cell)
"""The trials.csv columns that identify a cell (with its open-loop load)."""


def markdown(columns: Sequence[Column]) -> str:
    """A table as docs/harness.md shows it: column, type, meaning, and for trials.csv whether
    the column identifies the cell (no meaning holds a `|`)."""
    keyed = any(c.cell for c in columns)
    head = ["column", "type", *(["cell"] if keyed else []), "meaning"]
    rows = [
        [f"`{c.name}`", c.dtype, *(["yes" if c.cell else ""] if keyed else []), c.meaning]
        for c in columns
    ]
    lines = [head, ["---"] * len(head), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)
