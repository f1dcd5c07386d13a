# E9's figure: req/s of every server as horizontal bars, fastest on top, the reference points
# in their own colours, a vertical line (and its interval as a band) at `bare`, and an annotated
# empty slot for every server that did not run.
#
# Rules of this file: table in, Figure out (no file, no pyplot state); every number drawn is a
# column of `harness.analysis.peers.table`.
"""E9 figure: the teaching servers among the reference points."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from harness.analysis.peers import YARDSTICK
from harness.analysis.stats import number, times
from harness.plots import style

TITLE = "E9: throughput beside the reference points (closed loop ping)"


def figure(table: pd.DataFrame) -> Figure:
    """Horizontal bars of req/s with 95 % whiskers, fastest on top, servers that did not run as
    empty slots saying why; the `bare` yardstick as a vertical line."""
    if table.empty:
        return style.empty(TITLE, "no E9 trials in this run")
    rows = table.reset_index(drop=True)
    fig, axes = style.figure(TITLE, table.attrs.get("manifest"), width=8.5)
    ax = axes[0]
    ran = rows[rows["missing"] == ""]
    top = float(np.nanmax(ran["rps_high"].astype(float))) if not ran.empty else 1.0
    y = np.arange(len(rows))[::-1]
    for pos, (_, row) in zip(y, rows.iterrows(), strict=True):
        if row["missing"]:
            ax.barh(
                pos,
                top,
                height=0.65,
                fill=False,
                edgecolor="#bbbbbb",
                linestyle=":",
                gid=f"{row['server']} missing",
            )
            ax.text(
                top * 0.02,
                pos,
                f"did not run: {_short(str(row['missing']))}",
                va="center",
                fontsize=8,
                style="italic",
                color="#666666",
            )
            continue
        colors = style.bar(str(row["server"]), flagged=bool(row["flagged"]))
        value = style.interval_bar(ax, pos, row, "rps", colors)
        share = f" ({times(float(row['vs_bare']))})" if pd.notna(row["vs_bare"]) else ""
        ax.text(float(row["rps_high"]), pos, f"  {number(value)}{share}", va="center", fontsize=8)
    ax.set_yticks(y, list(rows["server"]))
    for tick, kind in zip(ax.get_yticklabels(), rows["kind"], strict=True):
        if kind == "reference":
            tick.set_fontstyle("italic")
    bare = ran[ran["impl"] == YARDSTICK]
    handles: list[Any] = []
    if not bare.empty:
        b = bare.iloc[0]
        ax.axvspan(
            float(b["rps_low"]), float(b["rps_high"]), color=style.color(YARDSTICK), alpha=0.15
        )
        ax.axvline(float(b["rps"]), color=style.color(YARDSTICK), linestyle="--", linewidth=1)
        handles.append(
            Line2D(
                [],
                [],
                color=style.color(YARDSTICK),
                linestyle="--",
                label=f"{YARDSTICK}: the limit for Python here (in brackets: share of it)",
            )
        )
    handles.append(Patch(facecolor="none", edgecolor="none", label="italic: reference points"))
    ax.set_xlim(0, top * 1.3)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("throughput (req/s; whiskers: 95 % interval of the median)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(axis="x", alpha=0.3)
    if ran["flagged"].astype(bool).any():
        handles.append(style.flagged_patch())
    style.side_legend(ax, handles)
    return fig


def _short(reason: str, limit: int = 60) -> str:
    """A missing server's reason as its empty slot says it."""
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."
