# E8: the HTTP parser's cost under every model: closed loop ping, 64 connections, each server
# with `parser=httptools` (llhttp, C) and `parser=h11` (pure Python).
#
# Rules of this file: the ratio of two medians is reported with the widest interval the two
# intervals allow (`stats.ratio`); a ratio whose interval contains 1 is "no measurable
# difference"; every number a finding prints is read from the table.
"""E8 table (req/s and CPU per request under each parser, their ratios) and findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E8"
FAST, SLOW = "httptools", "h11"
PARSERS = (FAST, SLOW)
PARSER_OPTION = "parser"
CPU = "server_cpu_us_per_req"
VALUES = ["rps", CPU]

COLUMNS = [
    "server",
    "impl",
    "options",
    *[
        c
        for p in PARSERS
        for c in (
            f"n_{p}",
            *[x for v in VALUES for x in (f"{v}_{p}", f"{v}_{p}_low", f"{v}_{p}_high")],
            f"flags_{p}",
            f"flagged_{p}",
        )
    ],
    "rps_ratio",
    "rps_ratio_low",
    "rps_ratio_high",
    "cpu_ratio",
    "cpu_ratio_low",
    "cpu_ratio_high",
    "flags",
    "flagged",
]
"""The table's columns: per parser p, `n_p` repetitions, `rps_p` and `server_cpu_us_per_req_p`
medians with `_low`/`_high` intervals, `flags_p`/`flagged_p`; `rps_ratio` is httptools' req/s
over h11's, `cpu_ratio` h11's CPU per request over httptools' (both > 1 when httptools is the
cheaper parser); `options` are the server's options without `parser`."""


def table(run: Run) -> pd.DataFrame:
    """E8's cells: one row per server (impl + options other than parser), in the order first
    measured, with both parsers' medians, intervals and flags side by side and their ratios;
    `attrs["manifest"]` is the run's. A server measured with one parser only has NaN for the
    other and for the ratios."""
    trials = run.measured(KEY)
    if trials.empty:
        return run.empty(COLUMNS)
    trials = trials.assign(
        parser=[stats.option(o, PARSER_OPTION) or "" for o in trials["options"]],
        options=[stats.without_option(o, PARSER_OPTION) for o in trials["options"]],
    )
    trials = trials[trials["parser"].isin(PARSERS)]
    cells = stats.summarise(trials, VALUES, ["impl", "options", "parser"])
    rows = []
    for (impl, options), group in cells.groupby(["impl", "options"], sort=False):
        row: dict[str, Any] = {
            "server": stats.server_label(impl, options),
            "impl": impl,
            "options": options,
        }
        for p in PARSERS:
            mine = group[group["parser"] == p]
            cell = mine.iloc[0] if not mine.empty else None
            row[f"n_{p}"] = int(cell["n"]) if cell is not None else 0
            for v in VALUES:
                for suffix in ("", "_low", "_high"):
                    row[f"{v}_{p}{suffix}"] = (
                        float(cell[f"{v}{suffix}"]) if cell is not None else float("nan")
                    )
            row[f"flags_{p}"] = str(cell["flags"]) if cell is not None else ""
            row[f"flagged_{p}"] = bool(cell["flagged"]) if cell is not None else False
        rps = stats.ratio(_interval(row, "rps", FAST), _interval(row, "rps", SLOW))
        cpu = stats.ratio(_interval(row, CPU, SLOW), _interval(row, CPU, FAST))
        row |= stats.interval_columns("rps_ratio", rps) | stats.interval_columns("cpu_ratio", cpu)
        flags = sorted({f for p in PARSERS for f in str(row[f"flags_{p}"]).split(";") if f})
        row["flags"] = ";".join(flags)
        row["flagged"] = bool(flags)
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs = {"manifest": run.manifest}
    return out


def _interval(row: Mapping[str, Any], value: str, parser: str) -> stats.Interval:
    return stats.Interval(
        float(row[f"{value}_{parser}"]),
        float(row[f"{value}_{parser}_low"]),
        float(row[f"{value}_{parser}_high"]),
        int(row[f"n_{parser}"]),
    )


def findings(table: pd.DataFrame) -> list[str]:
    """The range of the throughput ratio (httptools over h11) across servers, the range of the
    CPU-per-request ratio, whether the servers rank the same under both parsers, servers with
    one parser only, flagged cells."""
    if table.empty:
        return []
    both = table.dropna(subset=["rps_ratio"])
    out: list[str] = []
    if both.empty:
        out.append(f"No server was measured with both {FAST} and {SLOW}: nothing to compare.")
    else:
        out.append(_range(both, "rps_ratio", f"{FAST} instead of {SLOW} moves throughput"))
        cpu = both.dropna(subset=["cpu_ratio"])
        if not cpu.empty:
            out.append(
                _range(
                    cpu, "cpu_ratio", f"{SLOW} costs", tail=f"the server CPU per request of {FAST}"
                )
            )
        if len(both) > 1:
            fast = list(both.sort_values(f"rps_{FAST}", ascending=False)["server"])
            slow = list(both.sort_values(f"rps_{SLOW}", ascending=False)["server"])
            if fast == slow:
                out.append(
                    f"The servers rank the same under both parsers (by median req/s): "
                    f"{' > '.join(fast)}."
                )
            else:
                out.append(
                    f"The ranking changes with the parser (by median req/s): {' > '.join(fast)} "
                    f"with {FAST}, {' > '.join(slow)} with {SLOW}."
                )
    one = table[table["rps_ratio"].isna()]
    if not one.empty:
        out.append(
            "Measured with one parser only: "
            + ", ".join(
                f"{r['server']} ({FAST if r[f'n_{FAST}'] else SLOW})" for _, r in one.iterrows()
            )
            + "."
        )
    flagged = stats.flag_sentence(
        (f"{r['server']} with {p}", r[f"flags_{p}"]) for _, r in table.iterrows() for p in PARSERS
    )
    if flagged:
        out.append(flagged)
    return out


def _range(rows: pd.DataFrame, column: str, head: str, *, tail: str = "") -> str:
    """ "<head> 3.9x (function) to 4.4x (eventloop)[ <tail>]", with the servers where the
    ratio's interval contains 1 or the repetitions are too few named."""
    ordered = rows.sort_values(column)
    low, high = ordered.iloc[0], ordered.iloc[-1]
    after = f" {tail}" if tail else ""
    if len(ordered) == 1:
        text = f"{head} {stats.times(low[column])} for {low['server']}{after}"
    else:
        text = (
            f"{head} {stats.times(low[column])} ({low['server']}) to "
            f"{stats.times(high[column])} ({high['server']}){after}"
        )
    few = [
        r["server"]
        for _, r in ordered.iterrows()
        if min(r[f"n_{FAST}"], r[f"n_{SLOW}"]) < stats.MIN_REPETITIONS
    ]
    noise = [
        r["server"]
        for _, r in ordered.iterrows()
        if r["server"] not in few and r[f"{column}_low"] <= 1 <= r[f"{column}_high"]
    ]
    if noise:
        text += f"; no measurable difference for {', '.join(noise)}"
    if few:
        text += (
            f"; fewer than {stats.MIN_REPETITIONS} repetitions: not compared for {', '.join(few)}"
        )
    elif not noise:
        text += "; every ratio's interval excludes 1"
    return text + "."
