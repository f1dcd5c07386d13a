# The one loader: the report, the notebooks and the summary tables all read runs through
# `load`, so a format change is handled here once (see the history in schema.py).
#
# Rules of this file: the columns and their types come from `harness.results.schema`, never
# restated here; a column of a later schema version than the run's loads empty, never missing.
"""`load(path) -> pandas.DataFrame`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd  # type: ignore[import-untyped]

from harness.results import manifest as manifest_io
from harness.results.run import KINDS, MANIFEST, PROBES, TIMESERIES, TRIALS
from harness.results.schema import TABLES, Column

Table = Literal["trials", "timeseries", "kinds", "probes"]

_FILES = {"trials": TRIALS, "timeseries": TIMESERIES, "kinds": KINDS, "probes": PROBES}


def load(path: str | Path, table: Table = "trials") -> pd.DataFrame:
    """Read one run directory.

    Args:
        path: a run directory (with manifest.json).
        table: "trials" (one row per committed trial), "timeseries" (client windows and
            server samples of committed trials), "kinds" (one row per request kind of a
            committed trial with a mixed workload) or "probes" (measurements that are not load
            trials, e.g. one selector wait's cost).

    Returns:
        A DataFrame with the table's columns (numbers as numbers, empty cells as NaN, text as
        strings with "" for empty); `df.attrs["manifest"]` holds the run's manifest and
        `df.attrs["path"]` the directory. An interrupted run loads too: its manifest says
        `complete: false`.

    Raises:
        FileNotFoundError: no manifest.json at `path`.
        ValueError: a schema version this code does not know.
    """
    root = Path(path)
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r} (known: {', '.join(TABLES)})")
    meta = manifest_io.read(root / MANIFEST)
    trials = _read(root / TRIALS, TABLES["trials"])
    frame = trials if table == "trials" else _read(root / _FILES[table], TABLES[table])
    if table in ("timeseries", "kinds"):  # the rows of committed trials only
        frame = frame[frame["trial_id"].isin(set(trials["trial_id"]))].reset_index(drop=True)
    frame.attrs["manifest"] = meta
    frame.attrs["path"] = str(root)
    return frame


def error_kinds(frame: pd.DataFrame) -> pd.Series:
    """The `error_kinds` column parsed: one dict per trial."""
    return frame["error_kinds"].map(lambda text: json.loads(text) if text else {})


def _read(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    text = {c.name for c in columns if c.dtype == "text"}
    names = [c.name for c in columns]
    dtypes = dict.fromkeys(text, "string")
    if not path.exists():
        return pd.DataFrame({name: pd.Series(dtype=dtypes.get(name, "float64")) for name in names})
    frame = pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values={name: [""] for name in names if name not in text},
    )
    for name in names:
        if name not in frame:  # a column of a later schema version than the run's
            if name in text:
                frame[name] = pd.Series([""] * len(frame), dtype="string", index=frame.index)
            else:
                frame[name] = float("nan")
    return frame[names]
