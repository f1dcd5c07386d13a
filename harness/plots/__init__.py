# Plots: pure functions, a table in and a matplotlib Figure out, one module per experiment
# (the same names as harness/analysis/), and `style` for what every figure shares. Sixth stage of
# the pipeline (profile -> runner -> driver -> results -> analysis -> plots); nothing here reads a
# file or keeps pyplot state, so a notebook and the report draw the same figure from the same
# table.
#
# Rules of this package: a figure is a function of its table alone (its `attrs` included); what
# two figures draw alike (colours, interval bars, the machine line) is in `style`, once.
"""Figures of the experiments: `plots.<experiment>.figure(table)`; see harness/experiments.py.

from harness.analysis.run import Run
from harness import analysis, plots
run = Run.load("results/reference")
plots.overload.figure(analysis.overload.table(run))
"""

from harness.plots import (
    backpressure,
    concurrency,
    drivers,
    efficiency,
    offload,
    omission,
    overload,
    parsers,
    peers,
    selectors,
    style,
)

__all__ = [
    "backpressure",
    "concurrency",
    "drivers",
    "efficiency",
    "offload",
    "omission",
    "overload",
    "parsers",
    "peers",
    "selectors",
    "style",
]
