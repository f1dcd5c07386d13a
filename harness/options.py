# The options of the harness commands, kept apart from the commands themselves so that building
# the `netmodels` parser imports nothing heavy: `netmodels serve` (started once per trial) must
# not pay for numpy, pandas and rich.
"""argparse options of `bench`, `sweep`, `calibrate`, `ping` and `report`."""

from __future__ import annotations

import argparse


def add_server_and_workload_options(parser: argparse.ArgumentParser) -> None:
    """The options naming the server and what is sent to it (`bench` and `locust`)."""
    parser.add_argument(
        "--impl", default="eventloop", help="registered impl or target (default: eventloop)"
    )
    parser.add_argument(
        "--server-opt",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a `netmodels serve` option for the server, e.g. loop=asyncio (repeatable)",
    )
    parser.add_argument("--protocol", choices=["http", "echo"], default="http")
    parser.add_argument(
        "--workload",
        default=None,
        help="ping | echo | bytes | delay:MS | work:MS, or a mix like ping@95+work:1@5 "
        "(default: ping; `stream` for --protocol echo)",
    )
    parser.add_argument(
        "--payload",
        "-s",
        type=int,
        default=None,
        help="bytes of /echo bodies, /bytes answers, TCP echo messages (default: 0; echo: 64)",
    )


def add_bench_options(parser: argparse.ArgumentParser) -> None:
    """The options of `netmodels bench` (setup options are added by the CLI)."""
    add_server_and_workload_options(parser)
    parser.add_argument("--mode", choices=["closed", "open"], default="closed")
    parser.add_argument("--connections", "-c", type=int, default=64)
    parser.add_argument(
        "--pipeline", "-d", type=int, default=1, help="closed mode: requests outstanding per conn"
    )
    parser.add_argument("--rate", "-r", type=float, default=None, help="open mode: requests/s")
    parser.add_argument("--arrivals", choices=["constant", "poisson"], default="constant")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of discarded load")
    parser.add_argument(
        "--idle-connections",
        type=count,
        default=0,
        metavar="N",
        help="connections held open and silent beside the measured ones (default 0)",
    )
    parser.add_argument(
        "--read-rate",
        type=byte_rate,
        default=0,
        metavar="BYTES_PER_S",
        help="closed mode: slow readers - each connection reads this many bytes/s (suffixes "
        "KiB, MiB, GiB or kB, MB, GB) and sends as fast as the server takes (default 0: full "
        "speed)",
    )
    parser.add_argument(
        "--experiment", default="", metavar="TAG", help="the experiment the trial belongs to"
    )


def count(text: str) -> int:
    """An integer >= 0 (argparse type: the error names the option)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative (must be >= 0)")
    return value


_UNITS = {
    "": 1,
    "b": 1,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
}


def byte_rate(text: str) -> int:
    """Bytes per second like `65536`, `64KiB`, `1MiB` or `2MB` (argparse type; a `/s` after the
    unit is allowed), >= 0."""
    spec = text.strip().lower().removesuffix("/s")
    digits = spec.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = spec[len(digits) :]
    try:
        value = float(digits) * _UNITS[unit]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected bytes per second like 65536, 64KiB, 1MiB or 2MB"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative (must be >= 0)")
    return round(value)


def add_sweep_options(parser: argparse.ArgumentParser) -> None:
    """The options of `netmodels sweep` (setup options are added by the CLI)."""
    parser.add_argument(
        "profile",
        nargs="?",
        help="a profile name in harness/profiles/ (quick, full) or a .toml path; "
        "with --resume, defaults to the run's own profile",
    )
    parser.add_argument("--resume", metavar="DIR", help="finish the incomplete run in DIR")
    parser.add_argument(
        "--impl",
        action="append",
        dest="only_impls",
        default=None,
        metavar="NAME",
        help="run only these impls of the profile (repeatable)",
    )


def add_calibrate_options(parser: argparse.ArgumentParser) -> None:
    """The options of `netmodels calibrate` (setup options are added by the CLI)."""
    parser.add_argument(
        "--impl",
        action="append",
        dest="impls",
        default=None,
        metavar="NAME",
        help="candidate targets: registered impls, or `bare` for harness.yardstick "
        "(default: bare and every registered impl); the fastest is used",
    )
    parser.add_argument("--connections", "-c", type=int, default=64)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--repetitions", type=int, default=3, help="driver/wrk pairs")
    parser.add_argument("--probe-duration", type=float, default=2.0, help="seconds per probe")


def add_ping_options(parser: argparse.ArgumentParser) -> None:
    """The options of `netmodels ping` (setup options are added by the CLI)."""
    parser.add_argument(
        "--impls",
        default=None,
        metavar="TARGETS",
        help="targets to compare with the bare server, separated by spaces: IMPL or "
        "IMPL:option=value,... with `netmodels serve` options, e.g. "
        "'actor actor:actor-threads=2 function:timeout-ms=1000,max-inflight=10000' "
        "(default: every registered impl)",
    )
    parser.add_argument("--no-bare", action="store_true", help="leave the bare server out")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="a checkout of an older commit (e.g. `git worktree add DIR REV`): run DIR's "
        "version of every target too, in the same rounds, labelled TARGET@baseline",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of wrk before each")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, targets interleaved")
    parser.add_argument("--connections", "-c", type=int, default=64, help="wrk -c")


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The options of `netmodels report`."""
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (with manifest.json)")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write report.html, report.md and report_files/ here instead of into RUN_DIR "
        "(for committed runs, which are never edited by hand)",
    )
    parser.add_argument(
        "--open-in-browser",
        choices=["yes", "no"],
        default="no",
        help="open report.html in the default browser when written (default: no)",
    )


def add_setup_options(
    parser: argparse.ArgumentParser,
    *,
    target: bool,
    driver: str = "the driver",
    pool: bool = True,
) -> None:
    """The "machine and output" options: --out, the CPUs, the seed, and - with `pool` - the
    driver's processes and drain; with `target`, --target and --admin. `driver` names what runs
    on the driver CPUs in the help (`netmodels locust`: the Locust processes)."""
    group = parser.add_argument_group("machine and output")
    group.add_argument(
        "--out",
        metavar="DIR",
        help="run directory (default: ./results/<run-id>/, or under $NETMODELS_RESULTS)",
    )
    group.add_argument(
        "--server-cpus", metavar="LIST", help="CPUs of the server, e.g. 0 (default: first CPU)"
    )
    group.add_argument(
        "--driver-cpus", metavar="LIST", help=f"CPUs of {driver}, e.g. 1-3 (default: the rest)"
    )
    if pool:
        group.add_argument(
            "--driver-procs", type=int, metavar="P", help="driver processes (default: driver CPUs)"
        )
        group.add_argument(
            "--drain", type=float, default=2.0, help="seconds to await answers after the end"
        )
    seeded = "mixes and Poisson arrivals" if pool else "mixes"
    group.add_argument("--seed", type=int, default=0, help=f"seed of {seeded}")
    if target:
        group.add_argument(
            "--target", metavar="HOST:PORT", help="measure a server started elsewhere"
        )
        group.add_argument(
            "--admin", metavar="HOST:PORT", help="that server's /metrics (with --target)"
        )
