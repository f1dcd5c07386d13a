# /work under each `--offload` mode: inline (the shared server), a thread pool, a process pool.
"""Conformance: /work answered with --offload thread and --offload process."""

from __future__ import annotations

import pytest

from tests.conformance._client import ConnectFactory, request
from tests.conformance._contract import assert_answer
from tests.conformance._matrix import per_variant
from tests.conformance._server import ServeFactory, Target


@pytest.mark.parametrize("offload", ["thread", "process"])
@per_variant
def test_work_offloaded(
    serve: ServeFactory, target: Target, connect: ConnectFactory, offload: str
) -> None:
    s = serve("--offload", offload, "--workers", "2")
    client = connect(s)
    answers = []
    client.send(request("GET", "/work?ms=5") * 3 + request("GET", "/ping"))
    for _ in range(3):
        response = client.read_response()
        assert_answer(response, target.impl, 200)
        assert response.body.isdigit(), response.body
        answers.append(response.body)
    assert_answer(client.read_response(), target.impl, 200, b"PONG")
    assert len(set(answers)) == 1, "the same work gives the same answer"
