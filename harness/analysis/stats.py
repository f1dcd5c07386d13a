# Statistics of repetitions: how sure a median is, and whether two medians differ at all.
#
# Rules of this file: a comparison is drawn only between intervals, never between two bare
# numbers (pyperf's and asv's habit: a difference inside the noise is "no measurable
# difference", not a ranking); the bootstrap is seeded, so a report is reproducible from its run.
"""Bootstrap intervals of the median, overlap tests and per-cell summaries with intervals."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

LEVEL = 0.95
"""Confidence level of every interval in the reports."""

RESAMPLES = 2000
"""Bootstrap resamples: enough for a stable 95 % interval of a median of 3-10 values."""

MIN_REPETITIONS = 3
"""Fewer repetitions than this and a comparison is not drawn at all (the report says so)."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A median with its bootstrap interval. `n` values went in; with n < 2 low = high = median."""

    median: float
    low: float
    high: float
    n: int

    @property
    def spread(self) -> float:
        """Half the interval's width over the median (0.05 = +-5 %); NaN for a zero median."""
        if not self.median or math.isnan(self.median):
            return float("nan")
        return (self.high - self.low) / 2 / abs(self.median)

    def overlaps(self, other: Interval) -> bool:
        """True when the two intervals share any value: no measurable difference."""
        return self.low <= other.high and other.low <= self.high


NO_INTERVAL = Interval(float("nan"), float("nan"), float("nan"), 0)
"""The interval of no values (a cell that did not run, a ratio without its reference)."""


def bootstrap_median(
    values: Iterable[float], *, level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0
) -> Interval:
    """The median of `values` (NaNs dropped) with a percentile-bootstrap interval.

    Returns an Interval of NaNs when no value is left.
    """
    data = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if data.size == 0:
        return NO_INTERVAL
    median = float(np.median(data))
    if data.size == 1:
        return Interval(median, median, median, 1)
    rng = np.random.default_rng(seed)
    samples = rng.choice(data, size=(resamples, data.size), replace=True)
    medians = np.median(samples, axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return Interval(median, float(low), float(high), int(data.size))


def compare(a: Interval, b: Interval) -> str:
    """`"higher"`, `"lower"` or `"no measurable difference"` for a against b.

    Too few repetitions on either side (< MIN_REPETITIONS) gives `"too few repetitions"`.
    """
    if a.n < MIN_REPETITIONS or b.n < MIN_REPETITIONS:
        return "too few repetitions"
    if a.overlaps(b):
        return "no measurable difference"
    return "higher" if a.median > b.median else "lower"


def by_cell(frame: pd.DataFrame, value: str, keys: Sequence[str], *, seed: int = 0) -> pd.DataFrame:
    """One row per `keys` group: n, median, low, high of `value` over its rows (repetitions),
    `flags` (the union of the rows' flags, ";"-joined) and `flagged` (any flag at all).

    Args:
        frame: trials (or kinds) rows, one per repetition.
        value: the column to summarise, e.g. "rps" or "p99_us".
        keys: the columns that identify a cell, e.g. ["impl", "connections"].
    """
    columns = [*keys, "n", "median", "low", "high", "flags", "flagged"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, group in frame.groupby(list(keys), sort=False, dropna=False):
        interval = bootstrap_median(group[value].astype(float), seed=seed)
        flags = sorted(
            {
                f
                for text in group.get("flags", pd.Series(dtype=str)).fillna("")
                for f in str(text).split(";")
                if f
            }
        )
        key_values = key if isinstance(key, tuple) else (key,)
        rows.append(
            [
                *key_values,
                interval.n,
                interval.median,
                interval.low,
                interval.high,
                ";".join(flags),
                bool(flags),
            ]
        )
    out = pd.DataFrame(rows, columns=columns)
    out.attrs = dict(frame.attrs)
    return out


def interval_of(row: pd.Series) -> Interval:
    """The Interval of a `by_cell` row."""
    return Interval(float(row["median"]), float(row["low"]), float(row["high"]), int(row["n"]))


# --- helpers shared by the experiments' analyses (appended for E4-E7) ---


def describe(interval: Interval, unit: str = "") -> str:
    """An interval as a sentence prints it (numbers through `number`): `1,000 KiB/s (95 % CI
    980-1,020, n=3)`; with n < 2 `1,000 KiB/s (n=1)`; with no values `no data`."""
    if interval.n == 0:
        return "no data"
    head = number(interval.median) + (f" {unit}" if unit else "")
    if interval.n < 2:
        return f"{head} (n={interval.n})"
    return f"{head} (95 % CI {number(interval.low)}-{number(interval.high)}, n={interval.n})"


class _Percentiles(Protocol):
    def get_total_count(self) -> int: ...
    def get_value_at_percentile(self, percentile: float) -> int: ...
    def get_max_value(self) -> int: ...


SPECTRUM: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p75", 75.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
    ("p995", 99.5),
    ("p999", 99.9),
    ("p9995", 99.95),
    ("p9999", 99.99),
    ("max", 100.0),
)
"""The points of a latency spectrum (label, percentile; 100 is the maximum): wrk2's list."""


def spectrum(histogram: _Percentiles) -> dict[str, float]:
    """A histogram's latency at every `SPECTRUM` point, by label (NaN when it is empty)."""
    if histogram.get_total_count() == 0:
        return {label: float("nan") for label, _ in SPECTRUM}
    return {
        label: float(
            histogram.get_max_value() if p >= 100 else histogram.get_value_at_percentile(p)
        )
        for label, p in SPECTRUM
    }


# Shared by the experiments' analyses (E1, E2, E3, E8, E9): several values summarised per cell
# at once, ratios of intervals, the options column, the names of servers and of their flags, and
# numbers as the findings print them.

FLAG_MEANINGS = {
    "driver_bound": "its throughput is a lower bound (the driver was the bottleneck)",
    "contended": "the machine was not quiet (a driver waited for a CPU)",
    "invalid": "the driver did not keep the open-loop schedule",
    "errors": "it had errors in the measurement window",
    "server_died": "the server exited during the trial",
    "failed": "the trial did not run",
    "idle_refused": "fewer idle connections were held than asked for",
}
"""What each trial flag means for a number read from a flagged cell, as a findings clause."""


def summarise(
    frame: pd.DataFrame, values: Sequence[str], keys: Sequence[str], *, seed: int = 0
) -> pd.DataFrame:
    """`by_cell` for several values at once: one row per `keys` group with `n` (the group's
    rows: repetitions), and for each value `v` the columns `v` (median), `v_low` and `v_high`
    (its bootstrap interval), then `flags` and `flagged` as in `by_cell`.

    Args:
        frame: one row per repetition.
        values: numeric columns to summarise, e.g. ["rps", "p99_us"].
        keys: the columns that identify a cell.
    """
    columns = [*keys, "n", *[c for v in values for c in (v, f"{v}_low", f"{v}_high")]]
    columns += ["flags", "flagged"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for key, group in frame.groupby(list(keys), sort=False, dropna=False):
        row: list[object] = [*(key if isinstance(key, tuple) else (key,)), len(group)]
        for v in values:
            interval = bootstrap_median(group[v].astype(float), seed=seed)
            row += [interval.median, interval.low, interval.high]
        flags = sorted({f for text in group["flags"].fillna("") for f in str(text).split(";") if f})
        rows.append([*row, ";".join(flags), bool(flags)])
    out = pd.DataFrame(rows, columns=columns)
    out.attrs = dict(frame.attrs)
    return out


def value_interval(row: pd.Series, value: str, n: str = "n") -> Interval:
    """The Interval of `value` in a `summarise` row (`value`, `value_low`, `value_high`)."""
    return Interval(
        float(row[value]), float(row[f"{value}_low"]), float(row[f"{value}_high"]), int(row[n])
    )


def interval_columns(name: str, interval: Interval) -> dict[str, float]:
    """An interval as a row's three columns, as `summarise` writes them: `name` (the median),
    `name_low` and `name_high`."""
    return {name: interval.median, f"{name}_low": interval.low, f"{name}_high": interval.high}


def interval_series(name: str, intervals: Sequence[Interval]) -> dict[str, list[float]]:
    """One interval per row as a table's three columns (`name`, `name_low`, `name_high`), for
    `frame.assign(**...)`."""
    return {
        name: [i.median for i in intervals],
        f"{name}_low": [i.low for i in intervals],
        f"{name}_high": [i.high for i in intervals],
    }


def ratio(a: Interval, b: Interval) -> Interval:
    """a / b, with the widest interval the two allow (a.low / b.high ... a.high / b.low): a
    ratio whose interval excludes 1 is a difference both intervals agree on. NaN when b's
    interval touches zero."""
    if not b.low > 0 or not b.median > 0:
        nan = float("nan")
        return Interval(nan, nan, nan, min(a.n, b.n))
    return Interval(a.median / b.median, a.low / b.high, a.high / b.low, min(a.n, b.n))


def option(options: str, name: str) -> str | None:
    """The value of `name` in an options cell ("key=value;key=value"), None when absent."""
    for item in str(options or "").split(";"):
        key, sep, value = item.partition("=")
        if sep and key.strip() == name:
            return value.strip()
    return None


def option_of(name: str, default: str) -> Callable[[str], str]:
    """A function of an options cell: the value of the server option `name`, `default` when the
    cell does not set it (`trials["options"].map(option_of("offload", "none"))`)."""
    return lambda options: option(options, name) or default


def ratios_to(cells: pd.DataFrame, reference: pd.DataFrame, value: str) -> list[Interval]:
    """Each row's `value` interval over the first `reference` row's, for a `ran_or_missing`
    table: NaN for a row that did not run, and for every row when there is no reference."""
    if reference.empty:
        return [NO_INTERVAL] * len(cells)
    base = value_interval(reference.iloc[0], value)
    return [
        ratio(value_interval(row, value), base) if row["missing"] == "" else NO_INTERVAL
        for _, row in cells.iterrows()
    ]


def without_option(options: str, name: str) -> str:
    """The options cell with `name` left out (what identifies a server across that option)."""
    kept = [i for i in str(options or "").split(";") if i and i.partition("=")[0].strip() != name]
    return ";".join(kept)


def ran_or_missing(
    trials: pd.DataFrame, values: Sequence[str], key: str, carried: Sequence[str]
) -> pd.DataFrame:
    """`summarise` of the trials that ran, by `key` (with the `carried` columns), then one row
    per `key` whose every trial failed: n 0, flagged `failed`, and in `missing` why (the last
    line of its first `failed` error kind) - so a table says a server or driver is absent
    instead of silently leaving it out. `missing` is "" for the rows that ran."""
    failed = trials["flags"].fillna("").str.split(";").map(lambda f: "failed" in f)
    ran = summarise(trials[~failed], values, [key, *carried])
    rows = [ran]
    absent = trials[failed & ~trials[key].isin(set(ran[key]))]
    if not absent.empty:
        rows.append(
            pd.DataFrame(
                {
                    key: name,
                    **{c: group[c].iloc[0] for c in carried},
                    "n": 0,
                    "flags": "failed",
                    "flagged": True,
                    "missing": failure_reason(group["error_kinds"]),
                }
                for name, group in absent.groupby(key, sort=False)
            )
        )
    out = pd.concat([r for r in rows if not r.empty], ignore_index=True)
    out["missing"] = out.get("missing", pd.Series("", index=out.index)).fillna("")
    return out


def missing_sentence(table: pd.DataFrame, label: str) -> str | None:
    """ "Did not run here: A: why; B: why." for the rows of a `ran_or_missing` table that did not
    run, each named by its `label` column; None when every row ran."""
    missing = table[table["missing"] != ""]
    if missing.empty:
        return None
    return (
        "Did not run here: "
        + "; ".join(f"{row[label]}: {row['missing']}" for _, row in missing.iterrows())
        + "."
    )


def failure_reason(error_kinds: pd.Series) -> str:
    """Why trials failed: the last line of the first `failed` entry of their error_kinds."""
    for text in error_kinds.fillna(""):
        try:
            kinds = json.loads(text) if text else {}
        except json.JSONDecodeError:
            continue
        if kinds.get("failed"):
            return str(kinds["failed"]).strip().splitlines()[-1]
    return "did not run"


def cell_drivers(trials: pd.DataFrame) -> list[str]:
    """The driver of each row as its cell names it: `locust:K` for Locust with K workers (so
    Locust with 1 and with 2 workers are two cells, as in E10), else the `driver` column."""
    if trials.empty:
        return []
    return [
        f"locust:{int(procs)}" if driver == "locust" else str(driver)
        for driver, procs in zip(trials["driver"], trials["driver_procs"], strict=True)
    ]


def server_label(impl: str, options: str) -> str:
    """A server's name in tables and legends: `impl`, or `impl[options]` with options (the
    form `harness.plots.style.color` reads the impl back from)."""
    return f"{impl}[{options}]" if options else str(impl)


def server_labels(frame: pd.DataFrame) -> list[str]:
    """`server_label` of every row of a table with `impl` and `options` columns."""
    return [server_label(i, o) for i, o in zip(frame["impl"], frame["options"], strict=True)]


def flag_sentence(cells: Iterable[tuple[str, str]], *, limit: int = 4) -> str | None:
    """One findings sentence naming flagged cells and what their flags mean, None if none is.
    Cells with the same flags are named together: "A and B were flagged driver_bound: their
    throughput is a lower bound (...)".

    Args:
        cells: (what the cell is, its ";"-joined flags), e.g. ("eventloop at 256 connections",
            "driver_bound").
        limit: cells named per set of flags before "and N more".
    """
    groups: dict[str, list[str]] = {}
    for what, flags in cells:
        names = sorted({f for f in str(flags).split(";") if f})
        if names:
            groups.setdefault("+".join(names), []).append(what)
    if not groups:
        return None
    parts = []
    for flags, whats in groups.items():
        meaning = "; ".join(FLAG_MEANINGS.get(f, f) for f in flags.split("+"))
        if len(whats) == 1:
            parts.append(f"{whats[0]} was flagged {flags}: {meaning}")
            continue
        named = whats[:limit]
        more = len(whats) - len(named)
        listed = ", ".join(named[:-1]) + (", " if more else " and ") + named[-1]
        listed += f" and {more} more" if more else ""
        meaning = meaning.replace("its ", "their ")
        parts.append(f"{listed} were flagged {flags}: {meaning}")
    return "; ".join(parts) + "."


def number(value: float) -> str:
    """A measured number as a sentence prints it: three significant digits, thousands
    separated (41,200; 10.9; 0.0421); "n/a" for NaN."""
    if value is None or math.isnan(value):
        return "n/a"
    rounded = float(f"{value:.3g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 1000 else f"{rounded:g}"


def times(value: float) -> str:
    """A ratio as a sentence prints it: 1.91x, 0.62x, 12x."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.3g}x" if value < 100 else f"{value:,.0f}x"
