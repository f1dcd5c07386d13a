# Fixtures of the conformance suite: which servers exist for a test, and for how long.
#
# Rules of this file: the matrix comes from impls.registry.IMPLS alone - every impl, each of its
# `variants`, and both parser backends - so an impl joins the suite by registering. One server per
# target serves every stateless check (`server`, session-scoped: pytest groups the tests by
# target); a test that needs other options starts its own with `serve`. Every server started here
# is stopped (SIGTERM, then SIGKILL) in teardown, whatever the test did.
"""Fixtures: `target`, `server`, `serve`, `connect`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conformance._client import Client, ConnectFactory
from tests.conformance._matrix import TARGETS
from tests.conformance._server import ServeFactory, Server, Target

TIMEOUT = 90
"""pytest-timeout seconds for a conformance test without its own (setup included)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TIMEOUT))


@pytest.fixture(scope="session", params=TARGETS, ids=lambda t: t.id)
def target(request: pytest.FixtureRequest) -> Target:
    """One impl variant and parser backend."""
    result: Target = request.param
    return result


@pytest.fixture(scope="session")
def server(target: Target) -> Iterator[Server]:
    """The shared server of `target`: default settings plus an admin endpoint.

    Tests using it must leave it as they found it (close their connections, let their requests
    finish), since the next test of the same target talks to the same process.
    """
    started = Server.start(target, "--admin-port", "0")
    yield started
    started.stop()


@pytest.fixture
def serve(target: Target) -> Iterator[ServeFactory]:
    """Start `target` with extra options: `serve("--max-inflight", "1")`. Stopped at teardown."""
    started: list[Server] = []

    def start(*extra: str) -> Server:
        s = Server.start(target, *extra)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def connect() -> Iterator[ConnectFactory]:
    """Open a `Client` to a server: `connect(server)`. Closed at teardown."""
    clients: list[Client] = []

    def open_client(to: Server, **kwargs: float) -> Client:
        client = Client(to.address, **kwargs)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()
