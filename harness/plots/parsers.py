# E8's figure: two bars per server - httptools in the server's colour, h11 in a lighter shade of
# it - for throughput and for server CPU per request, whiskers the 95 % intervals, hatched where
# flagged, the throughput ratio written above each pair.
#
# Rules of this file: table in, Figure out (no file, no pyplot state); every number drawn is a
# column of `harness.analysis.parsers.table`.
"""E8 figure: the parser's effect on throughput and CPU per request, per server."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from harness.analysis.parsers import CPU, FAST, PARSERS, SLOW
from harness.analysis.stats import times
from harness.plots import style

TITLE = f"E8: the HTTP parser's cost in every model ({FAST} vs {SLOW}, closed loop)"
WIDTH = 0.38
LIGHTEN = 0.55
"""How far toward white the h11 bar's colour is (0: the server's colour, 1: white)."""


def figure(table: pd.DataFrame) -> Figure:
    """Left: req/s per server under each parser; right: µs of server CPU per request."""
    if table.empty:
        return style.empty(TITLE, "no E8 trials in this run")
    rows = table.set_index("server").loc[style.order(list(table["server"]))].reset_index()
    fig, axes = style.figure(TITLE, table.attrs.get("manifest"), ncols=2, width=7.5)
    x = np.arange(len(rows))
    for ax, value, label in (
        (axes[0], "rps", "throughput (req/s)"),
        (axes[1], CPU, "server CPU per request (µs)"),
    ):
        for offset, parser in zip((-WIDTH / 2, WIDTH / 2), PARSERS, strict=True):
            for pos, (_, row) in zip(x, rows.iterrows(), strict=True):
                median = float(row[f"{value}_{parser}"])
                if np.isnan(median):
                    continue
                error = [
                    [max(median - float(row[f"{value}_{parser}_low"]), 0)],
                    [max(float(row[f"{value}_{parser}_high"]) - median, 0)],
                ]
                ax.bar(
                    pos + offset,
                    median,
                    width=WIDTH,
                    yerr=np.nan_to_num(error),
                    error_kw={"ecolor": "#333333", "capsize": 2, "elinewidth": 0.9},
                    **_bar(str(row["server"]), parser, flagged=bool(row[f"flagged_{parser}"])),
                )
        ax.set_xticks(x, list(rows["server"]), rotation=20, ha="right")
        ax.set_ylabel(label)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(axis="y", alpha=0.3)
        ax.set_xlabel("server")
    top = float(np.nanmax(rows[[f"rps_{p}_high" for p in PARSERS]].astype(float).to_numpy()))
    axes[0].set_ylim(0, top * 1.15)
    for pos, (_, row) in zip(x, rows.iterrows(), strict=True):
        if pd.notna(row["rps_ratio"]):
            axes[0].text(
                float(pos),
                max(float(row[f"rps_{FAST}_high"]), float(row[f"rps_{SLOW}_high"])) + top * 0.02,
                times(float(row["rps_ratio"])),
                ha="center",
                fontsize=8,
            )
    handles: list[Any] = [
        Patch(facecolor="#555555", label=f"{FAST} (llhttp, C)"),
        Patch(facecolor=_lighter("#555555"), label=f"{SLOW} (pure Python)"),
        Patch(facecolor="none", edgecolor="none", label=f"above the bars: req/s {FAST} / {SLOW}"),
    ]
    if table["flagged"].astype(bool).any():
        handles.append(style.flagged_patch())
    style.side_legend(axes[1], handles)
    return fig


def _lighter(colour: str) -> tuple[float, float, float]:
    r, g, b = to_rgb(colour)
    return (r + (1 - r) * LIGHTEN, g + (1 - g) * LIGHTEN, b + (1 - b) * LIGHTEN)


def _bar(server: str, parser: str, *, flagged: bool) -> dict[str, Any]:
    """`style.bar`, with a clean h11 bar's face a lighter shade of the server's colour (a
    flagged bar is hatched whatever its parser; its place in the pair says which it is)."""
    kwargs = style.bar(server, flagged=flagged)
    if parser == SLOW and not flagged:
        kwargs["color"] = _lighter(style.color(server))
    return kwargs
