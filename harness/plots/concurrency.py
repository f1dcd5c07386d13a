# E1's figure: throughput and p99 latency against connections, one line per server, one row of
# panels per load (HTTP ping, TCP echo of a payload, ...).
#
# Rules of this file: table in, Figure out (no file, no pyplot state); every number drawn is a
# column of `harness.analysis.concurrency.table`.
"""E1 figure: req/s and p99 versus connections."""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullLocator

from harness.plots import style

TITLE = "E1: throughput and p99 latency versus connections (closed loop)"
VARIANT_STYLES = ("-", "--", ":", "-.")
"""Line styles of one impl's option variants (its default options first)."""


def figure(table: pd.DataFrame) -> Figure:
    """Two panels per load (rows): throughput (req/s, log x of connections) and p99 latency
    (ms, log y); whiskers are the 95 % intervals, hollow markers flagged cells."""
    if table.empty:
        return style.empty(TITLE, "no E1 trials in this run")
    names = sorted(table["series"].unique(), key=lambda s: (s != "http ping", s))
    fig, axes = style.grid(
        TITLE, table.attrs.get("manifest"), nrows=len(names), ncols=2, row_height=3.0
    )
    servers = style.order(list(table["server"].unique()))
    linestyles = _linestyles(table, servers)
    for row, name in enumerate(names):
        rps_ax, p99_ax = axes[row][0], axes[row][1]
        part = table[table["series"] == name]
        for server in servers:
            cells = part[part["server"] == server].sort_values("connections")
            if cells.empty:
                continue
            for ax, value, scale in ((rps_ax, "rps", 1.0), (p99_ax, "p99_us", 1e-3)):
                style.series(
                    ax,
                    server,
                    cells["connections"],
                    cells[value] * scale,
                    low=cells[f"{value}_low"] * scale,
                    high=cells[f"{value}_high"] * scale,
                    flagged=cells["flagged"],
                    linestyle=linestyles[server],
                )
        rps_ax.set_title(f"{name}: throughput", fontsize=9)
        p99_ax.set_title(f"{name}: p99 latency", fontsize=9)
        rps_ax.set_ylabel("throughput (req/s)")
        rps_ax.set_ylim(bottom=0)
        rps_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        p99_ax.set_ylabel("p99 latency (ms, log)")
        p99_ax.set_yscale("log")
        for ax in (rps_ax, p99_ax):
            ax.set_xscale("log", base=2)
            ticks = sorted(part["connections"].astype(int).unique())
            ax.set_xticks(ticks, [str(t) for t in ticks])
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xlabel("connections (log scale)")
            ax.grid(alpha=0.3)
    handles: list[Any] = [
        Line2D([], [], color=style.color(s), linestyle=linestyles[s], marker="o", label=s)
        for s in servers
    ]
    if table["flagged"].astype(bool).any():
        handles.append(style.flagged_handle())
    style.side_legend(axes[0][1], handles)
    return fig


def _linestyles(table: pd.DataFrame, servers: list[str]) -> dict[str, Any]:
    """Solid for each impl's first variant (its defaults, if measured), then dashed, dotted."""
    seen: dict[str, int] = {}
    out = {}
    impl_of = dict(zip(table["server"], table["impl"], strict=False))
    for server in sorted(servers, key=lambda s: (s.count("["), s)):
        impl = impl_of[server]
        out[server] = VARIANT_STYLES[seen.get(impl, 0) % len(VARIANT_STYLES)]
        seen[impl] = seen.get(impl, 0) + 1
    return out
