# E3's figure: knee curves (p99 and p50 against achieved throughput, log latency) and goodput
# against offered rate with the y = x line; one colour per server, solid with admission control,
# dashed without, the knee marked, hollow points where the offered load was not answered or the
# cell was flagged.
#
# Rules of this file: table in, Figure out (no file, no pyplot state); every number drawn is a
# column of `harness.analysis.overload.table`.
"""E3 figure: knee curves and goodput under overload."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from harness.analysis.stats import number
from harness.plots import style

TITLE = "E3: latency and goodput past capacity, with and without admission control"
LINESTYLE = {"on": "-", "off": "--"}
HOLLOW_NOTE = "hollow: < 95 % of offered answered (right or rejected), or flagged"


def figure(table: pd.DataFrame) -> Figure:
    """Left: p99 (markers) and p50 (thin) latency in ms on a log axis against achieved
    throughput, the knee of each line marked with an X. Right: goodput (answers within the
    bound) against offered rate, with the y = x line."""
    if table.empty:
        return style.empty(TITLE, "no E3 trials in this run")
    bound_ms = number(table.attrs.get("bound_us", 10_000) / 1000)
    fig, axes = style.figure(TITLE, table.attrs.get("manifest"), ncols=2, width=8.0)
    knee_ax, good_ax = axes
    servers = style.order(list(table["server"].unique()))
    for server in servers:
        part = table[table["server"] == server]
        for (admission, _cap), cells in part.groupby(["admission", "max_inflight"], sort=False):
            line = cells.sort_values("rate")
            ls = LINESTYLE.get(str(admission), ":")
            style.series(
                knee_ax,
                server,
                line["rps"],
                line["p99_us"] / 1000,
                low=line["p99_us_low"] / 1000,
                high=line["p99_us_high"] / 1000,
                flagged=line["hollow"],
                linestyle=ls,
            )
            knee_ax.plot(
                line["rps"],
                line["p50_us"] / 1000,
                linestyle=ls,
                linewidth=0.8,
                color=style.color(server),
                alpha=0.45,
            )
            knees = line[line["knee"].astype(bool)]
            knee_ax.plot(
                knees["rps"],
                knees["p99_us"] / 1000,
                linestyle="none",
                marker="X",
                markersize=10,
                color=style.color(server),
                markeredgecolor="black",
                gid=f"{server} {admission} knee",
            )
            style.series(
                good_ax,
                server,
                line["rate"],
                line["goodput_rps"],
                low=line["goodput_rps_low"],
                high=line["goodput_rps_high"],
                flagged=line["hollow"],
                linestyle=ls,
            )
    top = float(np.nanmax(table[["rate", "goodput_rps"]].astype(float).to_numpy()))
    good_ax.plot([0, top], [0, top], color="#999999", linewidth=0.8, linestyle=":", zorder=0)
    good_ax.text(top, top, " y = x", fontsize=7, color="#777777", va="bottom", ha="right")
    knee_ax.set_yscale("log")
    knee_ax.set_xlabel("achieved throughput (req/s)")
    knee_ax.set_ylabel("latency (ms, log): p99 with markers, p50 thin")
    good_ax.set_xlabel("offered rate (req/s)")
    good_ax.set_ylabel(f"goodput: answers within {bound_ms} ms (req/s)")
    good_ax.set_xlim(left=0)
    good_ax.set_ylim(bottom=0)
    thousands = FuncFormatter(lambda v, _: f"{v:,.0f}")
    for ax in axes:
        ax.xaxis.set_major_formatter(thousands)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.grid(alpha=0.3)
    good_ax.yaxis.set_major_formatter(thousands)
    handles: list[Any] = [
        Line2D([], [], color=style.color(s), marker="o", label=s) for s in servers
    ]
    handles += [
        Line2D([], [], color="#333333", linestyle="-", label="admission control on"),
        Line2D([], [], color="#333333", linestyle="--", label="admission control off"),
        Line2D(
            [],
            [],
            color="#bbbbbb",
            marker="X",
            markersize=9,
            markeredgecolor="black",
            linestyle="none",
            label="knee: p99 > 10x its lowest-load p99",
        ),
    ]
    if table["hollow"].astype(bool).any():
        hollow = style.flagged_handle()
        hollow.set_label(HOLLOW_NOTE)
        handles.append(hollow)
    style.side_legend(good_ax, handles)
    return fig
