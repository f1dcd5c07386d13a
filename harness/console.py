# What a person at the terminal sees: live progress with an ETA on stderr while trials run, one
# line per finished trial, and a summary table on stdout at the end (so `> file` keeps the table
# and drops the animation).
"""Progress display, per-trial lines and summary tables (rich)."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd  # type: ignore[import-untyped]
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from harness.results import TrialRecord

TRIAL_OVERHEAD_S = 1.5
"""Seconds a trial takes beyond warm-up + duration (server start and stop, driver start, drain):
what the ETA assumes before it has measured anything."""

err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
"""Piped into a file, a line of either stream stays one line (rich would wrap at 80)."""


class SweepProgress:
    """A progress bar over the planned seconds of a list of trials, advanced continuously."""

    def __init__(self, title: str, planned_s: float, trials: int) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[trials]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        )
        self._task: TaskID = self._progress.add_task(title, total=planned_s, trials=f"0/{trials}")
        self._trials = trials
        self._done_trials = 0
        self._done_s = 0.0
        self._current: tuple[float, float] | None = None  # (started, planned seconds)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)

    def __enter__(self) -> SweepProgress:
        self._progress.start()
        self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._ticker.join()
        self._progress.stop()

    @contextmanager
    def trial(self, label: str, planned_s: float) -> Iterator[None]:
        """Show `label` as the running trial while the block runs."""
        with self._lock:
            self._current = (time.monotonic(), planned_s)
        self._progress.update(self._task, description=escape(label))
        try:
            yield
        finally:
            with self._lock:
                self._current = None
                self._done_s += planned_s
                self._done_trials += 1
            self._progress.update(
                self._task,
                completed=self._done_s,
                trials=f"{self._done_trials}/{self._trials}",
            )

    def skip(self, planned_s: float) -> None:
        """Account for a trial that is already done (resume)."""
        self._done_s += planned_s
        self._done_trials += 1
        self._progress.update(
            self._task, completed=self._done_s, trials=f"{self._done_trials}/{self._trials}"
        )

    def print(self, text: str) -> None:
        """A line above the progress bar."""
        self._progress.console.print(text)

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                if self._current is None:
                    continue
                started, planned = self._current
                completed = self._done_s + min(time.monotonic() - started, planned)
            self._progress.update(self._task, completed=completed)


def planned_seconds(warmup: float, duration: float) -> float:
    """What the ETA assumes one trial takes."""
    return warmup + duration + TRIAL_OVERHEAD_S


def trial_line(record: TrialRecord, label: str) -> str:
    """One line per finished trial: throughput, latency, server CPU per request, flags."""
    flags = f" [red]{record.flags}[/red]" if record.flags else ""
    cpu = record.server_cpu_us_per_req
    cpu_text = f"  server {cpu:.1f} us/req" if cpu is not None else ""
    return (
        f"{record.trial_id} {escape(label)}: {record.rps:,.0f} req/s  "
        f"p50 {ms(record.p50_us)}  p99 {ms(record.p99_us)}{cpu_text}{flags}"
    )


def ms(us: float | None) -> str:
    """Microseconds as a short human string: `850 us`, `1.23 ms`, `2.5 s`."""
    if us is None or (isinstance(us, float) and math.isnan(us)):
        return "-"
    if us < 1000:
        return f"{us:.0f} us"
    if us < 1_000_000:
        return f"{us / 1000:.2f} ms"
    return f"{us / 1e6:.2f} s"


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """A rich table of `harness.analysis.summary`."""
    table = Table(title=title, title_justify="left")
    for name, justify in (
        ("impl", "left"),
        ("protocol", "left"),
        ("workload", "left"),
        ("load", "left"),
        ("reps", "right"),
        ("req/s", "right"),
        ("p50", "right"),
        ("p99", "right"),
        ("server us/req", "right"),
        ("flags", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in summary.itertuples(index=False):
        impl = row.impl if not row.options else f"{row.impl} [{row.options}]"
        load = f"{row.mode} c{int(row.connections)}"
        if row.pipeline and int(row.pipeline) > 1:
            load += f" d{int(row.pipeline)}"
        if row.payload and int(row.payload):
            load += f" {int(row.payload)}B"
        if row.mode == "open" and not pd.isna(row.rate):
            load += f" {row.rate:,.0f}/s"
        if not pd.isna(row.rate_fraction):
            load += f" ({row.rate_fraction:g}x cap)"
        if row.role != "measure":
            load += f" ({row.role})"
        if row.driver != "netmodels":
            impl += f" ({row.driver})"
        cpu = row.server_cpu_us_per_req
        table.add_row(
            escape(impl),
            row.protocol,
            row.workload,
            load,
            str(row.repetitions),
            f"{row.rps:,.0f}",
            ms(row.p50_us),
            ms(row.p99_us),
            "-" if pd.isna(cpu) else f"{cpu:.1f}",
            row.flags or "",
        )
    return table
