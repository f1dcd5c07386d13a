# The admin endpoint: every impl exposes the same `netmodels_*` names (docs/metrics.md).
"""Conformance: /metrics on --admin-port."""

from __future__ import annotations

import pytest

from ._client import ConnectFactory, request, wait_until
from ._contract import assert_answer
from ._matrix import VARIANTS, per_variant
from ._metrics import DOCUMENTED, LOOP_LAG, Metrics, scrape
from ._server import Server, Target

LOOP_MODELS = frozenset({"event loop"})
"""Models whose impls must report loop lag (others may, if they happen to run on a loop)."""


def _scrape(server: Server) -> Metrics:
    assert server.admin is not None
    return scrape(server.admin)


@pytest.mark.parametrize("name", DOCUMENTED)
@per_variant
def test_documented_metric_is_exposed(server: Server, target: Target, name: str) -> None:
    metrics = _scrape(server)
    assert name in metrics.types, f"{name} missing; exposed: {sorted(metrics.types)}"
    for labels in metrics.labels(name):
        assert labels.get("impl") == target.impl


@pytest.mark.parametrize(
    "target",
    [v for v in VARIANTS if v.spec.model in LOOP_MODELS],
    indirect=True,
    ids=lambda t: t.variant,
)
def test_loop_lag_reported_by_event_loops(server: Server) -> None:
    wait_until(lambda: LOOP_LAG in _scrape(server).types, what=f"{LOOP_LAG} to be reported")


@per_variant
def test_requests_total_counts_answers(
    server: Server, target: Target, connect: ConnectFactory
) -> None:
    before = _scrape(server).value("netmodels_requests_total")
    client = connect(server)
    for _ in range(3):
        assert_answer(client.exchange(request("GET", "/ping")), target.impl, 200, b"PONG")
    wait_until(
        lambda: _scrape(server).value("netmodels_requests_total") >= before + 3,
        what="netmodels_requests_total to count 3 more answers",
    )
