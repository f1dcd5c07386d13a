# The `netmodels` command line. Subcommands live in their own modules; this file only wires them.
"""`netmodels` entry point."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import serve


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="netmodels",
        description="One echo/HTTP service, several network programming models, one harness.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_parser = commands.add_parser(
        "serve",
        help="run one server impl",
        description="Run one server impl. Prints one JSON line on stdout when ready.",
    )
    serve.add_config_options(serve_parser)
    commands.add_parser("impls", help="list the registered impls")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for a bad option)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if args.command == "serve":
        try:
            config = serve.config_from_args(args)
        except ValueError as exc:
            parser.error(str(exc))
        return serve.run_serve(config)
    if args.command == "impls":
        from impls.registry import IMPLS

        for spec in IMPLS.values():
            print(f"{spec.name:22} {spec.model:12} {spec.summary}")
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
