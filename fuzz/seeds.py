# The seed corpus: the raw requests of the protocol test tables, in the fuzz input format.
#
# Rules of this file: seeds are derived, never stored - the test tables are their one source, so a
# case added there seeds the fuzzer at its next run. Each payload becomes a few inputs that differ
# only in flags and cuts, so the fuzzer starts from every mode the checks know.
"""Seed inputs from tests/protocol/cases.py and test_differential.py; `python -m fuzz.seeds DIR`."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from fuzz.invariants import CLOSE, EXPIRE, LARGE_LIMITS, NO_EOF, FuzzInput

ECHO_PAYLOADS = [
    ("empty", b""),
    ("line", b"hello, echo\r\n"),
    ("every-byte", bytes(range(256))),
    ("http-looking", b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("long", bytes(range(256)) * 12),
]
"""Echo payloads; the HTTP payloads seed the echo target too (it must not care)."""


def variants(payload: bytes) -> list[FuzzInput]:
    """The inputs seeded from one payload: whole with each set of limits, cut in thirds, cut
    with a timeout after the first piece, and answered with close, without EOF."""
    third = len(payload) // 3
    return [
        FuzzInput(payload, (), LARGE_LIMITS),
        FuzzInput(payload),
        FuzzInput(payload, (third, 2 * third), LARGE_LIMITS),
        FuzzInput(payload, (third,), LARGE_LIMITS | EXPIRE),
        FuzzInput(payload, (1, 2), CLOSE | NO_EOF),
    ]


def http_payloads() -> list[tuple[str, bytes]]:
    """(name, raw bytes) of every case of the protocol test tables."""
    # Imported here: the tables live in the test suite (which needs pytest and hypothesis) and
    # only the seeding reads them, not the checks.
    from tests.protocol.cases import CASES
    from tests.protocol.test_differential import HOSTILE

    payloads = [(f"case-{case.id}", case.raw) for case in CASES]
    for param in HOSTILE:
        raw = param.values[0]
        assert isinstance(raw, bytes)
        payloads.append((f"hostile-{param.id}", raw))
    return payloads


def seed_files(payloads: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """File name -> contents for every variant of every payload."""
    files = {}
    for name, payload in payloads:
        for i, fuzz in enumerate(variants(payload)):
            files[f"seed-{name}-{i}.bin"] = fuzz.encode()
    return files


def write(directory: Path, files: dict[str, bytes]) -> int:
    """Write `files` into `directory` (created if missing); how many were written."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return len(files)


def main() -> None:
    """Write the HTTP seeds into DIR/http and the echo seeds into DIR/echo."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path, help="working corpus root (http/ and echo/)")
    args = parser.parse_args()
    http = seed_files(http_payloads())
    echo = seed_files(ECHO_PAYLOADS) | http
    n = write(args.directory / "http", http) + write(args.directory / "echo", echo)
    print(f"fuzz.seeds: {n} seed inputs under {args.directory}")


if __name__ == "__main__":
    main()
