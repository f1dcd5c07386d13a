# The admin endpoint: every impl exports the series docs/metrics.md lists for it, under the same
# names, from its first scrape on.
#
# Rules of this file: the expected series come from the doc's own tables (`_metrics.DOCUMENTED`),
# never from a list kept here, so a series added to an impl without the doc (or to the doc
# without the impls) fails a test.
"""Conformance: /metrics on --admin-port."""

from __future__ import annotations

import re

from impls.registry import IMPLS
from tests.conformance._client import ConnectFactory, request, wait_until
from tests.conformance._contract import assert_answer
from tests.conformance._matrix import per_variant
from tests.conformance._metrics import DOCUMENTED, METRICS_DOC, Metrics, expected, scrape
from tests.conformance._server import ServeFactory, Server, Target


def _scrape(server: Server) -> Metrics:
    assert server.admin is not None
    return scrape(server.admin)


def _show(series: set[tuple[str, frozenset[tuple[str, str]]]]) -> list[str]:
    return sorted(f"{name}{dict(sorted(labels))}" for name, labels in series)


@per_variant
def test_first_scrape_exports_every_documented_series(serve: ServeFactory, target: Target) -> None:
    server = serve("--admin-port", "0")
    metrics = _scrape(server)  # the first scrape, right after the ready line
    wanted = expected(target.impl)
    exported = metrics.series()
    assert not wanted - exported, f"documented, not exported: {_show(wanted - exported)}"
    assert not exported - wanted, f"exported, not in docs/metrics.md: {_show(exported - wanted)}"
    for series in DOCUMENTED:
        if series.exported_by(target.impl):
            assert metrics.types.get(series.name) == series.kind, series
    counted = [s for s in metrics.samples if metrics.types.get(s.name) == "counter"]
    assert counted
    assert all(s.value == 0 for s in counted), counted  # nothing has happened yet


def test_the_doc_names_registered_impls() -> None:
    named = set().union(*(s.impls for s in DOCUMENTED if s.impls is not None))
    assert named <= set(IMPLS), named - set(IMPLS)


def test_every_series_the_doc_mentions_is_in_its_tables() -> None:
    # A row written in a shape the table reader skips would silently go unchecked.
    mentioned = set(re.findall(r"\bnetmodels_\w+", METRICS_DOC.read_text(encoding="utf-8")))
    assert mentioned == {s.name for s in DOCUMENTED}


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
