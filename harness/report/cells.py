# How the report names a cell (one server under one load; its repetitions are trials): a trial's
# or a cell's load in one human line, and a list of trial ids. Grouping trials into cells is
# `harness.analysis.cells` (`groups`, re-exported here for the validity checks).
#
# Rules of this file: pure functions of trials rows; a label names only what differs from the
# defaults.
"""Human labels of cells and trials; `groups` (trials by cell) from the analysis."""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from harness.analysis.cells import groups, load_of
from harness.analysis.cells import number_of as _num

__all__ = ["groups", "ids", "label"]


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
    load = get("load") if "load" in row else load_of(row)
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
