# The `netmodels` command line. Subcommands live in their own modules; this file only wires them.
#
# Rules of this file: bad input - an option argparse refuses, an input a command finds unusable
# before it starts anything (`ValueError`, `FileNotFoundError`, `FileExistsError`), a port that
# cannot be listened on - is one line on stderr, `netmodels X: error: ...`, and exit 2: no
# traceback, no usage block. `--debug` shows the traceback as well.
"""`netmodels` entry point."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from harness import options, serve

if TYPE_CHECKING:
    from harness.trial import Setup


class Parser(argparse.ArgumentParser):
    """argparse, with bad options answered in one line: `netmodels serve: error: argument
    --port: invalid int value: 'x' (see `netmodels serve --help`)`, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """-v and --debug, accepted before or after the command (`netmodels serve ... --debug`)."""
    default = False if top else argparse.SUPPRESS  # a subcommand must not reset the top's value
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="debug logging on stderr"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="debug logging, and the traceback of an error as well as its one line",
    )


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every subcommand's parser under `parser`, nested ones (`check robustness`) included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield sub
                yield from _commands(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = Parser(
        prog="netmodels",
        description="One echo/HTTP service, several network programming models, one harness.",
    )
    _add_common(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_parser = commands.add_parser(
        "serve",
        help="run one server impl",
        description="Run one server impl. Prints one JSON line on stdout when ready.",
    )
    serve.add_config_options(serve_parser)
    commands.add_parser("impls", help="list the registered impls")
    _add_harness_commands(commands)
    for sub in _commands(parser):
        _add_common(sub, top=False)
    return parser


_MEASURING: tuple[tuple[str, str, str, Callable[[argparse.ArgumentParser], None], bool], ...] = (
    (
        "bench",
        "measure one cell (one impl, one load) and write a run",
        "Measure one cell: start the server, drive it, sample it, write a run.",
        options.add_bench_options,
        True,
    ),
    (
        "sweep",
        "run a profile (quick, full, or a .toml file) and write a run",
        "Run every cell of a profile, repetitions interleaved, into one run.",
        options.add_sweep_options,
        False,
    ),
    (
        "calibrate",
        "the driver's ceiling against the fastest local target, and wrk's on the same",
        "Driver req/s vs wrk req/s on the fastest local target, same run.",
        options.add_calibrate_options,
        False,
    ),
    (
        "ping",
        "every impl vs the bare server on GET /ping under wrk (and vs --baseline DIR)",
        "What the shared layer costs: every impl against the bare uvloop + httptools server "
        "on GET /ping under wrk, pinned, interleaved; writes a run.",
        options.add_ping_options,
        False,
    ),
)
"""The commands that start servers on this machine's CPUs and write a run: name, help,
description, their own options, and whether `--target HOST:PORT` may replace the server."""


def _add_harness_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    for name, summary, description, add_options, target in _MEASURING:
        sub = commands.add_parser(name, help=summary, description=description)
        add_options(sub)
        options.add_setup_options(sub, target=target)
    report_parser = commands.add_parser(
        "report",
        help="write report.html and report.md of a run",
        description="Write RUN_DIR/report.html (self-contained) and report.md of a run.",
    )
    options.add_report_options(report_parser)
    from harness.check import add_check_options  # argparse and the registry only
    from harness.locust.options import add_locust_options  # argparse only: no locust, no gevent

    add_check_options(
        commands.add_parser(
            "check",
            help="judge real servers from outside: `check robustness` (hostile input, faults)",
            description="Checks that start real servers and judge them from outside.",
        )
    )

    add_locust_options(
        commands.add_parser(
            "locust",
            help="drive one impl with Locust (headless, master + workers, or web UI), write a run",
            description="Locust against one impl, started, pinned and sampled as bench does it.",
        )
    )


def _setup(args: argparse.Namespace) -> Setup:
    from harness.process import CpuPlan
    from harness.runner import ServerAddress
    from harness.trial import Setup

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
    from harness import bench, calibrate, sweep
    from harness.process import pin_process, raise_open_file_limit
    from impls.registry import IMPLS

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
    if args.command == "ping":
        from harness.ping import command as ping

        return ping.run(args, setup, registered, argv)
    return calibrate.run(args, setup, registered, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input)."""
    parser = build_parser()
    argv_list = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv_list)
    debug = bool(args.debug)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose or debug else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        return _dispatch(args, argv_list)
    except (ValueError, FileNotFoundError, FileExistsError, serve.ListenError) as exc:
        if debug:
            raise
        print(f"netmodels {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _dispatch(args: argparse.Namespace, argv_list: list[str]) -> int:
    if args.command == "serve":
        return serve.run_serve(serve.config_from_args(args))
    if args.command == "impls":
        from impls.registry import IMPLS

        for spec in IMPLS.values():
            print(f"{spec.name:22} {spec.model:12} {spec.summary}")
        return 0
    if args.command == "locust":
        from harness.locust import command as locust_command

        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        return locust_command.run(args, argv_list)
    if args.command == "report":
        from harness.report.command import run as report

        return report(args)
    if args.command == "check":
        from harness import check

        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        return check.run(args)
    return _run_harness(args, argv_list)


if __name__ == "__main__":
    sys.exit(main())
