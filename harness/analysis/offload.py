# E6, long calculations: a mixed workload (mostly /ping, a few CPU-bound /work:MS requests)
# against each server with /work run inline, in a thread pool or in a process pool (the server
# option `offload`). The question is what the minority of /work requests does to the latency of
# everyone else's /ping: an event loop that computes inline holds every connection for as long
# as a calculation lasts.
#
# Rules of this file: per-kind latency comes from kinds.csv (each kind has its own histogram),
# never from the trial's mixed histogram; the cells' spectra are computed here, from the merged
# kind histograms of the repetitions, so the figure needs nothing but the table.
"""E6 analysis: `table(run)` (per impl, offload and request kind), `findings(table)`.

`table(run)` columns, one row per (impl, offload, workload, mode, kind):

- impl; offload ("none" | "thread" | "process"; the server option, default none); workload
  (the mix, e.g. `ping@95+work:5@5`); mode ("closed" | "open"); kind ("ping", "work:5", ...);
- n (repetitions); p50_us, p99_us (medians over repetitions of the kind's per-trial
  percentiles, microseconds) each with `_low` / `_high` (bootstrap 95 % interval);
- rps (median requests/s of this kind), errors (total);
- flags, flagged (the union of the trials' flags);
- spectrum_<point>_us for point in p50, p75, p90, p95, p99, p995, p999, p9995, p9999, max:
  the kind's latency spectrum from the repetitions' histograms merged (microseconds).
"""

from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats
from harness.analysis.run import Run

KEY = "E6"

OFFLOADS = ("none", "thread", "process")
"""The offload settings in the order a reader compares them: inline first."""

OFFLOAD_TEXT = {"none": "inline", "thread": "in a thread pool", "process": "in a process pool"}

PING = "ping"

_KEYS = ["impl", "offload", "workload", "mode", "kind"]
_VALUES = ["p50_us", "p99_us"]
SPECTRUM_COLUMNS = [f"spectrum_{label}_us" for label, _ in stats.SPECTRUM]
COLUMNS = [
    *_KEYS,
    "n",
    *[c for v in _VALUES for c in (v, f"{v}_low", f"{v}_high")],
    "rps",
    "errors",
    "flags",
    "flagged",
    *SPECTRUM_COLUMNS,
]


offload_of = stats.option_of("offload", "none")
"""The `offload` server option of an options cell ("none" when not set)."""


def is_work(kind: str) -> bool:
    """True for the CPU-bound kinds (`work`, `work:5`)."""
    return str(kind).split(":", 1)[0] == "work"


def table(run: Run) -> pd.DataFrame:
    """Per (impl, offload, workload, mode, kind) medians and intervals of p50/p99 over
    repetitions, with the merged spectrum (columns in the module docstring); empty, with the
    columns, when the run has no E6 trial with kinds."""
    trials = run.measured(KEY)
    if trials.empty or run.kinds.empty:
        return run.empty(COLUMNS)
    trials = trials.assign(offload=trials["options"].map(offload_of))
    identity = trials[["trial_id", "impl", "offload", "workload", "mode", "flags"]]
    kinds = run.kinds.merge(identity, on="trial_id")
    if kinds.empty:
        return run.empty(COLUMNS)
    kinds["flags"] = kinds["flags"].fillna("")
    order = {o: n for n, o in enumerate(OFFLOADS)}
    kinds = kinds.sort_values(
        "offload", key=lambda s: s.map(order).fillna(len(order)), kind="stable"
    )
    cells = stats.summarise(kinds, _VALUES, _KEYS)
    extra = []
    for key, group in kinds.groupby(_KEYS, sort=False, dropna=False):
        points = stats.spectrum(run.merged([h for h in group["histogram"] if h]))
        extra.append(
            [
                *key,
                float(group["rps"].median()),
                int(group["errors"].fillna(0).sum()),
                *[points[label] for label, _ in stats.SPECTRUM],
            ]
        )
    spectra = pd.DataFrame(extra, columns=[*_KEYS, "rps", "errors", *SPECTRUM_COLUMNS])
    frame = cells.merge(spectra, on=_KEYS, how="left")[COLUMNS].reset_index(drop=True)
    frame.attrs["manifest"] = run.manifest
    return frame


def findings(frame: pd.DataFrame) -> list[str]:
    """/ping p99 per offload setting for eventloop (or the first impl measured), its ratio
    inline / offloaded ("no measurable difference" when the intervals overlap), the other impls
    in one sentence, and the flagged cells. [] for an empty table."""
    pings = frame[frame["kind"] == PING] if not frame.empty else frame
    if pings.empty:
        return []
    impls = list(dict.fromkeys(pings["impl"]))
    lead = "eventloop" if "eventloop" in impls else impls[0]
    out = []
    rows = _by_offload(pings, lead)
    setup = f"{rows[next(iter(rows))]['workload']}, {rows[next(iter(rows))]['mode']} loop"
    parts = [
        f"{stats.number(row['p99_us'] / 1000)} ms with /work {OFFLOAD_TEXT.get(o, o)}"
        for o, row in rows.items()
    ]
    out.append(f"/ping p99 on {lead} ({setup}): " + ", ".join(parts) + ".")
    if "none" in rows:
        verdicts = [_ratio(rows["none"], rows[o], o) for o in rows if o != "none"]
        if verdicts:
            out.append(f"On {lead}, inline / offloaded /ping p99: " + "; ".join(verdicts) + ".")
    others = []
    for impl in impls:
        if impl == lead:
            continue
        cells = _by_offload(pings, impl)
        if "none" in cells:
            ratios = [_ratio(cells["none"], cells[o], o) for o in cells if o != "none"]
            if ratios:
                others.append(f"{impl} " + ", ".join(ratios))
    if others:
        out.append("Inline / offloaded /ping p99 elsewhere: " + "; ".join(others) + ".")
    # Flags are the trials': every kind of a cell carries the same ones, so name the cell once.
    flag_text = stats.flag_sentence(
        (f"{r.impl} with offload={r.offload}", str(r.flags))
        for r in frame.drop_duplicates(["impl", "offload", "workload", "mode"]).itertuples()
    )
    if flag_text:
        out.append(flag_text)
    return out[:4]


def _by_offload(pings: pd.DataFrame, impl: str) -> dict[str, pd.Series]:
    """The /ping rows of `impl` by offload, inline first (the first workload and mode only)."""
    rows = pings[pings["impl"] == impl]
    first = rows.iloc[0]
    rows = rows[(rows["workload"] == first["workload"]) & (rows["mode"] == first["mode"])]
    found = {str(r["offload"]): r for _, r in rows.iterrows()}
    rank = {o: n for n, o in enumerate(OFFLOADS)}
    return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def _ratio(inline: pd.Series, offloaded: pd.Series, offload: str) -> str:
    a = stats.value_interval(inline, "p99_us")
    b = stats.value_interval(offloaded, "p99_us")
    name = f"{offload} pool"
    if min(a.n, b.n) < stats.MIN_REPETITIONS:
        return f"{name}: fewer than {stats.MIN_REPETITIONS} repetitions: not compared"
    if a.overlaps(b):
        return f"{name} no measurable difference"
    return f"{name} {stats.times(a.median / b.median)} ({_direction(a, b)})"


def _direction(inline: stats.Interval, offloaded: stats.Interval) -> str:
    return "offloading lowers it" if inline.median > offloaded.median else "offloading raises it"
