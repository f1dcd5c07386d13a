# How a number reads on the page: a table header carries its unit once ("p99 (µs)") and the
# cells carry digits only, grouped and rounded to what a benchmark can resolve (three
# significant digits - the HdrHistograms hold no more).
#
# Rules of this file: pure functions of values and column names; no pandas state is changed.
"""Units of columns, formatted cells and the compact tables of the report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

MAX_ROWS = 40
"""Rows of an experiment's table shown in the report; the rest are counted, not printed."""

MAX_COLUMNS = 10
"""Columns of an experiment's table shown when it does not name its main ones."""

TRIAL_ID_COLUMNS = ("trial_ids", "trials", "trial_id", "probe_ids", "probe_id")
"""Columns that say which trials (or probes) a row came from, in order of preference."""

_SKIPPED = {"histogram", "histograms", "flagged", "started_at", "queues", "error_kinds"}

_UNITS_EXACT = {
    "rps": "req/s",
    "rate": "req/s",
    "goodput": "req/s",
    "offered": "req/s",
    "achieved": "req/s",
    "achieved_rate": "%",
    "mb_s": "MB/s",
    "server_cpu_util": "% of a core",
    "cpu_util": "% of a core",
    "driver_cpu": "% of a CPU",
    "driver_wait": "%",
    "rate_fraction": "x capacity",
    "payload": "B",
    "read_rate": "B/s",
    "server_buffered_peak": "B",
    "buffered_out": "B",
}
_UNITS_SUFFIX = (
    ("_us_per_req", "µs"),
    ("_kib_s", "KiB/s"),
    ("_us", "µs"),
    ("_ms", "ms"),
    ("_kib", "KiB"),
    ("_rps", "req/s"),
    ("_pct", "%"),
    ("_share", "%"),
    ("_bytes", "B"),
    ("_s", "s"),
)
_PERCENT = {"%", "% of a core", "% of a CPU"}


def unit(column: str) -> str | None:
    """The unit of a column, from its name (`p99_us` -> µs); None for counts and text."""
    if column in _UNITS_EXACT:
        return _UNITS_EXACT[column]
    for suffix, name in _UNITS_SUFFIX:
        if column.endswith(suffix):
            return name
    return None


def header(column: str, unit_name: str | None = None) -> str:
    """A table header: the column's name and, in brackets, its unit."""
    name = unit_name if unit_name is not None else unit(column)
    return f"{column} ({name})" if name else column


def number(value: float, unit_name: str | None = None) -> str:
    """`value` with three significant digits, thousands grouped; percentages times 100."""
    if math.isnan(value):
        return ""
    if unit_name in _PERCENT:
        value *= 100
    magnitude = abs(value)
    if magnitude >= 100 or (magnitude >= 10 and value == int(value)):
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    if magnitude >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def cell(value: Any, unit_name: str | None = None) -> str:
    """One table cell as text: numbers via `number`, lists joined, booleans as yes/no."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and unit_name not in _PERCENT:
        return f"{value:,}"
    if isinstance(value, int | float):
        return number(float(value), unit_name)
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        return cell(value.item(), unit_name)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Table:
    """A table as the page shows it: headers and rows of text, and how many rows were left off.

    numeric: per column, right-aligned (numbers). same: (column, value) pairs equal in every
    row, said once under the table instead of repeated. intervals: some cells read
    `median [low - high]`.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    left_off: int = 0
    numeric: tuple[bool, ...] = ()
    same: tuple[tuple[str, str], ...] = ()
    intervals: bool = False

    def note(self) -> str:
        """What the page says under the table: the constant columns and the interval notation."""
        parts = []
        if self.same:
            parts.append("In every row: " + ", ".join(f"{k} {v}" for k, v in self.same) + ".")
        if self.intervals:
            parts.append("a [b - c]: median over the repetitions and its bootstrap 95 % interval.")
        return " ".join(parts)


_UNIT_WORDS = {"us": "µs", "ms": "ms", "s": "s", "rps": "req/s", "req/s": "req/s"}


def compact(frame: pd.DataFrame, *, max_rows: int = MAX_ROWS) -> Table:
    """An experiment's table for the page: its main columns, units in the headers, a median
    with its interval in one cell (`median`/`low`/`high`, or `x`/`x_low`/`x_high`), columns
    equal in every row said once, the trial ids last.

    The table may name its main columns in `frame.attrs["columns"]` and the unit of its
    `median`/`low`/`high` in `frame.attrs["unit"]` (or the summarised column in
    `frame.attrs["value"]`, or a `unit` column).
    """
    given = frame.attrs.get("columns")
    ids = next((c for c in TRIAL_ID_COLUMNS if c in frame.columns), None)
    names = [str(c) for c in frame.columns]
    bounds = {
        base: (low, high)
        for base, low, high in [("median", "low", "high")]
        + [(c, f"{c}_low", f"{c}_high") for c in names]
        if base in names and low in names and high in names
    }
    folded = {b for pair in bounds.values() for b in pair}
    value_unit = _value_unit(frame)

    def unit_of(column: str) -> str | None:
        return value_unit if column in ("median", "low", "high") else unit(column)

    def text(record: pd.Series, column: str) -> str:
        shown = cell(record[column], unit_of(column))
        if column in bounds and shown:
            low, high = (cell(record[b], unit_of(column)) for b in bounds[column])
            if low and high and (low != shown or high != shown):
                shown = f"{shown} [{low} - {high}]"
        return shown

    if given:
        columns = [c for c in given if c in names and c not in folded]
    else:
        columns = [c for c in names if c not in _SKIPPED and c != ids and c not in folded]
    shown_rows = frame.head(max_rows)
    texts = {c: [text(r, c) for _, r in shown_rows.iterrows()] for c in columns}
    same: list[tuple[str, str]] = []
    if not given:
        several = len(shown_rows) > 1
        kept: list[str] = []
        for column in columns:
            values = texts[column]
            if not any(values):
                continue
            if several and len(set(values)) == 1:
                name = unit_of(column)
                same.append((column, f"{values[0]} {name}" if name else values[0]))
            elif not several or not any(texts[k] == values for k in kept):  # not a copy
                kept.append(column)
        columns = kept[:MAX_COLUMNS]
    if ids:
        texts[ids] = [text(r, ids) for _, r in shown_rows.iterrows()]
        if any(texts[ids]):
            columns.append(ids)
    headers = tuple(
        f"median ({unit_of(c)})" if c == "median" and unit_of(c) else header(c, unit_of(c))
        for c in columns
    )
    numeric = tuple(
        bool(pd.api.types.is_numeric_dtype(frame[c].dtype)) and c != ids for c in columns
    )
    rows = tuple(tuple(texts[c][n] for c in columns) for n in range(len(shown_rows)))
    return Table(
        headers=headers,
        rows=rows,
        left_off=max(0, len(frame) - max_rows),
        numeric=numeric,
        same=tuple(same),
        intervals=any(" [" in t and c in bounds for c in columns for t in texts[c]),
    )


def _value_unit(frame: pd.DataFrame) -> str | None:
    """The unit of a `median`/`low`/`high` table: attrs, or a `unit` column equal in all rows."""
    if frame.attrs.get("unit"):
        return str(frame.attrs["unit"])
    if frame.attrs.get("value"):
        return unit(str(frame.attrs["value"]))
    if "unit" in frame.columns:
        units = {str(u) for u in frame["unit"].dropna()}
        if len(units) == 1:
            only = units.pop()
            return _UNIT_WORDS.get(only, only)
    return None


def simple(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A Table of text the report composed itself."""
    return Table(tuple(headers), tuple(tuple(r) for r in rows), 0, tuple(False for _ in headers))
