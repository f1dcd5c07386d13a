# `netmodels check`: checks that judge real server processes from outside, the way an attacker
# or a careless client would meet them. Today one: `robustness` (docs/robustness.md) - a
# hostile-input corpus and client faults, scenario x impl, with the server's descriptors,
# threads and memory as evidence. A command on top of the pipeline: it starts servers with the
# runner (`harness.runner.ServerProcess`) and nothing imports it. Importing this package costs
# argparse and the registry only, so `netmodels serve` may build its parser with it.
"""`netmodels check`: `add_check_options(parser)` wires it, `run(args)` runs it."""

from __future__ import annotations

import argparse

from harness.check.options import add_check_options


def run(args: argparse.Namespace) -> int:
    """Run the check named by `args.check`; the exit status: 0 all pass, 1 a failure, 2 bad
    input (one line on stderr)."""
    from harness.check.command import (
        run as run_check,  # rich, psutil, sockets: only when a check runs
    )

    return run_check(args)


__all__ = ["add_check_options", "run"]
