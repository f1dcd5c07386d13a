# Fixtures of the function impl's tests.
"""`run_on`: run a coroutine on a fresh uvloop or stock asyncio loop (each test runs on both)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from tests.function._support import LOOPS

T = TypeVar("T")


@pytest.fixture(params=sorted(LOOPS))
def run_on(request: pytest.FixtureRequest) -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine to completion on a fresh loop of the parametrized kind (real time)."""
    new_loop = LOOPS[request.param]

    def run(coro: Coroutine[Any, Any, T]) -> T:
        loop = new_loop()
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.close()

    return run
