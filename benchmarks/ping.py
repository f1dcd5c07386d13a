# Kept as a shim: README, docs/actor.md and docs/function.md run `python benchmarks/ping.py ...`
# with options `netmodels ping` keeps (--impls, --no-bare, --repeat, --duration, --warmup).
#
# Rules of this file: nothing but the call; the command lives in harness/ping/.
"""`python benchmarks/ping.py ARGS` is `netmodels ping ARGS` (harness/ping/)."""

import sys

from harness.cli import main

if __name__ == "__main__":
    sys.exit(main(["ping", *sys.argv[1:]]))
