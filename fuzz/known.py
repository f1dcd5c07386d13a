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

from .invariants import InvariantError


@dataclass(frozen=True, slots=True)
class Finding:
    """One open finding: what is wrong, its message pattern, the corpus files reproducing it."""

    name: str
    reason: str
    signature: re.Pattern[str]
    inputs: tuple[str, ...]


# The two refusals of an over-long line inside a chunked body (impls/protocol/_parsers.py).
_LINE_CAP_ERRORS = (
    r"RequestError\(status=(?:431, reason='trailer fields too large'"
    r"|400, reason='malformed request: chunk extensions too long')\)"
)

OPEN = [
    # For the same receives, StrictFraming counts a chunk-size line's or trailer field's bytes
    # from where the line starts; HttptoolsBackend counts only the whole receives after the last
    # one with an llhttp callback (its `_quiet` restarts there), so the part of the line in the
    # receive that carried the head, a chunk or the last size line goes uncounted, and a line
    # just over `max_header_bytes + receive_size` is refused by one and accepted by the other.
    Finding(
        "body-line-cap-counted-from-different-starts",
        "a chunk-extension or trailer line just over the raw cap: h11 refuses (400/431), "
        "httptools accepts",
        re.compile(
            rf"step \d+ is (?:Request\(.*\) against {_LINE_CAP_ERRORS}"
            rf"|{_LINE_CAP_ERRORS} against Request\()"
        ),
        (
            "http/trailer-padding-counted-from-different-starts.bin",
            "http/chunk-extensions-counted-from-different-starts.bin",
            "http/crash-8cdd3c98ada313a7f1494cfced0dd5a4cd8b9b10.bin",
            "http/crash-a1988e16c4b32dc8e9721ece8ed2367054209154.bin",
        ),
    ),
]


def open_finding(error: InvariantError) -> Finding | None:
    """The open finding `error` is an instance of, if any."""
    message = str(error)
    for finding in OPEN:
        if finding.signature.search(message):
            return finding
    return None
