# Reading a server's /metrics the way Prometheus would: over HTTP, in the text format.
#
# Rules of this file: the suite observes server state (in-flight requests, open connections,
# paused reads) only through the documented admin endpoint, so "wait until the server has
# accepted the request" is a condition on a metric, never a sleep. Which series exist is read
# from docs/metrics.md itself (its tables, `DOCUMENTED`), not restated here: the doc and the
# suite cannot drift apart.
"""`scrape` (GET /metrics), `Metrics` (the parsed exposition), `DOCUMENTED` (the doc's series)."""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

METRICS_DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"

ALL = "all"
"""An `impls` cell of docs/metrics.md that means every impl."""

_METRIC_CELL = re.compile(r'`(netmodels_\w+)(?:\{(\w+)=(\.\.\.|"[^"]*")\})?`')
_CODE = re.compile(r"`([^`]+)`")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True, slots=True)
class Series:
    """One series a doc row promises: its name, its labels besides `impl`, its type, and which
    impls export it (None: all)."""

    name: str
    labels: tuple[tuple[str, str], ...]
    kind: str
    impls: frozenset[str] | None

    def exported_by(self, impl: str) -> bool:
        return self.impls is None or impl in self.impls


def _tables(text: str) -> dict[str, list[list[str]]]:
    """Every table of a markdown text, keyed by its first header cell: its body rows' cells."""
    tables: dict[str, list[list[str]]] = {}
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in _CELL_SPLIT.split(line.strip())[1:-1]])
        elif rows:
            tables[rows[0][0]] = rows[2:]  # after the header and its |---| line
            rows = []
    return tables


def _impls(cell: str) -> frozenset[str] | None:
    return None if cell == ALL else frozenset(name.strip() for name in cell.split(","))


def _both(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    return b if a is None else a if b is None else a & b


def documented_series(text: str) -> list[Series]:
    """The series docs/metrics.md promises: each row of its metric table, a `{label=...}` row
    expanded by the table named after the label (`queue`, `reason`), each of whose rows names
    values (one or several, in backticks) and the impls that have them."""
    tables = _tables(text)
    series = []
    for metric, kind, impls, *_meaning in tables["metric"]:
        match = _METRIC_CELL.fullmatch(metric)
        assert match is not None, f"docs/metrics.md: unreadable metric cell {metric!r}"
        name, label, value = match.groups()
        if label is None:
            series.append(Series(name, (), kind, _impls(impls)))
        elif value != "...":
            series.append(Series(name, ((label, value.strip('"')),), kind, _impls(impls)))
        else:
            assert label in tables, f"docs/metrics.md: no table of `{label}` values"
            for values, label_impls, *_what in tables[label]:
                wanted = _both(_impls(impls), _impls(label_impls))
                series += [Series(name, ((label, v),), kind, wanted) for v in _CODE.findall(values)]
    return series


DOCUMENTED = documented_series(METRICS_DOC.read_text(encoding="utf-8"))
"""Every series of docs/metrics.md: the one table the suite checks the impls against."""


def expected(impl: str) -> set[tuple[str, frozenset[tuple[str, str]]]]:
    """The (name, labels) of every series `impl` must export, its `impl` label included."""
    return {
        (s.name, frozenset({("impl", impl), *s.labels})) for s in DOCUMENTED if s.exported_by(impl)
    }


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Metrics:
    """One scrape: family name -> type, and every sample."""

    types: dict[str, str] = field(default_factory=dict)
    samples: tuple[Sample, ...] = ()

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels` (0 if none)."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def labels(self, name: str) -> list[dict[str, str]]:
        """The label sets of every sample of `name`."""
        return [s.labels for s in self.samples if s.name == name]

    def series(self) -> set[tuple[str, frozenset[tuple[str, str]]]]:
        """The (name, labels) of every `netmodels_*` sample, as `expected` gives them."""
        return {
            (s.name, frozenset(s.labels.items()))
            for s in self.samples
            if s.name.startswith("netmodels_")
        }


def scrape(admin: tuple[str, int], timeout: float = 5.0) -> Metrics:
    """GET /metrics from the admin endpoint and parse it."""
    host, port = admin
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=timeout) as reply:
        text = reply.read().decode("utf-8")
    return parse(text)


def parse(text: str) -> Metrics:
    """Parse the Prometheus text format (the subset prometheus_client writes)."""
    types: dict[str, str] = {}
    samples = []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            name, _, rest = series.partition("{")
            labels = {}
            for pair in rest.rstrip("}").split(","):
                if pair:
                    key, _, quoted = pair.partition("=")
                    labels[key] = quoted.strip('"')
            samples.append(Sample(name, labels, float(value)))
    return Metrics(types, tuple(samples))
