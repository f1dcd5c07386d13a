# E3: overload. Open loop at fractions of each server's capacity (0.1 ... 1.5), with and without
# admission control: does a server queue (latency explodes, goodput falls) or shed (503s or
# refused connections, latency bounded, goodput holds)?
#
# Rules of this file: goodput counts only answers within a latency bound (an answer after the
# client gave up is no good to it), read from each trial's HdrHistogram, not from a percentile;
# a 503 or a refused connection is a rejection, the shedding the experiment looks for, so an
# `errors` flag made only of rejections does not make a point hollow; the knee rule is stated
# once (`knee`), in the docstrings and in the findings.
"""E3 table (offered rate, goodput within a bound, rejections, p50/p99, the knee) and findings."""

from __future__ import annotations

import json

import pandas as pd  # type: ignore[import-untyped]
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E3"
BOUND_US = 10_000
"""Goodput counts answers within this latency (10 ms)."""

KNEE_FACTOR = 10.0
"""The knee: the lowest offered rate whose p99 exceeds this many times the lowest-load p99."""

ANSWERED_MIN = 0.95
"""Below this share of the offered requests answered - right, or rejected at once - a point is
drawn hollow: the rest were lost in a queue (timed out, unfinished), so the point is no steady
state. A rejection is an answer here: shedding is what admission control is for."""

SHEDDING_MIN = 0.01
"""Rejections above this share of the offered rate: the server sheds load (else it queues)."""

ADMISSION_OPTION = "max_inflight"
REJECTION_KINDS = ("status_503", "connect_refused")
REJECTION_PREFIX = "connection_"

KEYS = ["server", "impl", "admission", "max_inflight", "rate_fraction"]
VALUES = ["rate", "rps", "goodput_rps", "rejected_rps", "p50_us", "p99_us"]
COLUMNS = [
    *KEYS,
    "n",
    *[c for v in VALUES for c in (v, f"{v}_low", f"{v}_high")],
    "capacity",
    "answered",
    "knee",
    "flags",
    "flagged",
    "hollow",
]
"""The table's columns. `server` is impl + options without max_inflight; `admission` is "on"
when the options set max_inflight to a value other than 0; `goodput_rps` counts answers within
`attrs["bound_us"]`; `rejected_rps` counts 503s and refused or dropped connections per second;
`capacity` is rate / rate_fraction; `answered` is (rps + rejected_rps) / rate; `knee` marks
the knee row of each (server, admission) line; `flagged` leaves out an `errors` flag made only
of rejections; `hollow` is flagged or answered < 95 %."""


def table(run: Run, *, bound_us: float = BOUND_US) -> pd.DataFrame:
    """E3's cells: one row per (server, admission, max_inflight, rate_fraction) with medians
    over repetitions and their `_low`/`_high` 95 % bootstrap intervals (see COLUMNS), ordered by
    server, admission and offered rate; `attrs` has "manifest" and "bound_us".

    The knee of a (server, admission) line is its lowest offered rate whose p99 exceeds
    KNEE_FACTOR (10) times the p99 at its lowest offered rate; a line without one has no row
    with `knee` True.
    """
    trials = run.measured(KEY)
    if trials.empty:
        out = run.empty(COLUMNS)
        out.attrs["bound_us"] = bound_us
        return out
    per_trial = trials.assign(
        server=[
            stats.server_label(i, stats.without_option(o, ADMISSION_OPTION))
            for i, o in zip(trials["impl"], trials["options"], strict=True)
        ],
        max_inflight=[stats.option(o, ADMISSION_OPTION) or "" for o in trials["options"]],
        goodput_rps=[
            _within(run, str(h), bound_us) / float(d) if h else float("nan")
            for h, d in zip(trials["histogram"], trials["duration_s"], strict=True)
        ],
        rejected_rps=[
            _rejections(str(k)) / float(d)
            for k, d in zip(trials["error_kinds"], trials["duration_s"], strict=True)
        ],
        trusted=[
            _trusted(str(f), str(k))
            for f, k in zip(trials["flags"], trials["error_kinds"], strict=True)
        ],
    )
    per_trial["admission"] = [
        "on" if m not in ("", "0") else "off" for m in per_trial["max_inflight"]
    ]
    out = stats.summarise(per_trial, VALUES, KEYS)
    trusted = stats.summarise(per_trial.assign(flags=per_trial["trusted"]), [], KEYS)
    out["flagged"] = list(trusted["flagged"])
    out["capacity"] = out["rate"] / out["rate_fraction"]
    out["answered"] = (out["rps"] + out["rejected_rps"]) / out["rate"]
    out = out.sort_values(["server", "admission", "max_inflight", "rate"], kind="stable")
    out = out.reset_index(drop=True)
    out["knee"] = False
    for _, line in out.groupby(["server", "admission", "max_inflight"], sort=False):
        at = knee(line)
        if at is not None:
            out.loc[at, "knee"] = True
    out["hollow"] = out["flagged"].astype(bool) | (out["answered"] < ANSWERED_MIN)
    out = out[COLUMNS]
    out.attrs = {"manifest": run.manifest, "bound_us": bound_us}
    return out


def knee(line: pd.DataFrame) -> int | None:
    """The index of the knee row of one line (rows of one server and admission): the lowest
    offered rate whose p99 exceeds KNEE_FACTOR times the p99 at the lowest offered rate; None
    when no rate does."""
    ordered = line.dropna(subset=["p99_us"]).sort_values("rate")
    if len(ordered) < 2:
        return None
    base = float(ordered["p99_us"].iloc[0])
    above = ordered[ordered["p99_us"] > KNEE_FACTOR * base]
    return int(above.index[0]) if not above.empty else None


def _within(run: Run, relative: str, bound_us: float) -> int:
    """Answers of a trial's histogram within `bound_us`: every bucket whose lowest value is
    within the bound counts (HDR's 3 significant digits: a 0.1 % edge)."""
    h: HdrHistogram = run.histogram(relative)
    total = 0
    for item in h.get_recorded_iterator():
        if h.get_lowest_equivalent_value(item.value_iterated_to) <= bound_us:
            total += int(item.count_at_value_iterated_to)
    return total


def _kinds(text: str) -> dict[str, int]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return {k: int(v) for k, v in value.items() if isinstance(v, int | float)}


def _rejections(text: str) -> int:
    return sum(
        count
        for kind, count in _kinds(text).items()
        if kind in REJECTION_KINDS or kind.startswith(REJECTION_PREFIX)
    )


def _trusted(flags: str, error_kinds: str) -> str:
    """A trial's flags without `errors` when every error was a rejection (shedding is the
    behaviour measured, not a fault of the instrument)."""
    names = [f for f in flags.split(";") if f]
    kinds = _kinds(error_kinds)
    if kinds and _rejections(error_kinds) == sum(kinds.values()):
        names = [f for f in names if f != "errors"]
    return ";".join(names)


def findings(table: pd.DataFrame) -> list[str]:
    """The knee of each server with and without admission control (the rule stated), goodput
    at the highest offered load (queueing or shedding, and how much it rejects), flagged cells.
    """
    if table.empty:
        return []
    bound_ms = stats.number(table.attrs.get("bound_us", BOUND_US) / 1000)
    knees = []
    for server in _servers(table):
        parts = []
        for (admission, cap), line in _lines(table[table["server"] == server]):
            row = line[line["knee"].astype(bool)]
            which = _variant(admission, cap)
            if row.empty:
                top = line["rate_fraction"].max()
                parts.append(f"none up to {stats.times(top)} capacity {which}")
            else:
                r = row.iloc[0]
                parts.append(
                    f"{stats.number(r['rate'])} req/s ({stats.times(r['rate_fraction'])} "
                    f"capacity) {which}"
                )
        knees.append(f"{server} {', '.join(parts)}")
    out = [
        f"Knee (the lowest offered rate whose p99 exceeds {stats.number(KNEE_FACTOR)}x the p99 "
        f"at the lowest load): {'; '.join(knees)}."
    ]
    top = table["rate_fraction"].max()
    at_top = table[table["rate_fraction"] == top]
    clauses = []
    for server in _servers(at_top):
        lines = []
        for (admission, cap), line in _lines(at_top[at_top["server"] == server]):
            r = line.iloc[0]
            if r["rejected_rps"] > SHEDDING_MIN * r["rate"]:
                lines.append(
                    f"sheds {_variant(admission, cap)} (goodput holds at "
                    f"{stats.number(r['goodput_rps'])} req/s, rejecting "
                    f"{stats.number(r['rejected_rps'])}/s, p99 {_ms(r['p99_us'])})"
                )
            else:
                lines.append(
                    f"queues {_variant(admission, cap)} (goodput falls to "
                    f"{stats.number(r['goodput_rps'])} req/s, p99 {_ms(r['p99_us'])})"
                )
        clauses.append(f"{server} {' and '.join(lines)}{_goodput_verdict(at_top, server)}")
    out.append(
        f"At {stats.times(top)} capacity, goodput (answers within {bound_ms} ms): "
        + "; ".join(clauses)
        + "."
    )
    flagged = stats.flag_sentence(
        (
            f"{r['server']} {_variant(r['admission'], r['max_inflight'])} at "
            f"{stats.times(r['rate_fraction'])} capacity",
            r["flags"],
        )
        for _, r in table[table["flagged"].astype(bool)].iterrows()
    )
    if flagged:
        out.append(flagged)
    return out


def _servers(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["server"]))


def _lines(part: pd.DataFrame) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    """(admission, max_inflight) lines of one server: without admission control first."""
    groups = part.groupby(["admission", "max_inflight"], sort=False)
    return sorted(((k, g) for k, g in groups), key=lambda kg: (kg[0][0] != "off", kg[0][1]))


def _variant(admission: str, cap: str) -> str:
    return f"with {ADMISSION_OPTION}={cap}" if admission == "on" else "without admission control"


def _goodput_verdict(at_top: pd.DataFrame, server: str) -> str:
    """ ", N x the goodput without admission control" when both lines exist and differ."""
    part = at_top[at_top["server"] == server]
    on, off = part[part["admission"] == "on"], part[part["admission"] == "off"]
    if on.empty or off.empty:
        return ""
    a = stats.value_interval(on.iloc[0], "goodput_rps")
    b = stats.value_interval(off.iloc[0], "goodput_rps")
    verdict = stats.compare(a, b)
    if verdict == "too few repetitions":
        return f", fewer than {stats.MIN_REPETITIONS} repetitions: not compared"
    if verdict == "no measurable difference":
        return ", no measurable difference in goodput"
    if b.median > 0:
        return f", {stats.times(a.median / b.median)} the goodput without admission control"
    return ", none without admission control"


def _ms(us: float) -> str:
    return f"{stats.number(us / 1000)} ms"
