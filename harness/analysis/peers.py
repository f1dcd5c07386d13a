# E9: reference points. Closed loop ping, 64 connections: the teaching servers beside `bare` (a
# bare uvloop + httptools server: the limit for Python here), nginx, uvicorn and aiohttp.
#
# Rules of this file: a reference point that could not run (a peer not installed) stays in the
# table as a row with its reason in `missing`, so the report says it is absent instead of
# silently leaving it out; ratios to `bare` carry the widest interval the two intervals allow.
"""E9 table (req/s and CPU per request per server, ratio to bare, missing peers) and findings."""

from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped]

from harness import targets
from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E9"
YARDSTICK = "bare"
CPU = "server_cpu_us_per_req"
VALUES = ["rps", CPU, "p99_us"]
COLUMNS = [
    "server",
    "impl",
    "options",
    "kind",
    "n",
    *[c for v in VALUES for c in (v, f"{v}_low", f"{v}_high")],
    "vs_bare",
    "vs_bare_low",
    "vs_bare_high",
    "missing",
    "flags",
    "flagged",
]
"""The table's columns: `kind` is "reference" for a target of `harness.targets` (bare, nginx,
uvicorn, aiohttp) and "teaching" for a netmodels impl; `vs_bare` is req/s over bare's with its
interval; `missing` is why a server did not run ("" when it did); `n` counts the repetitions
that ran."""


def table(run: Run) -> pd.DataFrame:
    """E9's cells: one row per server (impl + options), fastest first, servers that did not run
    last with `missing` set; `attrs["manifest"]` is the run's."""
    trials = run.measured(KEY)
    if trials.empty:
        return run.empty(COLUMNS)
    trials = trials.assign(server=stats.server_labels(trials))
    out = stats.ran_or_missing(trials, VALUES, "server", ["impl", "options"])
    out["kind"] = ["reference" if targets.is_target(i) else "teaching" for i in out["impl"]]
    bare = out[(out["impl"] == YARDSTICK) & (out["missing"] == "")]
    out = out.assign(**stats.interval_series("vs_bare", stats.ratios_to(out, bare, "rps")))
    out = out.assign(_ran=out["missing"] == "")
    out = out.sort_values(["_ran", "rps"], ascending=[False, False], kind="stable")
    out = out[COLUMNS].reset_index(drop=True)
    out.attrs = {"manifest": run.manifest}
    return out


def findings(table: pd.DataFrame) -> list[str]:
    """The teaching servers as fractions of bare, where the everyday Python servers (uvicorn,
    aiohttp, nginx) stand among the teaching servers, which servers did not run and why,
    flagged cells."""
    if table.empty:
        return []
    ran = table[table["missing"] == ""]
    teaching = ran[ran["kind"] == "teaching"]
    out: list[str] = []
    bare = ran[ran["impl"] == YARDSTICK]
    if bare.empty:
        out.append(f"{YARDSTICK} did not run: no ratio to the limit for Python here.")
    elif not teaching.empty:
        b = bare.iloc[0]
        ordered = teaching.sort_values("vs_bare")
        low, high = ordered.iloc[0], ordered.iloc[-1]
        span = (
            f"{stats.times(low['vs_bare'])} ({low['server']}) to "
            f"{stats.times(high['vs_bare'])} ({high['server']})"
            if len(ordered) > 1
            else f"{stats.times(low['vs_bare'])} ({low['server']})"
        )
        text = (
            f"{YARDSTICK} (uvloop + httptools, the limit for Python here) served "
            f"{stats.number(b['rps'])} req/s; the teaching servers reach {span} of it"
        )
        if "driver_bound" in str(b["flags"]):
            text += f" ({YARDSTICK} was flagged driver_bound: the limit may be higher)"
        yardstick = stats.value_interval(b, "rps")
        level = [
            r["server"]
            for _, r in teaching.iterrows()
            if stats.compare(stats.value_interval(r, "rps"), yardstick)
            == "no measurable difference"
        ]
        if level:
            text += f"; no measurable difference from {YARDSTICK}: {', '.join(level)}"
        if min(int(b["n"]), int(teaching["n"].min())) < stats.MIN_REPETITIONS:
            text += f"; fewer than {stats.MIN_REPETITIONS} repetitions: not compared"
        out.append(text + ".")
    peers = ran[(ran["kind"] == "reference") & (ran["impl"] != YARDSTICK)]
    standings = [_standing(p, teaching) for _, p in peers.iterrows()]
    if standings:
        out.append("; ".join(standings) + ".")
    missing = stats.missing_sentence(table, "server")
    if missing:
        out.append(missing)
    flagged = stats.flag_sentence(
        (r["server"], r["flags"]) for _, r in ran.iterrows() if r["flags"]
    )
    if flagged:
        out.append(flagged)
    return out


def _standing(peer: pd.Series, teaching: pd.DataFrame) -> str:
    """ "uvicorn (0.45x of bare) is faster than A, B, slower than C, level with D"."""
    share = f" ({stats.times(peer['vs_bare'])} of {YARDSTICK})" if pd.notna(peer["vs_bare"]) else ""
    mine = stats.value_interval(peer, "rps")
    groups: dict[str, list[str]] = {}
    for _, r in teaching.iterrows():
        verdict = stats.compare(mine, stats.value_interval(r, "rps"))
        groups.setdefault(verdict, []).append(str(r["server"]))
    parts = []
    for verdict, words in (
        ("higher", "faster than"),
        ("lower", "slower than"),
        ("no measurable difference", "no measurable difference from"),
        (
            "too few repetitions",
            f"fewer than {stats.MIN_REPETITIONS} repetitions: not compared with",
        ),
    ):
        if groups.get(verdict):
            parts.append(f"{words} {', '.join(groups[verdict])}")
    if not parts:
        return f"{peer['server']}{share}: no teaching server to compare with"
    return f"{peer['server']}{share} is {'; '.join(parts)}"
