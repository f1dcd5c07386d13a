# What docs/service-spec.md promises about every response, as reusable assertions.
#
# Rules of this file: expected values come from the spec (or from the shared layer's own
# constants where the spec names them, e.g. the /bytes pattern), never from an impl.
"""Assertions common to many conformance tests."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from tests.conformance._client import Response

PATTERN = b"0123456789abcdef"
"""/bytes bodies repeat this."""


def pattern(n: int) -> bytes:
    """The exact body of `GET /bytes?n=<n>`."""
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


def assert_common_headers(response: Response, impl: str) -> None:
    """Every response carries `Server: netmodels-<impl>`, a valid `Date` and `Content-Length`."""
    assert response.header("server") == f"netmodels-{impl}", response.headers
    date = response.header("date")
    assert date is not None, f"no Date header in {response.headers}"
    parsed = parsedate_to_datetime(date)
    assert parsed.tzinfo is not None, f"Date {date!r} is not in GMT"
    assert response.header("content-length") == str(len(response.body))


def assert_answer(response: Response, impl: str, status: int, body: bytes | None = None) -> None:
    """`response` has `status` (and `body` if given) and the common headers."""
    assert response.status == status, (
        f"expected {status}, got {response.status} {response.reason}: {response.body[:200]!r}"
    )
    if body is not None:
        assert response.body == body
    assert_common_headers(response, impl)


def assert_error_then_close(response: Response, impl: str, status: int) -> None:
    """A broken-rule answer: `status`, a short text/plain reason, `Connection: close`."""
    assert_answer(response, impl, status)
    assert response.header("content-type") == "text/plain", response.headers
    assert response.body, "an error answer carries a short reason"
    assert response.closes, f"expected Connection: close, got {response.headers}"
