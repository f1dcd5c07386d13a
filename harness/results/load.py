# The one loader: the report, the notebooks and the summary tables all read runs through
# `load`, so a format change is handled here once (see the history in schema.py).
"""`load(path) -> pandas.DataFrame`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd  # type: ignore[import-untyped]

from . import manifest as manifest_io
from .run import KINDS, MANIFEST, PROBES, TIMESERIES, TRIALS
from .schema import KIND_COLUMNS, PROBE_COLUMNS, TIMESERIES_COLUMNS, TRIAL_COLUMNS

Table = Literal["trials", "timeseries", "kinds", "probes"]

_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "trials": (TRIALS, TRIAL_COLUMNS),
    "timeseries": (TIMESERIES, TIMESERIES_COLUMNS),
    "kinds": (KINDS, KIND_COLUMNS),
    "probes": (PROBES, PROBE_COLUMNS),
}

_TEXT_COLUMNS = {
    "trial_id",
    "role",
    "impl",
    "options",
    "protocol",
    "workload",
    "mode",
    "arrivals",
    "error_kinds",
    "driver",
    "server_cpus",
    "driver_cpus",
    "flags",
    "started_at",
    "histogram",
    "source",
    "queues",
    "experiment",
    "kind",
    "probe_id",
    "probe",
    "variant",
    "unit",
    "note",
}


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
    if table not in _TABLES:
        raise ValueError(f"unknown table {table!r} (known: {', '.join(_TABLES)})")
    meta = manifest_io.read(root / MANIFEST)
    name, columns = _TABLES[table]
    trials = _read(root / TRIALS, TRIAL_COLUMNS)
    if table in ("trials", "probes"):
        frame = trials if table == "trials" else _read(root / name, columns)
    else:
        frame = _read(root / name, columns)
        frame = frame[frame["trial_id"].isin(set(trials["trial_id"]))].reset_index(drop=True)
    frame.attrs["manifest"] = meta
    frame.attrs["path"] = str(root)
    return frame


def error_kinds(frame: pd.DataFrame) -> pd.Series:
    """The `error_kinds` column parsed: one dict per trial."""
    return frame["error_kinds"].map(lambda text: json.loads(text) if text else {})


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    dtypes = {name: "string" for name in columns if name in _TEXT_COLUMNS}
    if not path.exists():
        return pd.DataFrame(
            {name: pd.Series(dtype=dtypes.get(name, "float64")) for name in columns}
        )
    frame = pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values={name: [""] for name in columns if name not in _TEXT_COLUMNS},
    )
    for name in columns:
        if name not in frame:  # a column of a later schema version than the run's
            if name in _TEXT_COLUMNS:
                frame[name] = pd.Series([""] * len(frame), dtype="string", index=frame.index)
            else:
                frame[name] = float("nan")
    return frame[list(columns)]
