# E6's figure: what a few long /work requests do to everyone's /ping. Points with whiskers (the
# bootstrap interval over repetitions), one group per impl in its colour, one marker per offload
# setting; /work's own p99 in a second panel on the same kind of axis, and the /ping spectrum of
# one impl (eventloop) per offload setting, where the inline tail shows as a step at the /work
# length.
"""E6 figure: /ping and /work p99 per impl and offload, and a /ping spectrum per offload."""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from harness.analysis import stats
from harness.analysis.offload import OFFLOADS, PING, SPECTRUM_COLUMNS, is_work
from harness.plots import style

TITLE = "E6 - long calculations: /ping latency while /work runs"
MARKERS = {"none": "o", "thread": "s", "process": "^"}
LINESTYLES = {"none": "-", "thread": "--", "process": ":"}
NAMES = {"none": "inline (offload=none)", "thread": "thread pool", "process": "process pool"}
SPECTRUM_IMPL = "eventloop"
"""The impl whose /ping spectrum is drawn: the one the lecture's claim is about."""


def figure(table: pd.DataFrame) -> Figure:
    """/ping p99 (ms, log) per impl grouped by offload, /work p99 beside it, and the /ping
    spectrum of eventloop (or the first impl) per offload.

    Args:
        table: `harness.analysis.offload.table(run)`.
    """
    if table.empty or not (table["kind"] == PING).any():
        return style.empty(TITLE, "No mixed-workload trials with /ping (E6) in this run.")
    first = table.iloc[0]
    data = table[(table["workload"] == first["workload"]) & (table["mode"] == first["mode"])]
    works = data[data["kind"].map(is_work)]
    impls = style.order([str(i) for i in data["impl"].unique()])
    lead = SPECTRUM_IMPL if SPECTRUM_IMPL in impls else impls[0]
    panels = 2 + (not works.empty)
    fig, axes = style.figure(
        f"{TITLE} ({first['workload']}, {first['mode']} loop)",
        table.attrs.get("manifest"),
        ncols=panels,
        width=6.0,
    )
    _points(axes[0], data[data["kind"] == PING], impls, "/ping p99 (ms)")
    if not works.empty:
        kind = str(works["kind"].iloc[0])
        _points(axes[1], works[works["kind"] == kind], impls, "/work p99 (ms)")
        axes[1].set_title(f"the /{kind} requests themselves", fontsize=9)
    _spectrum(axes[-1], data[(data["kind"] == PING) & (data["impl"] == lead)], lead)
    # One latency scale for all panels: /ping inline next to /work shows the one waiting for
    # the other.
    lows = [ax.get_ylim()[0] for ax in axes]
    highs = [ax.get_ylim()[1] for ax in axes]
    for ax in axes[1:]:
        ax.sharey(axes[0])
    axes[0].set_ylim(min(lows), max(highs))
    for ax in axes:
        style.plain_log_ticks(ax)
    offloads = [
        o
        for o in (*OFFLOADS, *sorted(set(data["offload"]) - set(OFFLOADS)))
        if o in set(data["offload"])
    ]
    handles: list[Artist] = [
        Line2D(
            [],
            [],
            color="#333333",
            linestyle="none",
            marker=MARKERS.get(o, "D"),
            label=NAMES.get(o, o),
        )
        for o in offloads
    ]
    if bool(data["flagged"].astype(bool).any()):
        handles.append(style.flagged_handle())
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)
    return fig


def _points(ax: Axes, rows: pd.DataFrame, impls: list[str], ylabel: str) -> None:
    """p99 with its interval per impl (x groups) and offload (offset within the group)."""
    offloads = [o for o in OFFLOADS if o in set(rows["offload"])]
    offloads += sorted(set(rows["offload"]) - set(OFFLOADS))
    width = 0.6 / max(1, len(offloads))
    for i, impl in enumerate(impls):
        for j, offload in enumerate(offloads):
            cell = rows[(rows["impl"] == impl) & (rows["offload"] == offload)]
            if cell.empty:
                continue
            row = cell.iloc[0]
            x = i + (j - (len(offloads) - 1) / 2) * width
            y = row["p99_us"] / 1000
            err = np.array([[y - row["p99_us_low"] / 1000], [row["p99_us_high"] / 1000 - y]])
            ax.errorbar(
                [x],
                [y],
                yerr=np.clip(np.nan_to_num(err), 0, None),
                fmt="none",
                ecolor=style.color(impl),
                elinewidth=1,
                capsize=3,
            )
            look = style.marker(impl, flagged=bool(row["flagged"]))
            look["marker"] = MARKERS.get(offload, "D")
            ax.plot([x], [y], linestyle="none", markersize=7, **look)
    ax.set_xticks(range(len(impls)), impls)
    for tick, impl in zip(ax.get_xticklabels(), impls, strict=True):
        tick.set_color(style.color(impl))
    ax.set_xlim(-0.6, len(impls) - 0.4)
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("server (markers: where /work runs; whiskers: 95 % interval)")
    ax.grid(alpha=0.3, axis="y", which="both")


def _spectrum(ax: Axes, rows: pd.DataFrame, impl: str) -> None:
    """The merged /ping spectrum of `impl`, one line per offload setting."""
    percentiles = [p for _, p in stats.SPECTRUM if p < 100]
    columns = [c for c, (_, p) in zip(SPECTRUM_COLUMNS, stats.SPECTRUM, strict=True) if p < 100]
    for offload in [o for o in OFFLOADS if o in set(rows["offload"])]:
        row = rows[rows["offload"] == offload].iloc[0]
        flagged = bool(row["flagged"])
        ax.plot(
            style.spectrum_x(np.array(percentiles)),
            row[columns].to_numpy(dtype=float) / 1000,
            linestyle=LINESTYLES.get(offload, "-"),
            marker=MARKERS.get(offload, "D"),
            markersize=4,
            color=style.color(impl),
            markerfacecolor="none" if flagged else style.color(impl),
            label=NAMES.get(offload, offload),
        )
    style.percentile_axis(ax)
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"/ping latency spectrum on {impl}", fontsize=9, color=style.color(impl))
    ax.grid(alpha=0.3, which="both")
