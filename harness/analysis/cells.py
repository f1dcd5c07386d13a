# A cell is one server under one load; its repetitions are trials. The sweep's summary table, the
# report's validity checks and its labels all group trials into cells here, with the one key the
# schema defines (`harness.results.schema.CELL_COLUMNS`) plus the open-loop load.
#
# Rules of this file: pure functions of trials rows; the open-loop load of a cell is its fraction
# of capacity when it has one, else its rate (the resolved rate may differ by a little between
# the sessions of a resumed run, the fraction does not); Locust with 1 and with 2 workers are two
# cells (`stats.cell_drivers`, as in E10).
"""`KEYS`, `keyed(trials)` and `groups(trials)`: trials grouped into cells."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.results.schema import CELL_COLUMNS

KEYS = (*CELL_COLUMNS, "load")
"""What identifies a cell across repetitions (`load`: see `load_of`)."""


def keyed(trials: pd.DataFrame) -> pd.DataFrame:
    """`trials` with a `load` column, the drivers as cells name them (`locust:K`), and NaNs in
    the numeric key columns filled with -1, so that groupby keeps every row."""
    out = trials.copy()
    out["load"] = [load_of(row) for _, row in trials.iterrows()] if len(trials) else []
    if "driver_procs" in out:
        out["driver"] = stats.cell_drivers(out)
    for column in KEYS:
        if column in out and out[column].dtype.kind == "f":
            out[column] = out[column].fillna(-1)
    return out


def groups(trials: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """The trials of each cell (rows of `keyed(trials)`), in order of first appearance."""
    if trials.empty:
        return
    for _, group in keyed(trials).groupby(list(KEYS), sort=False, dropna=False):
        yield group


def load_of(row: pd.Series | dict[str, Any]) -> str:
    """An open-loop trial's load: `x0.5 capacity` or `1,000/s`; "" in closed mode."""
    if row.get("mode") != "open":
        return ""
    fraction = number_of(row.get("rate_fraction"))
    if fraction is not None:
        return f"x{fraction:g} capacity"
    rate = number_of(row.get("rate"))
    return f"{rate:,.0f}/s" if rate is not None else ""


def number_of(value: Any) -> float | None:
    """A cell's value as a number; None when it is empty, NaN or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
