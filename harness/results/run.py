# A run directory: results/<UTC timestamp>-<short sha>/ (or --out DIR), created once and never
# reused by another run; only `--resume` reopens one, to add the trials it lacks.
#
# Rules of this file: every file is replaced atomically (results/atomic.py); a trial is
# committed by writing its histogram, then its time series, then its trials.csv row - so a trial
# is in the run exactly when its row is, and anything of a trial without a row (an interrupted
# one) is ignored by readers and replaced on resume. trials.csv only ever grows.
"""`RunDirectory`: create, resume, commit trials, finish."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.results import atomic, manifest
from harness.results.records import KindRecord, TrialRecord
from harness.results.schema import (
    KIND_COLUMNS,
    PROBE_COLUMNS,
    SCHEMA_VERSION,
    TIMESERIES_COLUMNS,
    TRIAL_COLUMNS,
)

RESULTS_ENV = "NETMODELS_RESULTS"
"""The environment variable that moves where runs go without `--out`."""

REPO_RESULTS = manifest.REPO / "results"
"""The checkout's `results/` (where the shipped reference run lives); for an installed package,
a folder that does not exist."""


def results_root() -> Path:
    """Where a run goes without `--out`: `$NETMODELS_RESULTS`, else `results/` under the current
    directory (the checkout's `results/` when run from the checkout, as the README does) - never
    the installed package's folder."""
    configured = os.environ.get(RESULTS_ENV)
    return Path(configured).expanduser() if configured else Path.cwd() / "results"


MANIFEST = "manifest.json"
TRIALS = "trials.csv"
TIMESERIES = "timeseries.csv"
KINDS = "kinds.csv"
PROBES = "probes.csv"
HISTOGRAMS = "histograms"


def run_id(sha: str | None) -> str:
    """`20250101T120000Z-abc1234`: UTC start time and short commit sha (`nogit` outside git)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{sha[:7] if sha else 'nogit'}"


class RunDirectory:
    """One run on disk. Use `create` for a new run and `resume` to continue one."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.path = path
        self.manifest = meta
        self._committed = {row["trial_id"] for row in read_rows(path / TRIALS)}
        self._probes = {row["probe_id"] for row in read_rows(path / PROBES)}

    @classmethod
    def create(cls, meta: dict[str, Any], out: Path | None = None) -> RunDirectory:
        """Make a new run directory under `results_root()` (or at `out`) and write its manifest.

        Raises:
            FileExistsError: `out` exists and is not empty (runs are never overwritten).
        """
        if out is None:
            base = run_id(meta.get("git_sha"))
            root = results_root()
            path = root / base
            for n in range(2, 1000):
                try:
                    path.mkdir(parents=True)
                    break
                except FileExistsError:
                    path = root / f"{base}-{n}"
        else:
            path = out
            if path.exists() and any(path.iterdir()):
                raise FileExistsError(f"{path} exists and is not empty; runs are never overwritten")
            path.mkdir(parents=True, exist_ok=True)
        (path / HISTOGRAMS).mkdir()
        meta = {**meta, "run_id": path.name}
        meta["sessions"] = [{"started_at": meta["started_at"], "ended_at": None}]
        manifest.write(path / MANIFEST, meta)
        return cls(path, meta)

    @classmethod
    def resume(cls, path: Path) -> RunDirectory:
        """Reopen an incomplete run to add its missing trials.

        Raises:
            FileNotFoundError: not a run directory.
            ValueError: the run is already complete.
        """
        meta = manifest.read(path / MANIFEST)
        if meta.get("complete"):
            raise ValueError(f"{path} is complete; nothing to resume")
        if meta.get("schema_version") != SCHEMA_VERSION:
            # Its files have another version's columns; appending rows of this one would mix them.
            raise ValueError(
                f"{path} was written by another netmodels (schema version "
                f"{meta.get('schema_version')}, this one writes {SCHEMA_VERSION}); start a new run"
            )
        meta["sessions"] = [
            *meta.get("sessions", []),
            {"started_at": manifest.utc_now(), "ended_at": None},
        ]
        meta["interrupted"] = None
        manifest.write(path / MANIFEST, meta)
        (path / HISTOGRAMS).mkdir(exist_ok=True)
        run = cls(path, meta)
        run._purge_uncommitted_timeseries()
        return run

    def is_committed(self, trial_id: str) -> bool:
        """True if the trial's row is in trials.csv."""
        return trial_id in self._committed

    def committed(self) -> list[dict[str, str]]:
        """The rows of trials.csv, as strings."""
        return read_rows(self.path / TRIALS)

    def commit(
        self,
        record: TrialRecord,
        histogram: str | None,
        timeseries: Sequence[Mapping[str, Any]],
        kinds: Sequence[tuple[KindRecord, str]] = (),
    ) -> None:
        """Add one trial: histogram files, time-series and kinds rows, then its trials.csv row.

        Raises:
            ValueError: the trial is already in the run (trials are never replaced).
        """
        if record.trial_id in self._committed:
            raise ValueError(f"trial {record.trial_id} is already in {self.path}")
        if histogram is not None and record.histogram:
            atomic.write_text(self.path / record.histogram, histogram + "\n")
        for kind, encoded in kinds:
            atomic.write_text(self.path / kind.histogram, encoded + "\n")
        if kinds:
            atomic.append_text(
                self.path / KINDS,
                _csv(KIND_COLUMNS, [kind.row() for kind, _ in kinds], header=False),
                header=_csv(KIND_COLUMNS, [], header=True),
            )
        if timeseries:
            atomic.append_text(
                self.path / TIMESERIES,
                _csv(TIMESERIES_COLUMNS, timeseries, header=False),
                header=_csv(TIMESERIES_COLUMNS, [], header=True),
            )
        atomic.append_text(
            self.path / TRIALS,
            _csv(TRIAL_COLUMNS, [record.row()], header=False),
            header=_csv(TRIAL_COLUMNS, [], header=True),
        )
        self._committed.add(record.trial_id)

    def is_probed(self, probe_id: str) -> bool:
        """True if the probe's rows are in probes.csv."""
        return probe_id in self._probes

    def commit_probe(self, probe_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Add the rows of one probe (`schema.PROBE_COLUMNS`, `probe_id` filled in) at once.

        Raises:
            ValueError: the probe is already in the run.
        """
        if probe_id in self._probes:
            raise ValueError(f"probe {probe_id} is already in {self.path}")
        atomic.append_text(
            self.path / PROBES,
            _csv(PROBE_COLUMNS, [{**row, "probe_id": probe_id} for row in rows], header=False),
            header=_csv(PROBE_COLUMNS, [], header=True),
        )
        self._probes.add(probe_id)

    def _purge_uncommitted_timeseries(self) -> None:
        """Drop time-series and kinds rows of a trial interrupted before its trials.csv row."""
        for name, columns in ((TIMESERIES, TIMESERIES_COLUMNS), (KINDS, KIND_COLUMNS)):
            path = self.path / name
            if not path.exists():
                continue
            rows = read_rows(path)
            kept = [row for row in rows if row["trial_id"] in self._committed]
            if len(kept) != len(rows):
                atomic.write_text(path, _csv(columns, kept, header=True))

    def finish(self, *, complete: bool, interrupted: str | None = None, **extra: Any) -> None:
        """Record the end of this session: complete, or why it stopped."""
        now = manifest.utc_now()
        meta = self.manifest
        meta["ended_at"] = now
        meta["complete"] = complete
        meta["interrupted"] = interrupted
        if meta.get("sessions"):
            meta["sessions"][-1]["ended_at"] = now
        meta["trials"] = len(self._committed)
        meta.update(extra)
        manifest.write(self.path / MANIFEST, meta)

    def histogram_path(self, trial_id: str) -> str:
        """The histogram file of a trial, relative to the run directory."""
        return f"{HISTOGRAMS}/{trial_id}.hdr"


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file of the run (none if it does not exist yet)."""
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in columns})
    return buffer.getvalue()
