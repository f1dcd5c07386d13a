# The look every figure shares: one colour per server across every figure of every report and
# notebook, flagged data drawn hollow, latency spectra on the HdrHistogram/wrk2 axis, and a
# subtitle that says on what machine the figure was measured.
#
# Rules of this file: matplotlib's object API only (no pyplot state, so figures are safe to build
# in a report process and in a notebook alike); nothing here reads a file.
"""Colours, markers, the percentile axis and figure titles shared by every plot."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless by default; a notebook's inline backend still shows the Figure

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

SERVER_ORDER = (
    "threads",
    "eventloop",
    "eventloop-callbacks",
    "function",
    "actor",
    "bare",
    "nginx",
    "uvicorn",
    "aiohttp",
    "stall",
)
"""Teaching order of the impls, then the reference points; legends follow it."""

_PALETTE = (
    "#1f77b4",  # threads
    "#ff7f0e",  # eventloop
    "#2ca02c",  # eventloop-callbacks
    "#d62728",  # function
    "#9467bd",  # actor
    "#7f7f7f",  # bare
    "#8c564b",  # nginx
    "#e377c2",  # uvicorn
    "#bcbd22",  # aiohttp
    "#17becf",  # stall
)
COLORS: Mapping[str, str] = dict(zip(SERVER_ORDER, _PALETTE, strict=True))
"""One colour per server, the same in every figure."""

DRIVER_COLORS: Mapping[str, str] = {"netmodels": "#1b9e77", "wrk": "#444444", "locust": "#e6550d"}
"""One colour per driver (E10), apart from the servers' colours."""

FLAGGED_NOTE = "hollow / hatched: flagged trial (driver_bound, contended, invalid, errors)"


def color(server: str) -> str:
    """The colour of a server (`impl` column); an unknown one gets a stable grey-blue."""
    return COLORS.get(server.split("[", 1)[0], "#4c6a8a")


def driver_color(driver: str) -> str:
    """The colour of a driver (`netmodels`, `wrk`, `locust:K`)."""
    return DRIVER_COLORS.get(driver.partition(":")[0], "#4c6a8a")


def order(servers: list[str]) -> list[str]:
    """`servers` sorted in teaching order (unknown ones last, by name)."""
    rank = {name: n for n, name in enumerate(SERVER_ORDER)}
    return sorted(servers, key=lambda s: (rank.get(s.split("[", 1)[0], len(rank)), s))


def marker(server: str, *, flagged: bool) -> dict[str, Any]:
    """Keyword arguments of a point of `server`: filled when clean, hollow when flagged."""
    c = color(server)
    return {
        "color": c,
        "markeredgecolor": c,
        "markerfacecolor": "none" if flagged else c,
        "marker": "o",
    }


def bar(server: str, *, flagged: bool) -> dict[str, Any]:
    """Keyword arguments of a bar of `server`: filled when clean, hatched and pale when flagged."""
    c = color(server)
    if flagged:
        return {"color": "white", "edgecolor": c, "hatch": "///", "linewidth": 1.2}
    return {"color": c, "edgecolor": c}


def interval_bar(
    ax: Axes, pos: float, row: Mapping[str, Any], value: str, colors: Mapping[str, Any]
) -> float:
    """A horizontal bar at `pos` of a table row's median `value`, with its 95 % interval (the
    row's `value_low` and `value_high`) as a whisker; `colors` as `bar` gives them. Returns the
    median."""
    median = float(row[value])
    low, high = float(row[f"{value}_low"]), float(row[f"{value}_high"])
    ax.barh(
        pos,
        median,
        height=0.65,
        xerr=np.nan_to_num([[max(median - low, 0)], [max(high - median, 0)]]),
        error_kw={"ecolor": "#333333", "capsize": 3, "elinewidth": 1},
        **colors,
    )
    return median


SPECTRUM_TICKS = (0.5, 0.9, 0.99, 0.999, 0.9999)
"""The percentiles labelled on a spectrum's axis."""


def spectrum_x(percentile: float | np.ndarray) -> Any:
    """A percentile (0-100) on the spectrum axis: 1 / (1 - p)."""
    p = np.asarray(percentile, dtype=float) / 100.0
    return 1.0 / np.clip(1.0 - p, 1e-7, None)


def percentile_axis(ax: Axes, *, highest: float = 0.9999) -> None:
    """Make the x axis of `ax` the HdrHistogram/wrk2 percentile axis: log 1/(1-p), ticks at
    50, 90, 99, 99.9 and 99.99 %."""
    ax.set_xscale("log")
    ticks = [t for t in SPECTRUM_TICKS if t <= highest]
    ax.xaxis.set_major_locator(FixedLocator([1 / (1 - t) for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticklabels([f"{t * 100:g}%" for t in ticks])
    ax.set_xlim(1.0, 1 / (1 - highest) * 1.5)
    ax.set_xlabel("percentile (log scale of 1/(1-p))")


def machine(manifest: Mapping[str, Any]) -> str:
    """One line saying where a run was measured: CPU, cores, Python, pinning."""
    pin = manifest.get("pinning", {}) or {}
    server = pin.get("server_cpus") or pin.get("server") or "?"
    driver = pin.get("driver_cpus") or pin.get("driver") or "?"
    versions = manifest.get("versions", {}) or {}
    python = versions.get("python") or manifest.get("python") or "?"
    cpu = str(manifest.get("cpu_model") or "unknown CPU")
    return (
        f"{cpu}, {manifest.get('cpu_count', '?')} CPUs, Python {python}; "
        f"server on CPU {_cpus(server)}, load on CPU {_cpus(driver)}"
    )


def _cpus(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def figure(
    title: str, manifest: Mapping[str, Any] | None, *, ncols: int = 1, width: float = 7.5
) -> tuple[Figure, list[Axes]]:
    """A new Figure with `ncols` axes side by side, titled with what was measured and, below,
    on what machine."""
    fig = Figure(figsize=(width * (1 if ncols == 1 else 0.75 * ncols), 4.4), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(1, ncols)))
    fig.suptitle(title, fontsize=11, fontweight="bold")
    if manifest:
        axes[0].set_title(machine(manifest), fontsize=7.5, loc="left", color="#555555")
    return fig, axes


def empty(title: str, message: str) -> Figure:
    """A figure that says why there is nothing to draw (never a blank image)."""
    fig = Figure(figsize=(7.5, 2.0), layout="constrained")
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, wrap=True)
    fig.suptitle(title, fontsize=11, fontweight="bold")
    return fig


# --- helpers shared by the experiments' figures (appended for E4-E7) ---


def flagged_handle() -> Line2D:
    """A legend entry for flagged data: a hollow grey marker labelled `FLAGGED_NOTE`."""
    return Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markerfacecolor="none",
        markeredgecolor="#555555",
        color="#555555",
        label=FLAGGED_NOTE,
    )


def grid(
    title: str,
    manifest: Mapping[str, Any] | None,
    *,
    nrows: int,
    ncols: int,
    sharex: bool = False,
    sharey: bool = False,
    width: float = 7.5,
    row_height: float = 3.2,
) -> tuple[Figure, np.ndarray]:
    """Like `figure`, with `nrows` x `ncols` axes (a 2-D array, also for one row or column):
    small multiples that share axes where asked."""
    fig = Figure(
        figsize=(width * (1 if ncols == 1 else 0.75 * ncols), 1.2 + row_height * nrows),
        layout="constrained",
    )
    axes: np.ndarray = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False)
    fig.suptitle(title, fontsize=11, fontweight="bold")
    if manifest:
        # Below the axes, in a strip the layout leaves free: a title on the first of several
        # small multiples would read as that panel's.
        engine = fig.get_layout_engine()
        if isinstance(engine, ConstrainedLayoutEngine):
            engine.set(rect=(0, 0.045, 1, 0.955))
        fig.text(0.01, 0.012, machine(manifest), fontsize=7.5, color="#555555", ha="left")
    return fig, axes


# --- helpers shared by the experiments' figures (appended for E1-E3, E8, E9): a line with
# whiskers whose flagged points are hollow, and the hatched legend entry of flagged bars.


def series(
    ax: Axes,
    server: str,
    x: Any,
    y: Any,
    *,
    low: Any,
    high: Any,
    flagged: Any,
    linestyle: str = "-",
    label: str | None = None,
    alpha: float = 1.0,
) -> Line2D:
    """Draw one server's line: whiskers from `low` to `high`, a filled marker per clean point and
    a hollow one per flagged point (`flagged`: booleans). Returns the line (for the legend);
    the hollow markers are a separate line whose gid is "<server> flagged"."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lows, highs = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    marks = np.asarray(flagged, dtype=bool)
    c = color(server)
    errors = np.vstack([np.clip(ys - lows, 0, None), np.clip(highs - ys, 0, None)])
    ax.errorbar(
        xs,
        ys,
        yerr=np.nan_to_num(errors),
        fmt="none",
        ecolor=c,
        elinewidth=0.8,
        capsize=2,
        alpha=alpha,
    )
    (line,) = ax.plot(
        xs, ys, linestyle=linestyle, color=c, label=label or server, alpha=alpha, linewidth=1.4
    )
    for hollow in (False, True):
        pick = marks == hollow
        if pick.any():
            ax.plot(
                xs[pick],
                ys[pick],
                linestyle="none",
                markersize=5,
                alpha=alpha,
                gid=f"{server} flagged" if hollow else f"{server} clean",
                **marker(server, flagged=hollow),
            )
    return line


def flagged_patch() -> Patch:
    """The legend entry of FLAGGED_NOTE for bars: a hatched patch (`bar(flagged=True)`)."""
    return Patch(facecolor="white", edgecolor="#555555", hatch="///", label=FLAGGED_NOTE)


def side_legend(ax: Axes, handles: list[Any], *, wrap: int = 30) -> None:
    """A legend to the right of `ax` (outside the data; the constrained layout makes room),
    long labels such as FLAGGED_NOTE wrapped at `wrap` characters."""
    for handle in handles:
        handle.set_label(textwrap.fill(str(handle.get_label()), wrap))
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=8,
        frameon=False,
        borderaxespad=0.0,
    )


def plain_log_ticks(ax: Axes, axis: str = "y") -> None:
    """Label a log axis of `ax` plainly - 0.2, 1, 5, 50 at 1, 2 and 5 times powers of ten -
    instead of matplotlib's 2x10^-1 (appended for E4-E7: latency axes in ms)."""
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _: object) -> str:
        if value <= 0:
            return ""
        mantissa = value / 10 ** np.floor(np.log10(value))
        return f"{value:g}" if round(float(mantissa), 6) in (1, 2, 5) else ""

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(label))
    target.set_minor_formatter(FuncFormatter(label))
