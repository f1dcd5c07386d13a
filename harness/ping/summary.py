# The figures of a `netmodels ping` run: per target, the median of its rounds (and their
# min..max), its ratio to the bare server of the same checkout, and - with a baseline - the ratio
# of each current target to its baseline self; and the rich table that shows them.
#
# Rules of this file: pure - rounds in, rows and a table out; nothing is measured or written
# here. Compare ratios within a run, not figures across runs (the targets were interleaved, so a
# shared machine's drift spreads over all of them). A round that failed is not a round.
"""`Round`, `summarise` and `table` of `netmodels ping`."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.table import Table

BASELINE = "@baseline"
"""The suffix of a baseline target's label: `eventloop@baseline`."""

SATURATED = 0.8
"""Server CPU share above which the server, not wrk, limits the throughput."""


@dataclass(frozen=True, slots=True)
class Round:
    """One wrk run against one target, as the ping table needs it."""

    label: str
    requests: int
    seconds: float
    user_s: float
    system_s: float
    p50_us: float
    p99_us: float
    errors: int

    @property
    def requests_per_second(self) -> float:
        """Answers per second of the measured run."""
        return self.requests / self.seconds if self.seconds else 0.0

    def per_request_us(self, cpu_s: float) -> float:
        """`cpu_s` CPU seconds of the run, per request, in microseconds."""
        return cpu_s / self.requests * 1e6 if self.requests else float("nan")

    def as_dict(self) -> dict[str, Any]:
        """The round as stored in the manifest (`ping.rounds`)."""
        return {
            "label": self.label,
            "requests": self.requests,
            "seconds": self.seconds,
            "user_s": self.user_s,
            "system_s": self.system_s,
        }


def bare_of(label: str, bare: str) -> str:
    """The bare server of `label`'s checkout: `bare` or `bare@baseline`."""
    return bare + BASELINE if label.endswith(BASELINE) else bare


def summarise(rounds: Sequence[Round], labels: Sequence[str], bare: str) -> list[dict[str, Any]]:
    """Medians per label (those with at least one round), ratios to the bare server of the same
    checkout, and new/baseline ratios where a baseline ran."""
    rows: dict[str, dict[str, Any]] = {}
    for label in labels:
        mine = [r for r in rounds if r.label == label]
        if not mine:
            continue
        rps = [r.requests_per_second for r in mine]
        rows[label] = {
            "target": label,
            "rounds": len(mine),
            "requests_per_second": statistics.median(rps),
            "requests_per_second_min": min(rps),
            "requests_per_second_max": max(rps),
            "cpu_us_per_request": statistics.median(
                r.per_request_us(r.user_s + r.system_s) for r in mine
            ),
            "user_us_per_request": statistics.median(r.per_request_us(r.user_s) for r in mine),
            "system_us_per_request": statistics.median(r.per_request_us(r.system_s) for r in mine),
            "server_cpu_utilisation": statistics.median(
                (r.user_s + r.system_s) / r.seconds if r.seconds else 0.0 for r in mine
            ),
            "latency_p50_ms": statistics.median(r.p50_us for r in mine) / 1e3,
            "latency_p99_ms": statistics.median(r.p99_us for r in mine) / 1e3,
            "errors": sum(r.errors for r in mine),
        }
    for label, row in rows.items():
        row["throughput_ratio"], row["cpu_ratio"] = _ratios(row, rows.get(bare_of(label, bare)))
        twin = None if label.endswith(BASELINE) else rows.get(label + BASELINE)
        row["baseline_throughput_ratio"], row["baseline_cpu_ratio"] = _ratios(row, twin)
    return list(rows.values())


def _ratios(row: dict[str, Any], other: dict[str, Any] | None) -> tuple[float | None, float | None]:
    if other is None or not other["requests_per_second"] or not other["cpu_us_per_request"]:
        return None, None
    return (
        row["requests_per_second"] / other["requests_per_second"],
        row["cpu_us_per_request"] / other["cpu_us_per_request"],
    )


def starved(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Targets whose server was not the bottleneck (CPU share below `SATURATED`)."""
    return [row["target"] for row in rows if row["server_cpu_utilisation"] < SATURATED]


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def table(rows: Sequence[dict[str, Any]], title: str, *, baseline: bool) -> Table:
    """The summary as a rich table; `baseline` adds the new/baseline columns."""
    out = Table(title=title)
    columns = [
        "target",
        "req/s (median)",
        "min..max",
        "ratio to bare",
        "server CPU µs/req",
        "CPU ratio",
        "user + sys µs",
        "server CPU",
        "p50 ms",
        "p99 ms",
        "errors",
    ]
    if baseline:
        columns += ["req/s new/baseline", "CPU new/baseline"]
    for name in columns:
        out.add_column(
            name,
            justify="left" if name == "target" else "right",
            overflow="fold",  # a target with options is long; its name must stay whole
        )
    for row in rows:
        cells = [
            escape(row["target"]),
            f"{row['requests_per_second']:,.0f}",
            f"{row['requests_per_second_min']:,.0f}..{row['requests_per_second_max']:,.0f}",
            _ratio(row["throughput_ratio"]),
            f"{row['cpu_us_per_request']:.1f}",
            _ratio(row["cpu_ratio"]),
            f"{row['user_us_per_request']:.1f} + {row['system_us_per_request']:.1f}",
            f"{row['server_cpu_utilisation']:.0%}",
            f"{row['latency_p50_ms']:.2f}",
            f"{row['latency_p99_ms']:.2f}",
            str(row["errors"]),
        ]
        if baseline:
            cells += [
                _ratio(row["baseline_throughput_ratio"]),
                _ratio(row["baseline_cpu_ratio"]),
            ]
        out.add_row(*cells)
    return out
