# E2: server CPU per request, open loop at one absolute rate every server sustains.
#
# Rules of this file: the cost compared is `server_cpu_us_per_req` (the server's CPU time over
# the measurement divided by its right answers: independent of the driver); a server that did
# not sustain the offered rate is named, because its cost was measured at another load.
"""E2 table (us of server CPU per request per server, with intervals) and findings."""

from __future__ import annotations

import itertools

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E2"
KEYS = ["impl", "options"]
VALUES = ["server_cpu_us_per_req", "rps", "p99_us", "rate"]
COLUMNS = [
    "server",
    *KEYS,
    "n",
    *[c for v in VALUES for c in (v, f"{v}_low", f"{v}_high")],
    "sustained",
    "flags",
    "flagged",
]
"""The table's columns; `sustained` is the achieved share of the offered rate (rps / rate)."""

SUSTAINED_MIN = 0.95
"""Below this share of the offered rate answered, a server's cost was measured at a lower load."""

REFERENCE, CHALLENGER = "eventloop", "actor"


def table(run: Run) -> pd.DataFrame:
    """E2's cells: one row per server (impl + options), cheapest first, with
    `server_cpu_us_per_req`, `rps`, `p99_us`, `rate` (offered req/s) medians over repetitions
    and their `_low`/`_high` 95 % bootstrap intervals, `sustained` (rps / rate), `n`, `flags`,
    `flagged`; `attrs["manifest"]` is the run's."""
    trials = run.measured(KEY)
    if trials.empty:
        return run.empty(COLUMNS)
    out = stats.summarise(trials, VALUES, KEYS)
    out["server"] = stats.server_labels(out)
    out["sustained"] = out["rps"] / out["rate"]
    out = out[COLUMNS].sort_values("server_cpu_us_per_req", kind="stable")
    out = out.reset_index(drop=True)
    out.attrs = {"manifest": run.manifest}
    return out


def findings(table: pd.DataFrame) -> list[str]:
    """Cheapest against most expensive (a ratio, or "no measurable difference"), the pairs whose
    intervals overlap, the actor's cost against the event loop's, and the servers that were
    flagged or did not sustain the offered rate."""
    if table.empty:
        return []
    cost = "server_cpu_us_per_req"
    rows = table.dropna(subset=[cost]).sort_values(cost, kind="stable")
    if rows.empty:
        return []
    out: list[str] = []
    cheap, dear = rows.iloc[0], rows.iloc[-1]
    rate = f"at {stats.number(table['rate'].median())} req/s offered"
    if len(rows) == 1:
        out.append(
            f"Only {cheap['server']} was measured {rate}: "
            f"{stats.describe(stats.value_interval(cheap, cost), 'µs')} of CPU per request."
        )
    else:
        a, b = stats.value_interval(dear, cost), stats.value_interval(cheap, cost)
        verdict = stats.compare(a, b)
        head = (
            f"{rate}, {cheap['server']} is the cheapest at {stats.number(b.median)} µs of "
            f"server CPU per request and {dear['server']} the most expensive at "
            f"{stats.number(a.median)} µs ({stats.times(a.median / b.median)})"
        )
        if verdict == "too few repetitions":
            out.append(
                f"{head[0].upper()}{head[1:]}; fewer than {stats.MIN_REPETITIONS} "
                "repetitions: not compared."
            )
        elif verdict == "no measurable difference":
            out.append(
                f"{rate[0].upper()}{rate[1:]}, no measurable difference in CPU per request "
                f"between the cheapest ({cheap['server']}, {stats.number(b.median)} µs) and the "
                f"most expensive ({dear['server']}, {stats.number(a.median)} µs)."
            )
        else:
            out.append(f"{head[0].upper()}{head[1:]}; their intervals do not overlap.")
        overlapping = [
            f"{x['server']} and {y['server']}"
            for (_, x), (_, y) in itertools.combinations(rows.iterrows(), 2)
            if min(x["n"], y["n"]) >= stats.MIN_REPETITIONS
            and stats.value_interval(x, cost).overlaps(stats.value_interval(y, cost))
        ]
        if overlapping and verdict != "no measurable difference":
            out.append(
                "No measurable difference (intervals overlap) between "
                + "; ".join(overlapping[:4])
                + (f" and {len(overlapping) - 4} more pairs." if len(overlapping) > 4 else ".")
            )
    actor = _against_loop(rows, cost)
    if actor:
        out.append(actor)
    short = [
        f"{r['server']} (answered {stats.number(r['sustained'] * 100)} % of the offered rate)"
        for _, r in rows.iterrows()
        if r["sustained"] < SUSTAINED_MIN
    ]
    if short:
        out.append(
            f"Did not sustain the offered rate, so measured at a lower load: {', '.join(short)}."
        )
    flagged = stats.flag_sentence((r["server"], r["flags"]) for _, r in rows.iterrows())
    if flagged:
        out.append(flagged)
    return out


def _against_loop(rows: pd.DataFrame, cost: str) -> str | None:
    loop = rows[rows["server"] == REFERENCE]
    actor = rows[rows["server"] == CHALLENGER]
    if loop.empty or actor.empty:
        return None
    a = stats.value_interval(actor.iloc[0], cost)
    b = stats.value_interval(loop.iloc[0], cost)
    share = stats.ratio(a, b)
    verdict = stats.compare(a, b)
    if verdict == "too few repetitions":
        return (
            f"{CHALLENGER} costs {stats.times(share.median)} {REFERENCE}'s CPU per request; "
            f"fewer than {stats.MIN_REPETITIONS} repetitions: not compared."
        )
    if verdict == "no measurable difference":
        return (
            f"{CHALLENGER} ({stats.number(a.median)} µs) and {REFERENCE} "
            f"({stats.number(b.median)} µs): no measurable difference in CPU per request."
        )
    return (
        f"{CHALLENGER} costs {stats.times(share.median)} {REFERENCE}'s CPU per request "
        f"({stats.number(a.median)} against {stats.number(b.median)} µs; between "
        f"{stats.times(share.low)} and {stats.times(share.high)} by the intervals)."
    )
