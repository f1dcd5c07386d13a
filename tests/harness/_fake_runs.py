# Run directories with known answers, for the analysis, plot and report tests: every row is
# written through the real `RunDirectory`, so the tests read exactly what a sweep would leave.
#
# Rules of this file: a fake run states its numbers in the test that uses it (no hidden
# defaults that decide an outcome); latencies are drawn into real HdrHistograms from the
# values given, so percentiles computed from the histograms are the values the test meant.
"""`FakeRun`: build a run directory row by row; `trial(...)` fills the columns a test omits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from harness.driver import histogram
from harness.results import KindRecord, RunDirectory, TrialRecord
from harness.results import manifest as manifest_io
from harness.results.records import latency_columns

MANIFEST_PINNING = {"server": [0], "driver": [1], "shared": False, "driver_procs": 1}


def latency_histogram(values_us: Iterable[float]) -> str:
    """An encoded HdrHistogram holding `values_us` (microseconds)."""
    h = histogram.new()
    for v in values_us:
        h.record_value(max(1, round(v)))
    return histogram.encode(h)


def trial(trial_id: str, **columns: Any) -> TrialRecord:
    """A TrialRecord with neutral values for every column the test does not give."""
    defaults: dict[str, Any] = {
        "trial_id": trial_id,
        "repetition": 1,
        "role": "measure",
        "impl": "eventloop",
        "options": "",
        "protocol": "http",
        "workload": "ping",
        "mode": "closed",
        "connections": 64,
        "pipeline": 1,
        "payload": 0,
        "rate": None,
        "rate_fraction": None,
        "arrivals": "",
        "duration_s": 2.0,
        "warmup_s": 0.5,
        "requests": 1000,
        "errors": 0,
        "error_kinds": "",
        "rps": 500.0,
        "mb_s": 0.1,
        "p50_us": 100.0,
        "p90_us": 150.0,
        "p99_us": 200.0,
        "p999_us": 300.0,
        "p9999_us": 400.0,
        "max_us": 500.0,
        "mean_us": 110.0,
        "achieved_rate": None,
        "slip_p99_us": None,
        "server_cpu_us_per_req": 10.0,
        "server_cpu_util": 0.5,
        "server_rss_peak_kib": 20000,
        "server_fds_peak": 80,
        "server_threads_peak": 1,
        "driver": "netmodels",
        "driver_procs": 1,
        "driver_cpu": 0.5,
        "driver_wait": 0.0,
        "server_cpus": "0",
        "driver_cpus": "1",
        "flags": "",
        "started_at": "2026-01-01T00:00:00Z",
        "histogram": "",
    }
    names = {f.name for f in fields(TrialRecord)}
    unknown = set(columns) - names
    if unknown:
        raise TypeError(f"unknown trial columns {sorted(unknown)}")
    return TrialRecord(**{**defaults, **columns})


class FakeRun:
    """A run directory under `root`, written through `RunDirectory`.

    Use: `run = FakeRun(tmp_path)`, then `run.add(trial(...), latencies=[...])`,
    `run.probe([...])`, and finally `run.finish()`; `run.path` is the directory.
    """

    def __init__(self, root: Path, *, profile: Mapping[str, Any] | None = None) -> None:
        meta = manifest_io.collect(
            ["netmodels", "sweep", "fake"],
            dict(MANIFEST_PINNING),
            dict(profile or {"name": "fake"}),
        )
        self.dir = RunDirectory.create(meta, root / "run")
        self.path = self.dir.path
        self._probes = 0

    def add(
        self,
        record: TrialRecord,
        *,
        latencies: Iterable[float] | None = None,
        timeseries: Iterable[Mapping[str, Any]] = (),
        kinds: Mapping[str, tuple[int, Iterable[float]]] | None = None,
    ) -> TrialRecord:
        """Commit one trial; `latencies` (us) become its histogram, `kinds` maps a request kind
        to (errors, latencies) and becomes kinds.csv rows with their histograms."""
        encoded = None
        if latencies is not None:
            record = _with(record, histogram=self.dir.histogram_path(record.trial_id))
            encoded = latency_histogram(latencies)
        kind_rows = []
        for kind, (errors, given) in (kinds or {}).items():
            values = list(given)
            h = histogram.decode(latency_histogram(values))
            path = f"histograms/{record.trial_id}.{kind.replace(':', '-')}.hdr"
            kind_rows.append(
                (
                    KindRecord(
                        trial_id=record.trial_id,
                        kind=kind,
                        requests=len(values),
                        errors=errors,
                        rps=len(values) / record.duration_s,
                        histogram=path,
                        **latency_columns(histogram.summary(h)),
                    ),
                    histogram.encode(h),
                )
            )
        rows = [{"trial_id": record.trial_id, **row} for row in timeseries]
        self.dir.commit(record, encoded, rows, kind_rows)
        return record

    def probe(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Commit one probe's rows (PROBE_COLUMNS; `probe_id` is filled in)."""
        self._probes += 1
        self.dir.commit_probe(f"P{self._probes:02d}r1", list(rows))

    def finish(self, *, complete: bool = True) -> Path:
        """Mark the run finished; returns its path."""
        self.dir.finish(complete=complete)
        return self.path


def _with(record: TrialRecord, **changes: Any) -> TrialRecord:
    from dataclasses import replace

    return replace(record, **changes)
