# E4, back-pressure over time: slow readers (clients that pipeline requests at full speed and
# read answers at `read_rate` bytes/s) against each server with its back-pressure on and off.
# With it off, answers the client is not reading pile up in the server's user-space buffers and
# its memory grows for as long as the load lasts; with it on, the server stops reading (or its
# send blocks), so memory stays flat. The evidence is the server's own time series.
#
# Rules of this file: the table is the long time series (one row per server sample) with every
# trial's identity and its per-trial figures repeated on each row, so the findings and the figure
# need nothing but the table; a trial without server samples still has one row (t = NaN), so its
# per-trial figures are never dropped.
"""E4 analysis: `table(run)` (server time series of slow-reader trials), `summary`, `findings`.

`table(run)` columns, one row per server sample (10 Hz) of each trial:

- trial_id, impl, backpressure ("on" | "off"; the server option `backpressure`, default on),
  repetition, read_rate (bytes/s each slow reader reads), flags, flagged;
- t (s from the start of measurement; warm-up is negative), rss_mib (MiB), buffered_out (bytes
  of output the server holds, admin gauge: every 5th sample, NaN between), reading_paused
  (connections whose reading is paused), queue_depth (all internal queues);
- per trial, repeated on its rows: rss_peak_kib, rss_growth_kib_s (least-squares slope of RSS
  over the measurement, KiB/s; computed from the samples when the trial row has none),
  buffered_peak (bytes).

`summary(table)` has one row per (impl, backpressure): n, rss_growth_kib_s with its bootstrap
interval (`_low`, `_high`), rss_peak_kib and buffered_peak (medians and intervals), flags,
flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E4"

COLUMNS = [
    "trial_id",
    "impl",
    "backpressure",
    "repetition",
    "read_rate",
    "flags",
    "flagged",
    "t",
    "rss_mib",
    "buffered_out",
    "reading_paused",
    "queue_depth",
    "rss_peak_kib",
    "rss_growth_kib_s",
    "buffered_peak",
]

SUMMARY_VALUES = ["rss_growth_kib_s", "rss_peak_kib", "buffered_peak"]

_PER_TRIAL = ["trial_id", "impl", "backpressure", "repetition", "read_rate", "flags"]


def backpressure_of(options: str) -> str:
    """ "on" or "off" from an options cell: back-pressure is on unless `backpressure` is false."""
    value = (stats.option(options, "backpressure") or "true").lower()
    return "off" if value in {"false", "off", "0", "no"} else "on"


def table(run: Run) -> pd.DataFrame:
    """The server time series of the run's E4 slow-reader trials (`read_rate > 0`), long form
    (columns in the module docstring); empty, with the columns, when there are none."""
    trials = run.measured(KEY)
    trials = trials[trials["read_rate"].fillna(0) > 0]
    if trials.empty:
        return run.empty(COLUMNS)
    trials = trials.assign(
        backpressure=trials["options"].map(backpressure_of),
        flags=trials["flags"].fillna(""),
    )
    series = run.timeseries
    series = series[(series["source"] == "server") & series["trial_id"].isin(trials["trial_id"])]
    series = series[["trial_id", "t", "rss_kib", "buffered_out", "reading_paused", "queue_depth"]]
    per_trial = ["server_rss_peak_kib", "server_rss_growth_kib_s", "server_buffered_peak"]
    out = (
        trials[[*_PER_TRIAL, *per_trial]]
        .merge(series, on="trial_id", how="left")
        .sort_values(["trial_id", "t"])
    )
    out["rss_mib"] = out["rss_kib"] / 1024
    out["flagged"] = out["flags"] != ""
    out = out.rename(
        columns={
            "server_rss_peak_kib": "rss_peak_kib",
            "server_rss_growth_kib_s": "rss_growth_kib_s",
            "server_buffered_peak": "buffered_peak",
        }
    )
    out = _fill_per_trial(out)
    frame = out[COLUMNS].reset_index(drop=True)
    frame.attrs["manifest"] = run.manifest
    return frame


def _fill_per_trial(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-trial figures the trial row lacks, from its samples: growth as the least-squares
    slope over t >= 0 (what the sampler computes), peaks as the samples' maxima."""
    parts = []
    for _, group in frame.groupby("trial_id", sort=False):
        g = group.copy()
        window = g[(g["t"] >= 0) & g["rss_kib"].notna()]
        if g["rss_growth_kib_s"].isna().all() and len(window) >= 2:
            slope = np.polyfit(window["t"].astype(float), window["rss_kib"].astype(float), 1)[0]
            g["rss_growth_kib_s"] = round(float(slope), 3) + 0.0  # no -0.0 or 1e-13 KiB/s
        if g["rss_peak_kib"].isna().all() and g["rss_kib"].notna().any():
            g["rss_peak_kib"] = float(g["rss_kib"].max())
        if g["buffered_peak"].isna().all() and g["buffered_out"].notna().any():
            g["buffered_peak"] = float(g["buffered_out"].max())
        parts.append(g)
    return pd.concat(parts, ignore_index=True)


def summary(source: Run | pd.DataFrame) -> pd.DataFrame:
    """Per (impl, backpressure): the medians over repetitions of RSS growth (KiB/s), peak RSS
    (KiB) and peak buffered output (bytes), with bootstrap intervals (`stats.summarise`).

    Args:
        source: a run, or the `table` of one.
    """
    frame = table(source) if isinstance(source, Run) else source
    keys = ["impl", "backpressure"]
    if frame.empty:
        columns = [*keys, "n", *[f"{v}{s}" for v in SUMMARY_VALUES for s in ("", "_low", "_high")]]
        return pd.DataFrame(columns=[*columns, "flags", "flagged"])
    # The run's order of impls (the profile's: teaching order), "off" before "on".
    trials = frame.drop_duplicates("trial_id").sort_values("backpressure", kind="stable")
    out = stats.summarise(trials, SUMMARY_VALUES, keys)
    first = {impl: n for n, impl in enumerate(frame["impl"].unique())}
    out = out.sort_values("impl", key=lambda s: s.map(first), kind="stable")
    out = out.reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def findings(frame: pd.DataFrame) -> list[str]:
    """RSS growth per second with back-pressure off versus on, per impl (medians over
    repetitions; "no measurable difference" where the intervals overlap), the largest buffer
    build-up, and the flagged trials. [] for an empty table."""
    if frame.empty:
        return []
    cells = summary(frame)
    by_impl: dict[str, dict[str, pd.Series]] = {}
    for _, row in cells.iterrows():
        by_impl.setdefault(str(row["impl"]), {})[str(row["backpressure"])] = row
    parts, level = [], []
    for impl, sides in by_impl.items():
        if "on" not in sides or "off" not in sides:
            only = next(iter(sides))
            growth = stats.value_interval(sides[only], "rss_growth_kib_s")
            parts.append(f"{impl} {stats.describe(growth, 'KiB/s')} with back-pressure {only} only")
            continue
        off = stats.value_interval(sides["off"], "rss_growth_kib_s")
        on = stats.value_interval(sides["on"], "rss_growth_kib_s")
        verdict = _verdict(off, on)
        parts.append(
            f"{impl} {stats.describe(off, 'KiB/s')} off vs {stats.describe(on, 'KiB/s')} on "
            f"({verdict})"
        )
        if verdict == "no measurable difference":
            level.append(impl)
    out = [
        "Server RSS growth during the measurement with back-pressure off vs on (median over "
        "repetitions): " + "; ".join(parts) + "."
    ]
    off_cells = cells[cells["backpressure"] == "off"]
    if not off_cells.empty and off_cells["rss_growth_kib_s"].notna().any():
        worst = off_cells.loc[off_cells["rss_growth_kib_s"].idxmax()]
        sentence = (
            f"The fastest growth with back-pressure off is {worst['impl']}'s, "
            f"{stats.number(worst['rss_growth_kib_s'] * 60 / 1024)} MiB per minute"
        )
        if not np.isnan(worst["buffered_peak"]):
            sentence += (
                f", with up to {stats.number(worst['buffered_peak'] / 2**20)} MiB of "
                "unsent output buffered"
            )
        out.append(sentence + ".")
    if "threads" in level:
        out.append(
            "threads shows no measurable difference between on and off: it blocks in send() "
            "and keeps no user-space output buffer, so it has back-pressure for free."
        )
    flagged = frame.drop_duplicates("trial_id")
    flag_text = stats.flag_sentence(
        (f"{r.trial_id} ({r.impl}, back-pressure {r.backpressure})", r.flags)
        for r in flagged.itertuples()
    )
    if flag_text:
        out.append(flag_text)
    return out


def _verdict(off: stats.Interval, on: stats.Interval) -> str:
    if min(off.n, on.n) < stats.MIN_REPETITIONS:
        return f"fewer than {stats.MIN_REPETITIONS} repetitions: not compared"
    if off.overlaps(on):
        return "no measurable difference"
    if on.median and on.median > 0:
        return f"off grows {stats.times(off.median / on.median)} as fast"
    return f"off grows {stats.number(off.median - on.median)} KiB/s faster"
