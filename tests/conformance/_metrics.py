# Reading a server's /metrics the way Prometheus would: over HTTP, in the text format.
#
# Rules of this file: the suite observes server state (in-flight requests, open connections,
# paused reads) only through the documented admin endpoint, so "wait until the server has
# accepted the request" is a condition on a metric, never a sleep.
"""`scrape` (GET /metrics) and `Metrics` (the parsed exposition)."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass, field

DOCUMENTED = (
    "netmodels_connections_open",
    "netmodels_requests_total",
    "netmodels_inflight_requests",
    "netmodels_queue_depth",
    "netmodels_buffered_bytes",
    "netmodels_reading_paused_connections",
    "netmodels_rejected_total",
)
"""Metric families every impl exposes (docs/service-spec.md, docs/metrics.md)."""

LOOP_LAG = "netmodels_loop_lag_seconds"
"""Exposed by impls that run an event loop."""


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
