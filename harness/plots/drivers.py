# E10's figure: two panels over the same drivers, one row each - req/s achieved against the
# same server (linear), and driver CPU per request (log: Locust's is tens of times wrk's) - with
# 95 % whiskers, flagged cells hatched, and an annotated empty slot for a driver that did not run.
#
# Rules of this file: table in, Figure out (no file, no pyplot state); every number drawn is a
# column of `harness.analysis.drivers.table`.
"""E10 figure: what each driver achieves, and what a request costs it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from harness.analysis.drivers import CPU
from harness.analysis.stats import number
from harness.plots import style

TITLE = "E10: the drivers against one server (closed loop ping)"


def figure(table: pd.DataFrame) -> Figure:
    """Left: req/s per driver; right: driver CPU per request (us, log axis)."""
    if table.empty:
        return style.empty(TITLE, "no E10 trials in this run")
    rows = table.reset_index(drop=True)
    server = ", ".join(sorted(set(rows["impl"].astype(str))))
    fig, (left, right) = style.figure(
        f"{TITLE}: {server}", table.attrs.get("manifest"), ncols=2, width=7.5
    )
    y = np.arange(len(rows))[::-1]
    _panel(left, rows, y, "rps", linear=True)
    left.set_xlabel("throughput achieved (req/s)\nwhiskers: 95 % interval of the median")
    left.xaxis.set_major_locator(MaxNLocator(4))
    left.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    left.set_yticks(y, list(rows["label"]))
    _panel(right, rows, y, CPU, linear=False)
    right.set_xscale("log")
    style.plain_log_ticks(right, "x")
    right.set_xlabel(
        "driver CPU per request (us, log scale)\nbusiest process share x processes / req/s"
    )
    right.set_yticks(y, [""] * len(rows))
    handles: list[Any] = []
    if rows["flagged"].astype(bool).any():
        handles.append(style.flagged_patch())
    if handles:
        style.side_legend(right, handles)
    return fig


def _panel(ax: Axes, rows: pd.DataFrame, y: np.ndarray, value: str, *, linear: bool) -> None:
    ran = rows[rows["missing"] == ""]
    values = ran[f"{value}_high"].astype(float)
    top = float(np.nanmax(values)) if len(values) and np.isfinite(values).any() else 1.0
    low = float(np.nanmin(ran[value].astype(float))) if not ran.empty else 1.0
    for pos, (_, row) in zip(y, rows.iterrows(), strict=True):
        if row["missing"]:
            ax.text(
                (top * 0.02) if linear else low,
                pos,
                f"did not run: {str(row['missing'])[:50]}",
                va="center",
                fontsize=8,
                style="italic",
                color="#666666",
            )
            continue
        v = float(row[value])
        if not np.isfinite(v):
            ax.text(low if not linear else 0, pos, "  not measured", va="center", fontsize=8)
            continue
        kw = style.bar(str(row["driver"]), flagged=bool(row["flagged"]))
        if not row["flagged"]:
            kw = {**kw, "color": style.driver_color(str(row["driver"])), "edgecolor": "none"}
        else:
            kw = {**kw, "edgecolor": style.driver_color(str(row["driver"]))}
        style.interval_bar(ax, pos, row, value, kw)
        text = number(v) if value == "rps" else f"{v:,.1f}"
        ax.text(float(row[f"{value}_high"]), pos, f"  {text}", va="center", fontsize=8)
    if linear:
        ax.set_xlim(0, top * 1.3)
    else:
        ax.set_xlim(max(low / 3, 0.1), top * 4)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", alpha=0.3)
