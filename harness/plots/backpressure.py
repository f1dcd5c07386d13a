# E4's figure: does a server's memory stay flat under slow readers? Small multiples, one column
# per impl on a shared y axis, so the impls compare at a glance; the line style (not the colour,
# which is the impl's) says whether back-pressure was on.
"""E4 figure: server RSS (and buffered output) over time, back-pressure on vs off, per impl."""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from harness.plots import style

TITLE = "E4 - back-pressure with slow readers: server memory over time"
MIB = 1 << 20
LINESTYLE = {"on": "-", "off": "--"}
WINDOW = "#e6eef7"
"""The measurement window's shade; the warm-up before it stays white."""


def figure(table: pd.DataFrame) -> Figure:
    """RSS (MiB) over time per impl, solid = back-pressure on, dashed = off, one line per trial;
    a second row with the server's buffered output (MiB) when the run sampled it.

    Args:
        table: `harness.analysis.backpressure.table(run)`.
    """
    if table.empty:
        return style.empty(TITLE, "No slow-reader trials (E4, read_rate > 0) in this run.")
    series = table.dropna(subset=["t"])
    if series.empty:
        return style.empty(TITLE, "The E4 trials have no server samples (a remote target?).")
    impls = style.order([str(i) for i in series["impl"].unique()])
    has_buffer = bool(series["buffered_out"].notna().any())
    rows = [("rss_mib", "server RSS (MiB)", 1.0)]
    if has_buffer:
        rows.append(("buffered_out", "buffered output (MiB)", 1 / MIB))
    fig, axes = style.grid(
        TITLE,
        table.attrs.get("manifest"),
        nrows=len(rows),
        ncols=len(impls),
        width=5.4,
        row_height=2.8,
    )
    t_end = float(series["t"].max())
    for r, (column, label, scale) in enumerate(rows):
        for c, impl in enumerate(impls):
            ax = axes[r][c]
            if c:
                ax.sharey(axes[r][0])
            ax.axvspan(0, max(t_end, 0.0), color=WINDOW, zorder=0, linewidth=0)
            _lines(ax, series[series["impl"] == impl], column, scale)
            ax.set_ylabel(label if c == 0 else "")
            ax.set_xlabel("time from start of measurement (s)" if r == len(rows) - 1 else "")
            ax.grid(alpha=0.3)
            if r == 0:
                ax.set_title(impl, color=style.color(impl), fontsize=10, fontweight="bold")
        # One y range per row, set once every impl is drawn (sharey alone would keep the first
        # panel's), from zero: the question is how far above the floor memory climbs.
        top = float((series[column] * scale).max())
        axes[r][0].set_ylim(0, top * 1.08 if top > 0 else 1)
    handles: list[Artist] = [
        Line2D([], [], color="#333333", linestyle="-", label="back-pressure on"),
        Line2D([], [], color="#333333", linestyle="--", label="back-pressure off"),
        Patch(color=WINDOW, label="measurement window (warm-up before it, faded)"),
    ]
    if bool(table["flagged"].astype(bool).any()):
        handles.append(style.flagged_handle())
    style.side_legend(axes[0][-1], handles, wrap=28)
    return fig


def _lines(ax: Axes, data: pd.DataFrame, column: str, scale: float) -> None:
    """One line per trial: faded in the warm-up, hollow markers along it when it is flagged."""
    for _, trial in data.groupby("trial_id", sort=False):
        points = trial.dropna(subset=[column]).sort_values("t")
        if points.empty:
            continue
        impl = str(points["impl"].iloc[0])
        on = str(points["backpressure"].iloc[0])
        flagged = bool(points["flagged"].iloc[0])
        line: dict[str, Any] = {
            "color": style.color(impl),
            "linestyle": LINESTYLE.get(on, ":"),
            "linewidth": 1.3,
        }
        warm = points[points["t"] <= 0]
        ax.plot(warm["t"], warm[column] * scale, alpha=0.35, **line)
        kept = points[points["t"] >= 0]
        extra: dict[str, Any] = {}
        if flagged:
            extra = {
                "marker": "o",
                "markersize": 4,
                "markerfacecolor": "none",
                "markevery": max(1, len(kept) // 8),
            }
        ax.plot(kept["t"], kept[column] * scale, **line, **extra)
