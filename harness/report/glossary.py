# What every column of trials.csv and every flag means: the report's glossary and its table
# headers read these words. The columns' meanings are the schema's (harness/results/schema.py,
# which docs/harness.md's column tables also come from); the flags' are written here once.
#
# Rules of this file: plain data; a flag docs/harness.md lists without an entry here fails a
# test, so a new flag cannot reach a report unexplained.
"""`COLUMNS`, `FLAGS` and `TERMS`: the meanings the report's glossary prints."""

from __future__ import annotations

from harness.results.schema import TRIALS

COLUMNS: dict[str, str] = {column.name: column.meaning for column in TRIALS}
"""trials.csv columns: their meanings as `harness.results.schema.TRIALS` writes them."""

FLAGS: dict[str, str] = {
    "errors": "any error in the measurement window",
    "driver_bound": "a driver process used more than 90 % of a CPU: the driver may be the "
    "bottleneck",
    "invalid": "open mode: fewer than 99 % of the scheduled requests were sent, or the "
    "schedule slip p99 exceeded 1 ms",
    "contended": "a driver process spent more than 10 % of the measurement runnable but waiting "
    "for a CPU held by another process: the machine was not quiet",
    "server_died": "the server exited during the trial",
    "failed": "the trial could not run (server did not start, driver failed); error_kinds says why",
    "idle_refused": "fewer idle connections were held open than asked for (refused or closed by "
    "the server: idle_open and error_kinds say how many and why)",
}
"""Trial flags (docs/harness.md, "Self-check")."""

TERMS: dict[str, str] = {
    "cell": "one server under one load (impl, options, protocol, workload, mode, connections, "
    "...); its repetitions are trials",
    "median [low - high]": "the median over a cell's repetitions and its bootstrap 95 % interval",
    "spread": "half the interval's width over the median (with 2 repetitions: (max - min) / "
    "median); above 10 % the cell is named in the validity banner",
    "no measurable difference": "two intervals overlap: the data does not rank them",
    "driver ceiling": "req/s the driver could reach at 100 % of its CPU (req/s over its CPU "
    "share), from `netmodels calibrate` or the run's `bare` trials",
}
"""Words of the report itself."""
