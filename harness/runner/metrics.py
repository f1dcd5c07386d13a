# The server's own view of itself: the admin endpoint's `netmodels_*` metrics (docs/metrics.md),
# scraped over plain HTTP and flattened into names the time series can hold as columns.
"""Scrape and parse an admin `/metrics` endpoint."""

from __future__ import annotations

import http.client
import re

from harness.runner.server import split_hostport

SCRAPE_TIMEOUT = 0.5
"""Seconds one scrape may take; a server too busy to answer yields an empty sample, not a stall."""

_LINE = re.compile(r"^(netmodels_[a-z_]+)(?:\{([^}]*)\})?\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def scrape(admin: str) -> dict[str, float]:
    """GET /metrics from `host:port` and parse it (see `parse`); {} if it fails."""
    host, port = split_hostport(admin)
    connection = http.client.HTTPConnection(host, port, timeout=SCRAPE_TIMEOUT)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return {}
    finally:
        connection.close()
    return parse(text) if response.status == 200 else {}


def parse(text: str) -> dict[str, float]:
    """Prometheus text -> {"connections_open": 3.0, "queue_depth:pipeline": 0.0, ...}.

    The `netmodels_` prefix and the `impl` label are dropped; any other label's value is appended
    after a colon (`rejected_total:overload`, `buffered_bytes:out`).
    """
    values: dict[str, float] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        name, labels, value = match.groups()
        key = name.removeprefix("netmodels_")
        for label, label_value in _LABEL.findall(labels or ""):
            if label != "impl":
                key += f":{label_value}"
        try:
            values[key] = float(value)
        except ValueError:
            continue
    return values
