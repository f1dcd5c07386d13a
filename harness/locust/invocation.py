# What a `netmodels locust` invocation asks for, checked before anything starts: the options
# turned into a `Plan` (the cell, Locust's settings, the CPUs, the target), or one line of bad
# input. Split from the command (harness/locust/command.py), which runs a validated plan.
#
# Rules of this file: nothing is started or written here; a check that needs the network only
# dials (a `--target` or a master that must be listening), and every problem is a
# `BadInputError` whose message is the one line the user sees.
"""`validate`: `netmodels locust` options -> `Plan`, or `BadInputError`."""

from __future__ import annotations

import argparse
import importlib.util
import math
import socket
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from harness.locust.options import DEFAULT_MASTER_PORT
from harness.process import CpuPlan
from harness.profile import Cell
from harness.runner import ServerAddress

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
"""The built-in locustfile: the netmodels workloads as Locust users."""

USER_CLASSES = {"http": "HttpWorkload", "echo": "EchoStream"}
"""The built-in locustfile's user class of each protocol."""

CONNECT_TIMEOUT = 2.0
"""Seconds to wait for a `--target` to accept a connection before calling it not listening."""

MASTER_WAIT = 10.0
"""Seconds a `--worker` keeps trying to reach its master before giving up (Locust's own retries
would take five minutes)."""


class BadInputError(ValueError):
    """Input that cannot run: reported as one line, exit status 2, nothing started or written."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated `netmodels locust` invocation."""

    version: str
    locustfile: Path
    builtin: bool
    cell: Cell
    spawn_rate: float
    workers: int | None
    cpus: CpuPlan
    target: ServerAddress | None
    master_port: int
    master_bind: str
    wait_workers: float
    web: bool = False
    web_port: int = 8089
    master_only: bool = False

    @property
    def run_time(self) -> int:
        """Locust's `-t` in whole seconds: spawning, then the measured duration."""
        return math.ceil(self.cell.connections / self.spawn_rate + self.cell.duration)

    @property
    def procs(self) -> int:
        """Processes that run users: the workers, or the one standalone process."""
        return self.workers or 1


def locust_version() -> str | None:
    """Locust's version, or None if it cannot be imported here (checked without importing it:
    importing locust would monkey-patch this process with gevent)."""
    try:
        if importlib.util.find_spec("locust") is None:
            return None
    except (ImportError, ValueError):  # ValueError: sys.modules["locust"] is None
        return None
    try:
        return metadata.version("locust")
    except metadata.PackageNotFoundError:
        return None


def validate(args: argparse.Namespace) -> Plan:
    """Check everything that can be checked before starting anything.

    Raises:
        BadInputError: with the one line to print.
    """
    version = locust_version()
    if version is None:
        raise BadInputError(
            "Locust is not installed; install it with: pip install 'netmodels[locust]'"
        )
    if args.workers is not None and args.workers < 1:
        raise BadInputError(f"--workers must be at least 1 (got {args.workers})")
    if args.users < 1:
        raise BadInputError(f"--users must be at least 1 (got {args.users})")
    spawn_rate = args.spawn_rate if args.spawn_rate is not None else float(args.users)
    if spawn_rate <= 0:
        raise BadInputError(f"--spawn-rate must be above 0 (got {args.spawn_rate:g})")
    builtin = args.locustfile is None
    locustfile = LOCUSTFILE if builtin else Path(args.locustfile).resolve()
    if not locustfile.is_file():
        raise BadInputError(f"no locustfile at {locustfile}")
    if args.worker:
        port = args.master_port or DEFAULT_MASTER_PORT
        wait = args.wait_workers or MASTER_WAIT
        if not reachable(args.worker, port, wait):
            raise BadInputError(
                f"cannot reach the Locust master at {args.worker}:{port} "
                f"(nothing accepted a connection within {wait:g} s)"
            )
    cell = _cell(args)
    target = None
    if args.target:
        try:
            target = ServerAddress.parse(args.target, args.admin)
        except ValueError as exc:
            raise BadInputError(f"--target: {exc}") from None
        if not args.worker and not reachable(target.host, target.port, CONNECT_TIMEOUT):
            raise BadInputError(f"nothing listens on {target} (--target)")
    elif not args.worker:
        from harness.serve import check_server

        try:
            check_server(cell.impl, cell.protocol, cell.options)
        except ValueError as exc:
            raise BadInputError(str(exc)) from None
    if args.out and Path(args.out).exists() and any(Path(args.out).iterdir()):
        raise BadInputError(f"{args.out} exists and is not empty; runs are never overwritten")
    try:
        cpus = CpuPlan.parse(args.server_cpus, args.driver_cpus, external_server=target is not None)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    workers = args.workers if not args.master_only else (args.workers or 1)
    return Plan(
        version=version,
        locustfile=locustfile,
        builtin=builtin,
        cell=cell,
        spawn_rate=spawn_rate,
        workers=workers,
        cpus=cpus,
        target=target,
        master_port=args.master_port
        or (DEFAULT_MASTER_PORT if args.master_only or args.worker else free_port()),
        master_bind=args.master_bind or ("0.0.0.0" if args.master_only else "127.0.0.1"),
        wait_workers=args.wait_workers or (300.0 if args.master_only else 30.0),
        web=bool(args.web),
        web_port=int(args.web_port),
        master_only=bool(args.master_only),
    )


def _cell(args: argparse.Namespace) -> Cell:
    from harness.bench import server_cell

    try:
        return server_cell(args, connections=args.users, duration=args.duration, warmup=0.0)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None


def reachable(host: str, port: int, within: float) -> bool:
    """True once a TCP connection to host:port succeeds, trying until `within` seconds pass."""
    deadline = time.monotonic() + within
    while True:
        try:
            with socket.create_connection(
                (host, port), timeout=max(0.2, min(CONNECT_TIMEOUT, within))
            ):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)  # retry pacing, not a guess at when something happened


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a local master; taken by Locust a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
