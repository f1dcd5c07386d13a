# E5's figure: the wrk2/HdrHistogram percentile spectrum of the same stalling server measured by
# a closed-loop and an open-loop driver. The stall length is drawn as a reference line: the open
# loop's tail climbs to it from p(1 - S/P) on; the closed loop's stays flat until its last few
# points, because it stopped sending while the server was frozen.
"""E5 figure: latency spectrum (log 1/(1-p) axis), closed vs open loop, stall line."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from harness.analysis import stats
from harness.plots import style

TITLE = "E5 - coordinated omission: one stalling server, two drivers"
SERVER = "stall"
LOOK: dict[str, dict[str, Any]] = {
    "closed": {"linestyle": "--", "marker": "s"},
    "open": {"linestyle": "-", "marker": "o"},
}


def figure(table: pd.DataFrame) -> Figure:
    """One panel per stall setting: latency (ms, log) against percentile on the HdrHistogram
    axis, a line per driver mode, the stall length as a dotted reference line.

    Args:
        table: `harness.analysis.omission.table(run)`.
    """
    if table.empty:
        return style.empty(TITLE, "No stall-target trials (E5) in this run.")
    settings = list(
        table[["stall_ms", "period_ms"]].drop_duplicates().itertuples(index=False, name=None)
    )
    fig, axes = style.figure(TITLE, table.attrs.get("manifest"), ncols=len(settings))
    flagged = False
    for ax, (stall, period) in zip(axes, settings, strict=True):
        rows = table[(table["stall_ms"] == stall) & (table["period_ms"] == period)]
        handles: list[Artist] = []
        for mode in ("closed", "open"):
            spectrum = rows[rows["mode"] == mode]
            if spectrum.empty:
                continue
            handles.append(_spectrum(ax, spectrum, mode))
            flagged |= bool(spectrum["flagged"].astype(bool).any())
        if not math.isnan(stall):
            ax.axhline(stall, color="#555555", linestyle=":", linewidth=1.2)
            ax.text(
                1.1, stall * 1.12, f"stall {stats.number(stall)} ms", fontsize=8, color="#333333"
            )
        style.percentile_axis(ax)
        ax.set_yscale("log")
        style.plain_log_ticks(ax)
        highest = float(rows["latency_us"].max()) / 1000
        ax.set_ylim(top=max(highest, 0 if math.isnan(stall) else stall) * 4)
        ax.set_ylabel("latency (ms)")
        ax.grid(alpha=0.3, which="both")
        if len(settings) > 1 or not math.isnan(stall):
            ax.text(
                0.99,
                0.02,
                f"stall {stats.number(stall)} ms every {stats.number(period)} ms",
                transform=ax.transAxes,
                ha="right",
                fontsize=8,
                color="#555555",
            )
        if flagged:
            handles.append(style.flagged_handle())
        ax.legend(handles=handles, loc="center right", fontsize=8)
    return fig


def _spectrum(ax: Axes, spectrum: pd.DataFrame, mode: str) -> Artist:
    """The spectrum of one mode (every point but the max) and its legend line."""
    points = spectrum[spectrum["percentile"] < 100].sort_values("percentile")
    peak = spectrum[spectrum["point"] == "max"]["latency_us"]
    p99 = spectrum[spectrum["point"] == "p99"]["latency_us"]
    flagged = bool(spectrum["flagged"].astype(bool).any())
    label = (
        f"{mode} loop: p99 {stats.number(float(p99.iloc[0]) / 1000)} ms, "
        f"max {stats.number(float(peak.iloc[0]) / 1000)} ms"
        if not p99.empty and not peak.empty
        else f"{mode} loop"
    )
    (line,) = ax.plot(
        style.spectrum_x(points["percentile"].to_numpy()),
        points["latency_us"].to_numpy() / 1000,
        color=style.color(SERVER),
        markerfacecolor="none" if flagged else style.color(SERVER),
        markersize=5,
        linewidth=1.5,
        label=label,
        **LOOK.get(mode, {}),
    )
    return line
