# Every protocol test that parses HTTP runs once per parser backend: the two must be
# indistinguishable (docs/service-spec.md, "Requests that break the rules").
"""The `parser` fixture: each HTTP test runs with --parser httptools and --parser h11."""

from __future__ import annotations

import pytest

from impls.config import Parser
from tests.protocol._drive import PARSERS


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest) -> Parser:
    """The name of a parser backend, as `ServerConfig.parser` takes it."""
    name: Parser = request.param
    return name
