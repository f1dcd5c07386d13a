# E1: throughput and latency versus concurrency, closed loop, every impl, HTTP and TCP echo.
#
# Rules of this file: one row of the table is one cell (server, protocol, workload, payload,
# connections) with medians over its repetitions and their bootstrap intervals; every number a
# finding prints is read from the table, and a difference is stated only when the intervals say
# there is one.
"""E1 table (req/s, p50, p99 per cell with intervals) and findings."""

from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E1"
KEYS = ["impl", "options", "protocol", "workload", "payload", "connections"]
VALUES = ["rps", "p50_us", "p99_us"]
COLUMNS = [
    "server",
    "series",
    *KEYS,
    "n",
    *[c for v in VALUES for c in (v, f"{v}_low", f"{v}_high")],
    "flags",
    "flagged",
]
"""The table's columns; `series` names the load (e.g. "http ping", "echo 64 B"), one panel row
of the figure each."""

REFERENCE, CHALLENGER = "eventloop", "actor"
"""The lecture's claim compares these two: the actor's throughput as a share of the loop's."""


def table(run: Run) -> pd.DataFrame:
    """E1's cells: one row per (impl, options, protocol, workload, payload, connections), with
    `rps`, `p50_us`, `p99_us` medians over repetitions and their `_low`/`_high` 95 % bootstrap
    intervals, `n` repetitions, the union of their `flags` and `flagged`.

    Rows are in series, server and connection order (the figure applies the teaching order);
    `attrs["manifest"]` is the run's.
    """
    trials = run.measured(KEY)
    if trials.empty:
        return run.empty(COLUMNS)
    out = stats.summarise(trials, VALUES, KEYS)
    out["server"] = stats.server_labels(out)
    out["series"] = [series_name(r) for _, r in out.iterrows()]
    out = out[COLUMNS].sort_values(["series", "server", "connections"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs = {"manifest": run.manifest}
    return out


def series_name(row: pd.Series) -> str:
    """The load of a row as the figure and the findings name it: "http ping", "http echo 4096 B",
    "echo 64 B" (TCP echo)."""
    payload = int(row["payload"]) if pd.notna(row["payload"]) else 0
    if row["protocol"] == "echo":
        return f"echo {payload} B"
    name = f"http {row['workload']}"
    return f"{name} {payload} B" if payload else name


def findings(table: pd.DataFrame) -> list[str]:
    """At the highest concurrency of each series: who leads and by how much (or that the
    intervals overlap); the actor's throughput as a share of the event loop's; flagged cells."""
    if table.empty:
        return []
    out: list[str] = []
    leads = []
    for name, group in _series(table):
        measured = group.dropna(subset=["rps"])
        if measured.empty:
            continue
        top = measured[measured["connections"] == measured["connections"].max()]
        leads.append(_lead(name, top))
    if not leads:
        return []
    out.append(leads[0])
    if len(leads) > 1:
        out.append(" ".join(leads[1:]))
    actor = _actor_sentence(table)
    if actor:
        out.append(actor)
    flagged = stats.flag_sentence(
        (f"{server} at {int(connections)} connections ({', '.join(group['series'])})", flags)
        for (server, connections, flags), group in table[table["flagged"].astype(bool)].groupby(
            ["server", "connections", "flags"], sort=False
        )
    )
    if flagged:
        out.append(flagged)
    return out


def _series(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Series in reading order: HTTP ping first (the lecture's workload), then the rest by name."""
    names = sorted(table["series"].unique(), key=lambda s: (s != "http ping", s))
    return [(n, table[table["series"] == n]) for n in names]


def _lead(name: str, top: pd.DataFrame) -> str:
    connections = int(top["connections"].iloc[0])
    where = f"At {connections} connections ({name})"
    if len(top) < 2:
        only = top.iloc[0]
        return f"{where}, only {only['server']} was measured: {stats.number(only['rps'])} req/s."
    ranked = top.sort_values("rps", ascending=False)
    fast, slow = ranked.iloc[0], ranked.iloc[-1]
    a, b = stats.value_interval(fast, "rps"), stats.value_interval(slow, "rps")
    ratio = stats.times(a.median / b.median) if b.median else "n/a"
    p99 = (
        f" (p99 {stats.number(fast['p99_us'] / 1000)} ms against "
        f"{stats.number(slow['p99_us'] / 1000)} ms)"
    )
    verdict = stats.compare(a, b)
    if verdict == "too few repetitions":
        return (
            f"{where}, {fast['server']} had the highest median throughput "
            f"({stats.number(a.median)} req/s) and {slow['server']} the lowest "
            f"({stats.number(b.median)} req/s), {ratio} apart; fewer than "
            f"{stats.MIN_REPETITIONS} repetitions: not compared."
        )
    if verdict == "no measurable difference":
        return (
            f"{where}, no measurable difference in throughput between the fastest "
            f"({fast['server']}, {stats.number(a.median)} req/s) and the slowest "
            f"({slow['server']}, {stats.number(b.median)} req/s): their intervals overlap."
        )
    return (
        f"{where}, {fast['server']} leads with {stats.number(a.median)} req/s"
        f"{_bound(fast)}, {ratio} the {stats.number(b.median)} req/s of the slowest, "
        f"{slow['server']}{p99}."
    )


def _actor_sentence(table: pd.DataFrame) -> str | None:
    """The actor against the event loop, at the highest concurrency both reached in the first
    series that has both."""
    for name, group in _series(table):
        plain = group[group["options"].fillna("") == ""]
        both = plain[plain["impl"].isin([REFERENCE, CHALLENGER])]
        if set(both["impl"]) != {REFERENCE, CHALLENGER}:
            continue
        shared = set(both[both["impl"] == REFERENCE]["connections"]) & set(
            both[both["impl"] == CHALLENGER]["connections"]
        )
        if not shared:
            continue
        top = both[both["connections"] == max(shared)]
        loop = top[top["impl"] == REFERENCE].iloc[0]
        actor = top[top["impl"] == CHALLENGER].iloc[0]
        a, b = stats.value_interval(actor, "rps"), stats.value_interval(loop, "rps")
        share = stats.ratio(a, b)
        where = f"at {int(max(shared))} connections on {name}"
        verdict = stats.compare(a, b)
        if verdict == "too few repetitions":
            return (
                f"{CHALLENGER} reached {stats.times(share.median)} of {REFERENCE}'s throughput "
                f"{where}; fewer than {stats.MIN_REPETITIONS} repetitions: not compared."
            )
        if verdict == "no measurable difference":
            return (
                f"{CHALLENGER} and {REFERENCE} show no measurable difference in throughput "
                f"{where} ({CHALLENGER} at {stats.times(share.median)}, intervals overlap)."
            )
        return (
            f"{CHALLENGER} reached {stats.times(share.median)} of {REFERENCE}'s throughput "
            f"{where} (between {stats.times(share.low)} and {stats.times(share.high)} "
            f"by the intervals), p99 {stats.number(actor['p99_us'] / 1000)} ms against "
            f"{stats.number(loop['p99_us'] / 1000)} ms."
        )
    return None


def _bound(row: pd.Series) -> str:
    """A clause for a leader whose throughput the driver may have capped."""
    return " (flagged driver_bound: a lower bound)" if "driver_bound" in str(row["flags"]) else ""
