"""mypy checks a stack: filters whose types do not fit are an error before anything runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

REPO = Path(__file__).resolve().parents[2]

STACK = """
from impls.function import ROUTES, Service
from impls.function.filters import (
    ConcurrencyLimitFilter, ExceptionFilter, OffloadFilter, StatsFilter, TimeoutFilter,
)
from impls.protocol import Request, Response
from impls.stats import Counters

routes = OffloadFilter(None) >> ROUTES
stack: Service[Request, Response] = (
    StatsFilter[Request, Response](Counters())
    >> ExceptionFilter()
    >> TimeoutFilter[Request, Response](1.0)
    >> ConcurrencyLimitFilter[Request, Response](10)
    >> routes
)
"""

MISFITS = """
from impls.function import ROUTES, Service
from impls.function.filters import ExceptionFilter, OffloadFilter
from impls.protocol import EchoData, Request, Response

no_offload = ExceptionFilter() >> ROUTES  # ROUTES may answer Work, which is no Response
wrong_protocol: Service[EchoData, EchoData] = ExceptionFilter() >> OffloadFilter(None) >> ROUTES
"""


def _errors(source: str, tmp_path: Path) -> list[str]:
    """mypy --strict's errors in `source` (errors it reports in imported modules are theirs)."""
    module = tmp_path / "stack_example.py"
    module.write_text(textwrap.dedent(source))
    out, err, _ = api.run(
        ["--strict", "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(module)]
    )
    assert not err, err
    return [line for line in out.splitlines() if line.startswith(str(module))]


@pytest.mark.timeout(600)
def test_a_well_typed_stack_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert _errors(STACK, tmp_path) == []


@pytest.mark.timeout(600)
def test_misfitting_filters_are_type_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    errors = _errors(MISFITS, tmp_path)
    assert [line.split(":")[1] for line in errors] == ["6", "7"], errors
