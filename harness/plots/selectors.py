# E7's figure: the cost of one selector wait against registered sockets (log-log: a linear
# cost is a slope-1 line, a constant one is flat), and what idle connections do to a server's
# busy ones. Every line here is the same impl (eventloop), so the colours are the selectors'.
# A refused count is drawn, as an "x" on the axis with the reason, never left out.
"""E7 figure: wait cost vs sockets per selector; server req/s and p99 vs idle connections."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from harness.analysis.selectors import SELECTORS
from harness.plots import style

TITLE = "E7 - select() and poll() versus epoll"
SELECTOR_COLORS = {"select": "#1b9e77", "poll": "#d95f02", "epoll": "#7570b3"}
"""One colour per selector (every line is eventloop, so the impl colour would not tell)."""


_DRAWN_OVER: dict[str, dict[str, Any]] = {"select": {"linestyle": "--", "zorder": 3}}
"""select costs what poll does below FD_SETSIZE: dashed and on top, so both lines show."""


def _color(selector: str) -> str:
    return SELECTOR_COLORS.get(selector, "#4c6a8a")


def _order(selectors: list[str]) -> list[str]:
    return sorted(selectors, key=lambda s: (SELECTORS.index(s) if s in SELECTORS else 9, s))


def figure(table: pd.DataFrame) -> Figure:
    """Wait cost (us) against registered sockets, log-log, one line per selector, refusals as
    "x" on the axis; and, when the run has server trials, throughput and p99 against idle
    connections per selector. Either part alone draws alone.

    Args:
        table: `harness.analysis.selectors.table(run)`.
    """
    if table.empty:
        return style.empty(TITLE, "No selector probes or selector trials (E7) in this run.")
    waits = table[table["part"] == "wait"]
    server = table[table["part"] == "server"]
    panels = (not waits.empty) + 2 * (not server.empty)
    fig, axes = style.figure(TITLE, table.attrs.get("manifest"), ncols=panels, width=6.0)
    handles: dict[str, Artist] = {}
    at = 0
    if not waits.empty:
        handles |= _waits(axes[0], waits)
        at = 1
    if not server.empty:
        handles |= _server(axes[at], server[server["metric"] == "rps"], 1.0)
        handles |= _server(axes[at + 1], server[server["metric"] == "p99_us"], 1 / 1000)
        axes[at].set_ylabel("throughput (req/s)")
        axes[at + 1].set_ylabel("p99 latency (ms)")
        p99 = server[server["metric"] == "p99_us"]["median"]
        if float(p99.max()) > 10 * float(p99.min()):  # log only when it spans a decade
            axes[at + 1].set_yscale("log")
            style.plain_log_ticks(axes[at + 1])
        axes[at].set_title("the server: 64 busy connections + idle ones", fontsize=9)
    legend = [handles[s] for s in _order(list(handles))]
    if bool(table["flagged"].astype(bool).any()):
        legend.append(style.flagged_handle())
    fig.legend(handles=legend, loc="outside lower center", ncols=len(legend), fontsize=8)
    return fig


def _waits(ax: Axes, waits: pd.DataFrame) -> dict[str, Artist]:
    handles: dict[str, Artist] = {}
    measured = waits[~waits["refused"].astype(bool)]
    floor = float(measured["low"].min()) / 3 if not measured.empty else 0.1
    for selector in _order([str(s) for s in waits["selector"].unique()]):
        rows = waits[waits["selector"] == selector].sort_values("param")
        ok = rows[~rows["refused"].astype(bool)]
        c = _color(selector)
        if not ok.empty:
            y = ok["median"].to_numpy(dtype=float)
            err = np.vstack([y - ok["low"].to_numpy(float), ok["high"].to_numpy(float) - y])
            ax.errorbar(
                ok["param"],
                y,
                yerr=np.clip(np.nan_to_num(err), 0, None),
                fmt="none",
                ecolor=c,
                elinewidth=0.8,
                capsize=2,
            )
            (handles[selector],) = ax.plot(
                ok["param"],
                y,
                color=c,
                marker="o",
                markersize=5,
                linewidth=1.5,
                label=selector,
                **_DRAWN_OVER.get(selector, {}),
            )
        refused = rows[rows["refused"].astype(bool)]
        if not refused.empty:
            ax.plot(
                refused["param"],
                [floor] * len(refused),
                linestyle="none",
                marker="x",
                markersize=9,
                markeredgewidth=2,
                color=c,
                clip_on=False,
            )
            ax.annotate(
                _refusal(selector, str(refused["note"].iloc[0])),
                (float(refused["param"].iloc[0]), floor),
                xytext=(-6, 10),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color=c,
            )
            handles.setdefault(selector, ax.plot([], [], color=c, marker="o", label=selector)[0])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor / 1.3)
    style.plain_log_ticks(ax)
    style.plain_log_ticks(ax, "x")
    ax.set_xlabel("sockets registered, one of them ready\n(median wait; whiskers: p10-p90 or 95 %)")
    ax.set_ylabel("one wait (µs)")
    ax.grid(alpha=0.3, which="both")
    return handles


def _refusal(selector: str, note: str) -> str:
    limit = re.search(r"FD_SETSIZE \((\d+)\)", note)
    if limit:
        return f"{selector}: refused past FD_SETSIZE ({limit.group(1)})"
    return f"{selector}: refused" + (f" ({note})" if note else "")


def _server(ax: Axes, rows: pd.DataFrame, scale: float) -> dict[str, Artist]:
    """One metric against idle connections (evenly spaced categories), per selector."""
    handles: dict[str, Artist] = {}
    idle = sorted(int(p) for p in rows["param"].unique())
    where = {p: i for i, p in enumerate(idle)}
    selectors = _order([str(s) for s in rows["selector"].unique()])
    for k, selector in enumerate(selectors):
        cells = rows[rows["selector"] == selector].sort_values("param")
        shift = (k - (len(selectors) - 1) / 2) * 0.06
        x = np.array([where[int(p)] + shift for p in cells["param"]])
        y = cells["median"].to_numpy(float) * scale
        err = np.vstack(
            [y - cells["low"].to_numpy(float) * scale, cells["high"].to_numpy(float) * scale - y]
        )
        c = _color(selector)
        ax.errorbar(
            x,
            y,
            yerr=np.clip(np.nan_to_num(err), 0, None),
            fmt="none",
            ecolor=c,
            elinewidth=0.8,
            capsize=2,
        )
        (handles[selector],) = ax.plot(x, y, color=c, linewidth=1.5, label=selector)
        for xi, yi, (_, cell) in zip(x, y, cells.iterrows(), strict=True):
            flagged = bool(cell["flagged"])
            ax.plot(
                [xi],
                [yi],
                linestyle="none",
                marker="o",
                markersize=6,
                color=c,
                markerfacecolor="none" if flagged else c,
            )
            if bool(cell["refused"]) and not math.isnan(float(cell["idle_open"])):
                ax.annotate(
                    f"held {int(cell['idle_open']):,}",
                    (xi, yi),
                    xytext=(-4, -12),
                    ha="right",
                    textcoords="offset points",
                    fontsize=7,
                    color=c,
                )
    ax.set_xticks(range(len(idle)), [f"{p:,}" for p in idle])
    ax.set_xlabel("idle connections (asked for)")
    ax.grid(alpha=0.3, axis="y", which="both")
    return handles
