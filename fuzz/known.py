# Findings of the fuzzers not fixed yet: each has its reproducing inputs in fuzz/corpus/ and an
# xfail(strict=True) regression case in tests/protocol/test_fuzz_regressions.py.
#
# Rules of this file: a finding is recognised by its `InvariantError` message, never by its input,
# so the fuzzers skip every input that hits it (libFuzzer stops at the first failure, and one open
# finding would stop every later run) and still stop at anything else. When a fix lands, the
# regression case passes, its strict xfail fails, and the finding is deleted here.
"""`OPEN`: the fuzz findings awaiting a fix, and how to recognise them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fuzz.invariants import InvariantError


@dataclass(frozen=True, slots=True)
class Finding:
    """One open finding: what is wrong, its message pattern, the corpus files reproducing it."""

    name: str
    reason: str
    signature: re.Pattern[str]
    inputs: tuple[str, ...]


OPEN: list[Finding] = []


def open_finding(error: InvariantError) -> Finding | None:
    """The open finding `error` is an instance of, if any."""
    message = str(error)
    for finding in OPEN:
        if finding.signature.search(message):
            return finding
    return None
