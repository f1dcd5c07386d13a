# The part of every fuzz target that talks to atheris (libFuzzer): the rest is `invariants`.
#
# Rules of this file: a target module imports its instrumented code inside
# `atheris.instrument_imports` before anything else imports it (code imported earlier is not
# instrumented and gives libFuzzer no coverage), then hands its check to `fuzz`.
"""Run one check under atheris, with libFuzzer's command line."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

STOP_ON_KNOWN = "FUZZ_STOP_ON_KNOWN"
"""Set to 1 to stop at an input hitting an open finding too (fuzz/known.py), not skip it."""


def _make_artifact_dir(argv: list[str]) -> None:
    # libFuzzer writes a failing input to `-artifact_prefix=` but does not create its directory.
    # (Corpus directories are not created here: a mistyped input file would become one.)
    for arg in argv[1:]:
        if arg.startswith("-artifact_prefix="):
            prefix = arg.partition("=")[2]
            directory = Path(prefix) if prefix.endswith("/") else Path(prefix).parent
            directory.mkdir(parents=True, exist_ok=True)


def load_atheris() -> Any:
    """The atheris module. It ships no type information; loaded by name, mypy takes it as `Any`
    without a per-module override in the project's config (or an ignore that fails where it is
    not installed)."""
    return importlib.import_module("atheris")


def fuzz(check: Callable[[bytes], object], argv: list[str] | None = None) -> None:
    """Fuzz `check` (an input fails when it raises) with libFuzzer's arguments `argv`."""
    atheris = load_atheris()

    # Imported here, not at the top: a target imports this module before it instruments the
    # protocol layer, and these import that layer.
    from fuzz.invariants import InvariantError
    from fuzz.known import open_finding

    args = list(sys.argv if argv is None else argv)
    _make_artifact_dir(args)

    skip_known = os.environ.get(STOP_ON_KNOWN) != "1"
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        try:
            check(data)
        except InvariantError as error:
            finding = open_finding(error) if skip_known else None
            if finding is None:
                raise
            if finding.name not in seen:
                seen.add(finding.name)
                print(f"fuzz: skipping inputs that hit open finding {finding.name}", flush=True)

    atheris.Setup(args, one_input)
    atheris.Fuzz()
