# E2's figure: microseconds of server CPU per request, one horizontal bar per server, cheapest
# on top, whiskers the 95 % intervals, hatched where flagged.
#
# Rules of this file: table in, Figure out (no file, no pyplot state); every number drawn is a
# column of `harness.analysis.efficiency.table`.
"""E2 figure: server CPU per request."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from matplotlib.figure import Figure

from harness.analysis.stats import number
from harness.plots import style

TITLE = "E2: server CPU per request at one offered rate (open loop)"


def figure(table: pd.DataFrame) -> Figure:
    """Horizontal bars of µs of server CPU per request, sorted (cheapest on top)."""
    if table.empty:
        return style.empty(TITLE, "no E2 trials in this run")
    cost = "server_cpu_us_per_req"
    rows = table.sort_values(cost, kind="stable", na_position="last").reset_index(drop=True)
    rate = number(float(rows["rate"].median()))
    fig, axes = style.figure(
        f"E2: server CPU per request at {rate} req/s offered (open loop)",
        table.attrs.get("manifest"),
        width=7.5,
    )
    ax = axes[0]
    y = np.arange(len(rows))[::-1]
    for pos, (_, row) in zip(y, rows.iterrows(), strict=True):
        colors = style.bar(row["server"], flagged=bool(row["flagged"]))
        value = style.interval_bar(ax, pos, row, cost, colors)
        note = f"{number(value)} µs"
        if row["sustained"] < 0.95:
            note += f"  (answered {number(row['sustained'] * 100)} % of offered)"
        ax.text(
            float(row[f"{cost}_high"]) if pd.notna(row[f"{cost}_high"]) else value,
            pos,
            f"  {note}",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y, list(rows["server"]))
    ax.set_xlabel("server CPU per request (µs; whiskers: 95 % interval of the median)")
    ax.set_xlim(0, float(np.nanmax(rows[f"{cost}_high"].astype(float))) * 1.3)
    ax.grid(axis="x", alpha=0.3)
    if rows["flagged"].astype(bool).any():
        handles: list[Any] = [style.flagged_patch()]
        style.side_legend(ax, handles)
    return fig
