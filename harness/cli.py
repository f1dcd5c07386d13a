# The `netmodels` command line. Subcommands live in their own modules; this file only wires them.
"""`netmodels` entry point."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

from . import options, serve

if TYPE_CHECKING:
    from .trial import Setup


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
    _add_harness_commands(commands)
    return parser


def _add_harness_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench_parser = commands.add_parser(
        "bench",
        help="measure one cell (one impl, one load) and write a run",
        description="Measure one cell: start the server, drive it, sample it, write a run.",
    )
    options.add_bench_options(bench_parser)
    options.add_setup_options(bench_parser, target=True)
    sweep_parser = commands.add_parser(
        "sweep",
        help="run a profile (quick, full, or a .toml file) and write a run",
        description="Run every cell of a profile, repetitions interleaved, into one run.",
    )
    options.add_sweep_options(sweep_parser)
    options.add_setup_options(sweep_parser, target=False)
    calibrate_parser = commands.add_parser(
        "calibrate",
        help="the driver's ceiling against the fastest local target, and wrk's on the same",
        description="Driver req/s vs wrk req/s on the fastest local target, same run.",
    )
    options.add_calibrate_options(calibrate_parser)
    options.add_setup_options(calibrate_parser, target=False)
    report_parser = commands.add_parser(
        "report",
        help="write report.html and report.md of a run",
        description="Write RUN_DIR/report.html (self-contained) and report.md of a run.",
    )
    options.add_report_options(report_parser)
    from .locust.options import add_locust_options  # argparse only: no locust, no gevent

    add_locust_options(
        commands.add_parser(
            "locust",
            help="drive one impl with Locust (headless, master + workers, or web UI), write a run",
            description="Locust against one impl, started, pinned and sampled as bench does it.",
        )
    )


def _setup(args: argparse.Namespace) -> Setup:
    from .runner import CpuPlan, ServerAddress
    from .trial import Setup

    target_text = getattr(args, "target", None)
    target = ServerAddress.parse(target_text, getattr(args, "admin", None)) if target_text else None
    cpus = CpuPlan.parse(args.server_cpus, args.driver_cpus, external_server=target is not None)
    procs = args.driver_procs or max(1, len(cpus.driver) or (os.cpu_count() or 1))
    return Setup(cpus=cpus, driver_procs=procs, drain=args.drain, seed=args.seed, target=target)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGINT/SIGTERM: interrupt the main thread once; cleanup then runs undisturbed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _run_harness(args: argparse.Namespace, argv: list[str]) -> int:
    from impls.registry import IMPLS

    from . import bench, calibrate, sweep
    from .runner import pin_process, raise_open_file_limit

    setup = _setup(args)
    raise_open_file_limit()
    # The harness itself (sampler, progress, wrk) runs with the driver, never on the server's CPU.
    pin_process(0, setup.cpus.driver)
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    registered = list(IMPLS)
    if args.command == "bench":
        return bench.run(args, setup, argv)
    if args.command == "sweep":
        return sweep.run(args, setup, registered, argv)
    return calibrate.run(args, setup, registered, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for a bad option)."""
    parser = build_parser()
    argv_list = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv_list)
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
    if args.command == "locust":
        from .locust import command as locust_command

        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        return locust_command.run(args, argv_list)
    if args.command == "report":
        from .report.command import run as report

        return report(args)
    try:
        return _run_harness(args, argv_list)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
