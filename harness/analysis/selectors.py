# E7, select() and poll() versus epoll: the lecture's claim that the portable calls slow down
# as sockets are added and epoll does not, measured twice - once on its own (the probe
# `harness/selector_wait.py`: the cost of one wait against registered sockets), once in a server
# (eventloop with `selector=select|poll|epoll`, 64 busy connections beside N idle ones).
#
# Rules of this file: a refusal (select() past FD_SETSIZE, idle connections the server would not
# hold) is a result and stays in the table, never a silently missing point; one repetition of the
# probe is described by the p10-p90 of its waits, several by the bootstrap interval of their
# medians, and the `interval` column says which.
"""E7 analysis: `table(run)` (wait cost and server figures in one long frame), `findings`.

`table(run)` columns, one row per (part, selector, param, metric):

- part: "wait" (probe rows: one selector wait) | "server" (eventloop trials);
- selector: "select" | "poll" | "epoll" (server: the `selector` option, "default" if unset);
- param: wait - idle sockets registered besides the ready one; server - idle connections asked
  for, beside the busy ones;
- metric, unit: "wait_us" (us) | "rps" (req/s) | "p99_us" (us);
- n (repetitions), median, low, high (bootstrap 95 % interval over repetitions; for a wait
  measured once, the p10 and p90 of its waits), interval ("95 % CI" | "p10-p90" | "");
- p10, p90: wait only, medians over repetitions of the probe's own p10 / p90;
- refused: wait - the selector refused this many sockets (median NaN); server - fewer idle
  connections were held than asked for (idle_open < param);
- note: why a wait was refused; idle_open: server, median idle connections actually held;
- trials: server, the ";"-joined trial ids of the cell; flags, flagged.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E7"
PROBE = "selector_wait"

SELECTORS = ("select", "poll", "epoll")
"""In the order the lecture introduces them."""

COLUMNS = [
    "part",
    "selector",
    "param",
    "metric",
    "unit",
    "n",
    "median",
    "low",
    "high",
    "interval",
    "p10",
    "p90",
    "refused",
    "note",
    "idle_open",
    "trials",
    "flags",
    "flagged",
]


selector_of = stats.option_of("selector", "default")
"""The `selector` server option of an options cell ("default" when not set)."""


def table(run: Run) -> pd.DataFrame:
    """The wait probes and the server trials of E7 in one long frame (columns in the module
    docstring); empty, with the columns, when the run has neither."""
    parts = [_waits(run), _server(run)]
    parts = [p for p in parts if not p.empty]
    frame = pd.concat(parts, ignore_index=True)[COLUMNS] if parts else run.empty(COLUMNS)
    frame.attrs["manifest"] = run.manifest
    return frame


def _rank(selector: str) -> int:
    return SELECTORS.index(selector) if selector in SELECTORS else len(SELECTORS)


def _waits(run: Run) -> pd.DataFrame:
    probes = run.probes
    if probes.empty:
        return run.empty(COLUMNS)
    probes = probes[(probes["probe"] == PROBE) & (probes["experiment"].isin([KEY, ""]))]
    if probes.empty:
        return run.empty(COLUMNS)
    rows = []
    for (variant, param), group in probes.groupby(["variant", "param"], sort=False):
        measured = group["value"].dropna()
        interval = stats.bootstrap_median(measured.astype(float))
        p10 = float(group["p10"].median()) if group["p10"].notna().any() else math.nan
        p90 = float(group["p90"].median()) if group["p90"].notna().any() else math.nan
        low, high, kind = interval.low, interval.high, "95 % CI" if interval.n >= 2 else ""
        if interval.n == 1 and not math.isnan(p10):
            low, high, kind = p10, p90, "p10-p90"
        notes = [n for n in group["note"].fillna("") if n]
        rows.append(
            {
                "part": "wait",
                "selector": str(variant),
                "param": int(param),
                "metric": "wait_us",
                "unit": str(group["unit"].iloc[0] or "us"),
                "n": interval.n,
                "median": interval.median,
                "low": low,
                "high": high,
                "interval": kind,
                "p10": p10,
                "p90": p90,
                "refused": measured.empty,
                "note": notes[0] if notes else "",
                "idle_open": math.nan,
                "trials": "",
                "flags": "",
                "flagged": False,
            }
        )
    out = pd.DataFrame(rows)
    out = out.sort_values("param", kind="stable")
    return out.sort_values("selector", key=lambda s: s.map(_rank), kind="stable")


def _server(run: Run) -> pd.DataFrame:
    trials = run.measured(KEY)
    if trials.empty:
        return run.empty(COLUMNS)
    trials = trials.assign(
        selector=trials["options"].map(selector_of),
        param=trials["idle_connections"].fillna(0).astype(int),
        flags=trials["flags"].fillna(""),
    )
    rows = []
    for metric, unit in (("rps", "req/s"), ("p99_us", "us")):
        cells = stats.by_cell(trials, metric, ["selector", "param"])
        for _, cell in cells.iterrows():
            group = trials[
                (trials["selector"] == cell["selector"]) & (trials["param"] == cell["param"])
            ]
            held = (
                float(group["idle_open"].median()) if group["idle_open"].notna().any() else math.nan
            )
            rows.append(
                {
                    "part": "server",
                    "selector": cell["selector"],
                    "param": int(cell["param"]),
                    "metric": metric,
                    "unit": unit,
                    "n": int(cell["n"]),
                    "median": cell["median"],
                    "low": cell["low"],
                    "high": cell["high"],
                    "interval": "95 % CI" if cell["n"] >= 2 else "",
                    "p10": math.nan,
                    "p90": math.nan,
                    "refused": bool(held < cell["param"]) or "idle_refused" in cell["flags"],
                    "note": "",
                    "idle_open": held,
                    "trials": ";".join(group["trial_id"]),
                    "flags": cell["flags"],
                    "flagged": bool(cell["flagged"]),
                }
            )
    out = pd.DataFrame(rows).sort_values(["metric", "param"], kind="stable")
    return out.sort_values("selector", key=lambda s: s.map(_rank), kind="stable")


def findings(frame: pd.DataFrame) -> list[str]:
    """One poll() wait versus one epoll wait at the most sockets both took, the selectors that
    refused and why, each selector's server throughput from no idle connections to the most,
    and the flagged server trials. [] for an empty table."""
    if frame.empty:
        return []
    out = []
    waits = frame[frame["part"] == "wait"]
    if not waits.empty:
        out += _wait_findings(waits)
    server = frame[(frame["part"] == "server") & (frame["metric"] == "rps")]
    if not server.empty:
        sentence = _server_finding(server)
        if sentence:
            out.append(sentence)
        flag_text = stats.flag_sentence(
            (_trial_text(r), str(r["flags"])) for _, r in server.iterrows()
        )
        if flag_text:
            out.append(flag_text)
    return out[:4]


def _wait_findings(waits: pd.DataFrame) -> list[str]:
    out = []
    measured = waits[~waits["refused"]]
    counts = {s: set(measured[measured["selector"] == s]["param"]) for s in ("poll", "epoll")}
    both = counts["poll"] & counts["epoll"]
    if both:
        count = max(both)
        poll, epoll = (_wait_row(measured, s, count) for s in ("poll", "epoll"))
        x, y = float(poll["median"]), float(epoll["median"])
        sentence = (
            f"At {count:,} sockets one poll() wait costs {stats.number(x)} µs, one epoll wait "
            f"{stats.number(y)} µs"
        )
        if _overlap(poll, epoll):
            sentence += f" (no measurable difference: {_basis(poll, epoll)} overlap)"
        elif y > 0:
            sentence += f" ({stats.times(x / y)})"
        smallest = min(both)
        if smallest < count:
            grew = {
                name: value / float(_wait_row(measured, name, smallest)["median"])
                for name, value in (("poll", x), ("epoll", y))
            }
            sentence += (
                f"; from {smallest:,} sockets poll() grew {stats.times(grew['poll'])}, "
                f"epoll {stats.times(grew['epoll'])}"
            )
        out.append(sentence + ".")
    refused = waits[waits["refused"]]
    for selector, group in refused.groupby("selector", sort=False):
        first = int(group["param"].min())
        took = measured[(measured["selector"] == selector) & (measured["param"] < first)]
        note = next((n for n in group["note"] if n), "")
        sentence = f"{selector} refused {first:,} sockets" + (f": {note}" if note else "")
        if not took.empty:
            top = took.loc[took["param"].idxmax()]
            sentence += (
                f" (it took {int(top['param']):,}, at {stats.number(float(top['median']))} µs a "
                "wait)"
            )
        out.append(sentence + ".")
    return out


def _wait_row(waits: pd.DataFrame, selector: str, count: int) -> pd.Series:
    return waits[(waits["selector"] == selector) & (waits["param"] == count)].iloc[0]


def _overlap(a: pd.Series, b: pd.Series) -> bool:
    return bool(a["low"] <= b["high"] and b["low"] <= a["high"])


def _basis(a: pd.Series, b: pd.Series) -> str:
    if a["interval"] == b["interval"] == "p10-p90":
        return "the p10-p90 of their waits"
    return "their 95 % intervals"


def _server_finding(rps: pd.DataFrame) -> str | None:
    parts = []
    for selector, group in rps.groupby("selector", sort=False):
        if 0 not in set(group["param"]) or group["param"].max() == 0:
            continue
        base = group[group["param"] == 0].iloc[0]
        top = group.loc[group["param"].idxmax()]
        a, b = stats.interval_of(base), stats.interval_of(top)
        change = (b.median / a.median - 1) * 100 if a.median else math.nan
        text = f"{selector} {_signed(change)} % at {int(top['param']):,}"
        if min(a.n, b.n) < stats.MIN_REPETITIONS:
            text += f" (fewer than {stats.MIN_REPETITIONS} repetitions: not compared)"
        elif a.overlaps(b):
            text += " (no measurable difference)"
        if top["refused"]:
            text += f", holding only {stats.number(top['idle_open'])} of them"
        parts.append(text)
    if not parts:
        return None
    return (
        "Server throughput (req/s) from no idle connections to the most, per selector: "
        + "; ".join(parts)
        + "."
    )


def _signed(value: float) -> str:
    if np.isnan(value):
        return "n/a"
    return ("+" if value > 0 else "") + stats.number(value)


def _trial_text(row: pd.Series) -> str:
    trials = str(row["trials"]).replace(";", ", ")
    return f"the {row['selector']} cell at {int(row['param']):,} idle connections (trials {trials})"
