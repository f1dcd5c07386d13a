# Analysis: DataFrames in, DataFrames out. Fifth stage of the pipeline (profile -> runner ->
# driver -> results -> analysis); it reads runs only through `harness.results.load` and never
# touches a process, a socket or a file of its own. `run.Run` is a run loaded whole, `stats` the
# intervals and comparisons every experiment uses, and one module per experiment (named in
# harness/experiments.py) turns a Run into that experiment's table and its findings; `cells`
# groups trials into cells by the schema's key.
#
# Rules of this package: pure functions of DataFrames; an experiment's table without data is
# `run.empty(COLUMNS)`, never an exception; a number in a finding comes from an interval.
"""Summaries of a run's trials, merged histograms, and the experiments' tables and findings.

from harness.analysis.run import Run
from harness import analysis
table = analysis.offload.table(Run.load("results/reference"))
analysis.offload.findings(table)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from harness.driver import histogram


def summary(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: repetitions, medians of throughput, latency and server CPU per request,
    and the union of the flags of its trials.

    Args:
        trials: `harness.results.load(path)`.
    """
    if trials.empty:
        return pd.DataFrame(
            columns=[*cells.KEYS, "repetitions", "rate", "rate_fraction", "rps", "p50_us", "p99_us"]
        )
    grouped = cells.keyed(trials).groupby(list(cells.KEYS), dropna=False, sort=False)
    out = grouped.agg(
        repetitions=("trial_id", "count"),
        rate=("rate", "median"),
        rate_fraction=("rate_fraction", "median"),
        rps=("rps", "median"),
        p50_us=("p50_us", "median"),
        p99_us=("p99_us", "median"),
        max_us=("max_us", "max"),
        server_cpu_us_per_req=("server_cpu_us_per_req", "median"),
        errors=("errors", "sum"),
        flags=(
            "flags",
            lambda f: ";".join(sorted({x for v in f.dropna() for x in v.split(";") if x})),
        ),
    ).reset_index()
    for column in cells.KEYS:  # the key columns as the trials have them (keyed: -1 for NaN)
        if out[column].dtype.kind == "f":
            out[column] = out[column].where(out[column] >= 0)
    return out


def merged_histogram(run: str | Path, trial_ids: list[str]) -> HdrHistogram:
    """The latency histogram of several trials together (e.g. all repetitions of a cell)."""
    root = Path(run)
    return histogram.merge(
        histogram.decode((root / "histograms" / f"{trial_id}.hdr").read_text().strip())
        for trial_id in trial_ids
    )


# The experiments' modules, so `analysis.<experiment>` works after `from harness import analysis`.
# Imported last: each of them imports `stats` and `run` from this package.
from harness.analysis import (  # noqa: E402
    backpressure,
    cells,
    concurrency,
    drivers,
    efficiency,
    offload,
    omission,
    overload,
    parsers,
    peers,
    run,
    selectors,
    stats,
)

__all__ = [
    "backpressure",
    "cells",
    "concurrency",
    "drivers",
    "efficiency",
    "merged_histogram",
    "offload",
    "omission",
    "overload",
    "parsers",
    "peers",
    "run",
    "selectors",
    "stats",
    "summary",
]
