# A cell is one server under one load; its repetitions are trials. The report groups trials
# into cells to count repetitions and measure spread, and names a trial by its cell's label.
#
# Rules of this file: pure functions of trials rows; the open-loop rate of a cell is its
# fraction of capacity when it has one (the resolved rate may differ by a little between the
# sessions of a resumed run, the fraction does not - harness.analysis.CELL_COLUMNS does the same).
"""Cell keys and human labels of trials."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis import stats

KEYS = (
    "role",
    "experiment",
    "impl",
    "options",
    "protocol",
    "workload",
    "mode",
    "connections",
    "pipeline",
    "payload",
    "idle_connections",
    "read_rate",
    "load",
    "arrivals",
    "driver",
)
"""What identifies a cell across repetitions (`load`: rate fraction or rate, see the rules)."""


def keyed(trials: pd.DataFrame) -> pd.DataFrame:
    """`trials` with a `load` column (open loop: `x0.5` of capacity, or `1000/s`) and NaNs in
    the key columns filled, so that groupby keeps every row."""
    out = trials.copy()
    out["load"] = [_load(row) for _, row in trials.iterrows()] if len(trials) else []
    if "driver_procs" in out:
        out["driver"] = stats.cell_drivers(out)
    for column in KEYS:
        if column in out and out[column].dtype.kind == "f":
            out[column] = out[column].fillna(-1)
    return out


def _load(row: pd.Series) -> str:
    if row.get("mode") != "open":
        return ""
    fraction = _num(row.get("rate_fraction"))
    if fraction is not None:
        return f"x{fraction:g} capacity"
    rate = _num(row.get("rate"))
    return f"{rate:,.0f}/s" if rate is not None else ""


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def label(row: pd.Series | dict[str, Any]) -> str:
    """`eventloop[loop=asyncio] http ping closed c=64 d=16`: a trial's or a cell's load in one
    line, naming only what differs from the defaults."""
    get = row.get
    impl = str(get("impl") or "?")
    options = str(get("options") or "")
    parts = [f"{impl}[{options}]" if options else impl]
    parts += [str(get("protocol") or ""), str(get("workload") or ""), str(get("mode") or "")]
    connections = _num(get("connections"))
    if connections is not None and connections >= 0:
        parts.append(f"c={connections:g}")
    pipeline = _num(get("pipeline"))
    if get("mode") == "closed" and pipeline is not None and pipeline > 1:
        parts.append(f"d={pipeline:g}")
    payload = _num(get("payload"))
    if payload:
        parts.append(f"{payload:g} B")
    idle = _num(get("idle_connections"))
    if idle is not None and idle > 0:
        parts.append(f"idle={idle:g}")
    read_rate = _num(get("read_rate"))
    if read_rate is not None and read_rate > 0:
        parts.append(f"read {read_rate / 1024:g} KiB/s")
    load = get("load") if "load" in row else _load(pd.Series(dict(row)))
    if load:
        parts.append(str(load))
    arrivals = str(get("arrivals") or "")
    if get("mode") == "open" and arrivals and arrivals != "constant":
        parts.append(arrivals)
    if str(get("driver") or "netmodels") != "netmodels":
        parts.append(f"({get('driver')})")
    return " ".join(p for p in parts if p)


def ids(values: pd.Series) -> str:
    """Trial ids as one short text: `0001, 0005, 0009`."""
    return ", ".join(str(v) for v in values)
