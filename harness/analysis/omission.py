# E5, coordinated omission: the stall target freezes for S ms every P ms, and two drivers
# measure it - a closed loop (latency from the moment a request is written, so a stall delays
# only the requests in flight and then holds the next ones back unsent) and an open loop
# (latency from each request's intended send time, so a stall is charged to every request
# scheduled while it lasted). The same stalls, two very different spectra.
#
# Rules of this file: the spectrum comes from the merged histograms of the repetitions (one
# distribution of every request measured), never from medians of per-trial percentiles; the
# comparison of the two drivers' p99 is drawn between the per-trial p99 intervals.
"""E5 analysis: `table(run)` (latency spectra, closed vs open loop), `summary`, `findings`.

`table(run)` is long, one row per (stall setting, mode, spectrum point):

- stall_ms, period_ms (the stall target's options), mode ("closed" | "open");
- point ("p50", "p75", ..., "p9999", "max"), percentile (50 ... 99.99; 100 for max),
  latency_us (from the repetitions' histograms merged);
- trials (repetitions merged), requests (values in the merged histogram), flags, flagged;
- p99_trial_us, p99_trial_low, p99_trial_high: the median over repetitions of each trial's own
  p99 and its bootstrap interval (what the comparison of the two modes is drawn on).

`summary(table)`: one row per (stall_ms, period_ms, mode) with p50_us, p99_us, max_us (merged)
and the per-trial p99 interval.
"""

from __future__ import annotations

import math

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E5"
STALL_IMPL = "stall"

COLUMNS = [
    "stall_ms",
    "period_ms",
    "mode",
    "point",
    "percentile",
    "latency_us",
    "trials",
    "requests",
    "flags",
    "flagged",
    "p99_trial_us",
    "p99_trial_low",
    "p99_trial_high",
]

SUMMARY_COLUMNS = [
    "stall_ms",
    "period_ms",
    "mode",
    "trials",
    "requests",
    "p50_us",
    "p99_us",
    "max_us",
    "p99_trial_us",
    "p99_trial_low",
    "p99_trial_high",
    "flags",
    "flagged",
]

MODES = ("closed", "open")


def _ms_option(options: str, name: str) -> float:
    value = stats.option(options, name) or stats.option(options, name.replace("_", "-"))
    try:
        return float(value) if value is not None else math.nan
    except ValueError:
        return math.nan


def table(run: Run) -> pd.DataFrame:
    """The latency spectrum of each (stall setting, mode) of the run's E5 stall trials, from
    the repetitions' merged histograms (columns in the module docstring); empty, with the
    columns, when the run has none."""
    trials = run.measured(KEY)
    trials = trials[trials["impl"] == STALL_IMPL]
    if trials.empty:
        return run.empty(COLUMNS)
    trials = trials.assign(
        stall_ms=trials["options"].map(lambda o: _ms_option(o, "stall_ms")),
        period_ms=trials["options"].map(lambda o: _ms_option(o, "period_ms")),
        flags=trials["flags"].fillna(""),
    )
    keys = ["stall_ms", "period_ms", "mode"]
    p99 = stats.by_cell(trials, "p99_us", keys)
    rows = []
    for (_, cell), group in zip(p99.iterrows(), _groups(trials, keys, p99), strict=True):
        merged = run.merged([h for h in group["histogram"] if h])
        points = stats.spectrum(merged)
        for label, percentile in stats.SPECTRUM:
            rows.append(
                {
                    "stall_ms": cell["stall_ms"],
                    "period_ms": cell["period_ms"],
                    "mode": cell["mode"],
                    "point": label,
                    "percentile": percentile,
                    "latency_us": points[label],
                    "trials": int(cell["n"]),
                    "requests": int(merged.get_total_count()),
                    "flags": cell["flags"],
                    "flagged": bool(cell["flagged"]),
                    "p99_trial_us": cell["median"],
                    "p99_trial_low": cell["low"],
                    "p99_trial_high": cell["high"],
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs["manifest"] = run.manifest
    return frame


def _groups(trials: pd.DataFrame, keys: list[str], cells: pd.DataFrame) -> list[pd.DataFrame]:
    """The trials of each `by_cell` row, in its order."""
    out = []
    for _, cell in cells.iterrows():
        pick = pd.Series(True, index=trials.index)
        for k in keys:
            value = cell[k]
            pick &= trials[k].isna() if _isnan(value) else trials[k] == value
        out.append(trials[pick])
    return out


def _isnan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (stall_ms, period_ms, mode): merged p50/p99/max and the per-trial p99
    interval (columns `SUMMARY_COLUMNS`)."""
    if frame.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    keys = ["stall_ms", "period_ms", "mode"]
    wide = frame.pivot_table(
        index=keys, columns="point", values="latency_us", aggfunc="first", dropna=False
    )
    first = frame.groupby(keys, dropna=False, sort=False).first().reset_index()
    out = first.merge(
        wide[["p50", "p99", "max"]].rename(columns=lambda c: f"{c}_us").reset_index(), on=keys
    )
    out = out[SUMMARY_COLUMNS].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def findings(frame: pd.DataFrame) -> list[str]:
    """What each driver reports on the same stalls (p99 closed vs open, how many times higher,
    "no measurable difference" when the per-trial intervals overlap), the share of requests a
    stall of S ms every P ms delays, and the flagged cells. [] for an empty table."""
    if frame.empty:
        return []
    cells = summary(frame)
    out: list[str] = []
    for (stall, period), group in cells.groupby(["stall_ms", "period_ms"], dropna=False):
        modes = {str(r["mode"]): r for _, r in group.iterrows()}
        setting = _setting(stall, period)
        if "closed" in modes and "open" in modes:
            closed, opened = modes["closed"], modes["open"]
            x, y = closed["p99_us"] / 1000, opened["p99_us"] / 1000
            sentence = (
                f"On the same stalls ({setting}), the closed-loop driver reports p99 "
                f"{stats.number(x)} ms, the open-loop driver {stats.number(y)} ms"
            )
            verdict = _verdict(closed, opened)
            if verdict is None and x > 0:
                sentence += f" ({stats.times(y / x)} higher)"
            elif verdict is not None:
                sentence += f" ({verdict})"
            out.append(sentence + ".")
        else:
            for mode, row in modes.items():
                out.append(
                    f"Only the {mode}-loop driver measured {setting}: p99 "
                    f"{stats.number(row['p99_us'] / 1000)} ms."
                )
        if stall > 0 and period > 0:
            share = min(1.0, stall / period)
            line = (
                f"A stall of {stats.number(stall)} ms every {stats.number(period)} ms delays "
                f"about {stats.number(share * 100)} % of requests, by up to "
                f"{stats.number(stall)} ms"
            )
            # Half of the delayed requests waited more than half a stall: the spectrum point
            # nearest 100 * (1 - share / 2) is the median delayed request's.
            point, percentile = min(
                stats.SPECTRUM, key=lambda lp: abs(lp[1] - 100 * (1 - share / 2))
            )
            seen = [
                f"the {mode}-loop driver measures {stats.number(latency / 1000)} ms"
                for mode in MODES
                if mode in modes
                and not math.isnan(latency := _at(frame, stall, period, mode, point))
            ]
            if seen and percentile < 100:
                line += f"; at p{stats.number(percentile)} " + ", ".join(seen)
            out.append(line + ".")
    flag_text = stats.flag_sentence(
        (f"{r['mode']}-loop {_setting(r['stall_ms'], r['period_ms'])}", str(r["flags"]))
        for _, r in cells.iterrows()
    )
    if flag_text:
        out.append(flag_text)
    return out[:4]


def _setting(stall: float, period: float) -> str:
    if math.isnan(stall) or math.isnan(period):
        return "stall settings not recorded"
    return f"{stats.number(stall)} ms every {stats.number(period)} ms"


def _verdict(closed: pd.Series, opened: pd.Series) -> str | None:
    """None when the per-trial p99 intervals differ; otherwise why no ratio is drawn."""
    a = stats.Interval(
        closed["p99_trial_us"], closed["p99_trial_low"], closed["p99_trial_high"], closed["trials"]
    )
    b = stats.Interval(
        opened["p99_trial_us"], opened["p99_trial_low"], opened["p99_trial_high"], opened["trials"]
    )
    if min(a.n, b.n) < stats.MIN_REPETITIONS:
        return f"fewer than {stats.MIN_REPETITIONS} repetitions: not compared"
    if a.overlaps(b):
        return "no measurable difference"
    return None


def _at(frame: pd.DataFrame, stall: float, period: float, mode: str, point: str) -> float:
    """The latency (us) at spectrum point `point` of one (stall setting, mode)."""
    rows = frame[
        (frame["stall_ms"] == stall)
        & (frame["period_ms"] == period)
        & (frame["mode"] == mode)
        & (frame["point"] == point)
    ]
    return float(rows["latency_us"].iloc[0]) if not rows.empty else math.nan
