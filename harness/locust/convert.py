# From Locust's output to a netmodels trials.csv row. Locust's JSON (`--json-file`) gives the
# counts and the measured window (its statistics are reset when spawning ends, so `start_time` is
# the start of measurement); the netmodels summary (`plugin.py`) gives the latency at 3
# significant digits, the error kinds and the workers' CPU. Without a summary (a locustfile that
# does not import the plugin) the latencies come from Locust's rounded response times, and the
# resolution recorded in the manifest says so.
#
# Rules of this file: pure functions over parsed JSON - no processes, no files; a value that was
# not measured stays empty (NaN), never zero, as everywhere in the results.
"""`LocustStats` (Locust's JSON, summed) and the trial record of a Locust run."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.driver import histogram
from harness.driver.result import DRIVER_CPU_LIMIT
from harness.profile import Cell
from harness.results import ServerFigures, TrialRecord, cell_record
from harness.results.records import latency_columns

HDR_RESOLUTION = "hdr 3 significant digits, us"
"""The latency resolution of a run whose locustfile imports `harness.locust.plugin`."""

LOCUST_RESOLUTION = "locust rounded response times (2 significant digits, whole ms below 100 ms)"
"""The latency resolution of a run without the plugin: Locust's own rounded buckets."""

CPU_WARNINGS = (
    "CPU usage above",
    "CPU usage was too high",
    "CPU usage threshold was exceeded",
)
"""What Locust logs when a process of it ran out of CPU (its numbers are then suspect)."""

DRIVER_BOUND_SHARE = DRIVER_CPU_LIMIT
"""A Locust process above this share of a CPU is flagged `driver_bound`, like a driver process."""


@dataclass(frozen=True, slots=True)
class LocustStats:
    """Locust's final statistics (every request name together)."""

    requests: int
    failures: int
    start: float
    end: float
    content_bytes: int
    response_times: dict[int, int]

    @classmethod
    def parse(cls, entries: Sequence[Mapping[str, Any]]) -> LocustStats:
        """Sum the entries of Locust's `--json-file` output.

        Raises:
            TypeError: not a list of Locust statistics entries.
        """
        if not isinstance(entries, list):
            raise TypeError("Locust's JSON output is not a list of statistics entries")
        times: dict[int, int] = {}
        for entry in entries:
            for ms, count in entry.get("response_times", {}).items():
                times[int(float(ms))] = times.get(int(float(ms)), 0) + int(count)
        starts = [float(e["start_time"]) for e in entries if e.get("start_time")]
        ends = [
            float(e["last_request_timestamp"]) for e in entries if e.get("last_request_timestamp")
        ]
        return cls(
            requests=sum(int(e.get("num_requests", 0)) for e in entries),
            failures=sum(int(e.get("num_failures", 0)) for e in entries),
            start=min(starts, default=math.nan),
            end=max(ends, default=math.nan),
            content_bytes=sum(int(e.get("total_content_length", 0)) for e in entries),
            response_times=times,
        )

    @property
    def duration(self) -> float:
        """Seconds from the start of measurement to the last request (NaN without requests)."""
        return self.end - self.start


def rounded_latency(times: Mapping[int, int]) -> dict[str, float]:
    """p50 ... p99.99, max and mean (us) of Locust's rounded response times (ms -> count)."""
    total = sum(times.values())
    if not total:
        return histogram.summary(histogram.new())
    ordered = sorted(times.items())
    out: dict[str, float] = {}
    for name, p in histogram.PERCENTILES.items():
        rank, seen = math.ceil(total * p / 100), 0
        for ms, count in ordered:
            seen += count
            if seen >= rank:
                out[name] = ms * 1000.0
                break
    out["max"] = ordered[-1][0] * 1000.0
    out["mean"] = sum(ms * c for ms, c in ordered) / total * 1000.0
    return out


def cpu_warned(log_text: str) -> bool:
    """True if a Locust log says a Locust process ran short of CPU."""
    return any(marker in log_text for marker in CPU_WARNINGS)


def locust_record(
    *,
    trial_id: str,
    cell: Cell,
    repetition: int = 1,
    stats: LocustStats,
    summary: Mapping[str, Any] | None,
    workers: int,
    server: ServerFigures,
    server_cpus: Sequence[int],
    driver_cpus: Sequence[int],
    started_at: str,
    histogram_path: str,
    cpu_warning: bool,
    extra_flags: Sequence[str] = (),
) -> TrialRecord:
    """The trials.csv row of a Locust run (`driver=locust`, `driver_procs` = its workers)."""
    record = cell_record(
        trial_id=trial_id,
        repetition=repetition,
        cell=cell,
        driver="locust",
        driver_procs=workers,
        server_cpus=server_cpus,
        driver_cpus=driver_cpus,
        started_at=started_at,
        server=server,
    )
    duration = stats.duration if stats.duration > 0 else cell.duration
    right = stats.requests - stats.failures
    kinds: dict[str, int] = {}
    driver_cpu = None
    latency = rounded_latency(stats.response_times)
    if summary is not None:
        kinds = {k: int(v) for k, v in summary.get("errors", {}).items() if v}
        shares = [float(v) for v in summary.get("worker_cpu", {}).values()]
        driver_cpu = max(shares) if shares else None
        if summary.get("histogram"):
            latency = histogram.summary(histogram.decode(summary["histogram"]))
    elif stats.failures:
        kinds = {"locust_failure": stats.failures}
    flags = ["errors"] if stats.failures else []
    if cpu_warning or (driver_cpu is not None and driver_cpu > DRIVER_BOUND_SHARE):
        flags.append("driver_bound")
    return replace(
        record,
        duration_s=duration,
        requests=right,
        errors=stats.failures,
        error_kinds=json.dumps(kinds, sort_keys=True) if kinds else "",
        rps=right / duration,
        # Locust counts bodies only; the echo stream has no headers, so there it is exact.
        mb_s=stats.content_bytes / duration / 1e6 if cell.protocol == "echo" else None,
        **latency_columns(latency),
        driver_cpu=driver_cpu,
        flags=";".join([*flags, *extra_flags]),
        histogram=histogram_path if summary is not None and summary.get("histogram") else "",
    )
