# Admission control: `--max-inflight N` answers 503 + Retry-After while N requests are in flight;
# a connection beyond `--max-connections` is closed at accept.
#
# The test synchronises on the server's own gauge (/metrics inflight == 1), not on a sleep, so
# the second request is known to arrive while the first is being served.
"""Conformance: 503 with Retry-After above --max-inflight; --max-connections."""

from __future__ import annotations

from tests.conformance._client import ConnectFactory, request, wait_until
from tests.conformance._contract import assert_answer
from tests.conformance._matrix import per_variant
from tests.conformance._metrics import scrape
from tests.conformance._server import ServeFactory, Target


def test_request_over_max_inflight_gets_503(
    serve: ServeFactory, target: Target, connect: ConnectFactory
) -> None:
    s = serve("--max-inflight", "1", "--admin-port", "0", "--grace", "1")
    admin = s.admin
    assert admin is not None
    busy = connect(s)
    busy.send(request("GET", "/delay?ms=5000"))
    wait_until(
        lambda: scrape(admin).value("netmodels_inflight_requests") == 1,
        what="the /delay request to be in flight",
    )

    response = connect(s).exchange(request("GET", "/ping"))

    assert_answer(response, target.impl, 503)
    assert response.header("retry-after") == "1"
    assert not busy.readable(), "the in-flight /delay is still being served"
    rejected = scrape(admin).value("netmodels_rejected_total", reason="overload")
    assert rejected >= 1, "a 503 counts as rejected{reason='overload'}"


@per_variant
def test_connection_over_max_connections_is_closed(
    serve: ServeFactory, target: Target, connect: ConnectFactory
) -> None:
    s = serve("--max-connections", "2", "--admin-port", "0")
    admin = s.admin
    assert admin is not None
    first, second = connect(s), connect(s)
    for client in (first, second):
        assert_answer(client.exchange(request("GET", "/ping")), target.impl, 200, b"PONG")

    assert connect(s).read_until_eof() == b"", "the third connection is closed at accept"
    wait_until(
        lambda: scrape(admin).value("netmodels_rejected_total", reason="max_connections") >= 1,
        what="rejected_total{reason='max_connections'} to count the refused connection",
    )

    first.close()
    wait_until(
        lambda: scrape(admin).value("netmodels_connections_open") == 1,
        what="the server to notice the first client left",
    )
    assert_answer(connect(s).exchange(request("GET", "/ping")), target.impl, 200, b"PONG")
