# `netmodels locust`: the server started, pinned and sampled as `netmodels bench` does it, Locust
# as child processes on the other CPUs (one standalone process, or a master and K workers bound
# to 127.0.0.1), and Locust's output turned into a run directory like every other driver's.
#
# Rules of this file: bad input is found before anything starts or is written - one line on
# stderr, exit 2, no run directory; once the run directory exists, a failure is recorded in it
# (a `failed` row, and `failure` in the manifest) and everything started is stopped on every way
# out (`finally`): the Locust processes first, then the sampler, then the server.
"""The `locust` command: validate, run Locust against a server, store the run."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.locust import convert
from harness.locust.options import DEFAULT_MASTER_PORT
from harness.locust.processes import Fleet, FleetError, Member
from harness.profile import Cell, Workload
from harness.runner import CpuPlan, ServerAddress, ServerError, ServerProcess, ServerSampler
from harness.runner.pinning import pin_process

if TYPE_CHECKING:
    from harness.trial import Setup, TrialOutcome

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
"""The built-in locustfile: the netmodels workloads as Locust users."""

USER_CLASSES = {"http": "HttpWorkload", "echo": "EchoStream"}
"""The built-in locustfile's user class of each protocol."""

CONNECT_TIMEOUT = 2.0
"""Seconds to wait for a `--target` to accept a connection before calling it not listening."""

MASTER_WAIT = 10.0
"""Seconds a `--worker` keeps trying to reach its master before giving up (Locust's own retries
would take five minutes)."""

FINISH_MARGIN = 60.0
"""Seconds beyond the planned run (start-up, workers connecting, shutdown) before a Locust run
is declared stuck and stopped."""


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


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Run `netmodels locust`; returns the exit status (2 for bad input)."""
    try:
        plan = validate(args)
    except BadInputError as exc:
        print(f"netmodels locust: error: {exc}", file=sys.stderr)
        return 2
    if args.worker:  # on a host of its own: every CPU is the worker's
        return run_worker(plan, args.worker)
    pin_process(0, plan.cpus.driver)  # never on the server's CPU; the Locust processes inherit
    return run_measured(plan, args, argv)


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
    from harness.bench import server_options, workload_and_payload

    try:
        options = server_options(args.server_opt)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    workload, payload = workload_and_payload(args)
    try:
        return Cell(
            impl=args.impl,
            options=options,
            protocol=args.protocol,
            workload=Workload.parse(workload),
            connections=args.users,
            payload=payload,
            duration=args.duration,
            warmup=0.0,
        )
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


def locust_env(plan: Plan, summary: Path | None) -> dict[str, str]:
    """The environment of Locust processes: the workload options the plugin reads."""
    env = dict(os.environ)
    env["NETMODELS_WORKLOAD"] = str(plan.cell.workload)
    env["NETMODELS_PAYLOAD"] = str(plan.cell.payload)
    env["NETMODELS_SEED"] = "0"
    if summary is not None:
        env["NETMODELS_SUMMARY"] = str(summary)
    return env


def lead_args(plan: Plan, web: bool, web_port: int, host: str, json_base: Path) -> list[str]:
    """The arguments of the standalone process or the master."""
    out = ["-f", str(plan.locustfile), "-H", host]
    out += ["-u", str(plan.cell.connections), "-r", f"{plan.spawn_rate:g}"]
    out += ["-t", f"{plan.run_time}s", "--reset-stats", "--only-summary"]
    out += ["--json-file", str(json_base)]
    if web:
        out += ["--autostart", "--autoquit", "1", "--web-host", "127.0.0.1", "-P", str(web_port)]
    else:
        out += ["--headless"]
    if plan.workers is not None:
        out += ["--master", "--master-bind-host", plan.master_bind]
        out += ["--master-bind-port", str(plan.master_port)]
        out += ["--expect-workers", str(plan.workers)]
        out += ["--expect-workers-max-wait", f"{math.ceil(plan.wait_workers)}"]
    if plan.builtin:
        out.append(USER_CLASSES[plan.cell.protocol])
    return out


def worker_args(plan: Plan, master_host: str) -> list[str]:
    """The arguments of one worker."""
    return [
        "-f",
        str(plan.locustfile),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(plan.master_port),
        "--reset-stats",
    ]


def run_worker(plan: Plan, master_host: str) -> int:
    """`--worker MASTER_HOST`: one Locust worker until its master ends the run."""
    with (
        tempfile.TemporaryDirectory(prefix="netmodels-locust-") as tmp,
        Fleet(Path(tmp), env=locust_env(plan, None)) as fleet,
    ):
        try:
            member = fleet.start("worker", worker_args(plan, master_host))
            print(f"locust worker of {master_host}:{plan.master_port} (pid {member.process.pid})")
            status = fleet.wait(member, deadline=math.inf)
        except KeyboardInterrupt:
            return 130
        except FleetError as exc:
            print(f"netmodels locust: {exc}", file=sys.stderr)
            return 1
        sys.stdout.write(member.log.read_text("utf-8", "replace")[-2000:])
        return status


def run_measured(plan: Plan, args: argparse.Namespace, argv: list[str]) -> int:
    """A measured Locust run: server, Locust processes, sampler, run directory."""
    from harness import bench
    from harness.results import RunDirectory
    from harness.results import manifest as manifest_io
    from harness.trial import Setup

    cell = plan.cell
    setup = Setup(cpus=plan.cpus, driver_procs=plan.procs, target=plan.target)
    meta = manifest_io.collect(
        ["netmodels", *argv], setup.describe(), {"name": "locust", "cell": cell.label}
    )
    meta["packages"]["locust"] = plan.version
    meta["locust"] = {
        "version": plan.version,
        "latency_resolution": convert.HDR_RESOLUTION,  # replaced below if the plugin was absent
        "locustfile": str(plan.locustfile),
        "mode": "standalone" if plan.workers is None else "master+workers",
        "workers": plan.workers,
        "local_workers": 0 if plan.master_only else plan.workers,
        "users": cell.connections,
        "spawn_rate": plan.spawn_rate,
        "run_time_s": plan.run_time,
        "web": plan.web,
        "master": f"{plan.master_bind}:{plan.master_port}" if plan.workers else None,
    }
    run_dir = RunDirectory.create(meta, Path(args.out) if args.out else None)
    trial_id = "0001"
    try:
        measured = measure(plan, trial_id, 1, run_dir.histogram_path(trial_id))
    except KeyboardInterrupt:
        run_dir.finish(complete=False, interrupted="interrupted (SIGINT/SIGTERM)")
        print(f"interrupted; nothing measured was kept. run: {run_dir.path}", file=sys.stderr)
        return 130
    outcome = measured.outcome
    run_dir.commit(outcome.record, outcome.histogram, outcome.timeseries)
    if measured.failure is not None:
        run_dir.finish(complete=True, failure=measured.failure.strip()[-2000:])
        print(f"netmodels locust: failed: {measured.failure.splitlines()[0]}", file=sys.stderr)
        print(f"results: {run_dir.path}")
        return 1
    if not measured.fine_latency:
        run_dir.manifest["locust"]["latency_resolution"] = convert.LOCUST_RESOLUTION
    run_dir.finish(complete=True)
    bench.print_summary(cell, outcome.record, setup)
    print(f"  locust    {plan.version}, latency {run_dir.manifest['locust']['latency_resolution']}")
    print(f"results: {run_dir.path}")
    return 0


def sweep_trial(
    trial_id: str, cell: Cell, repetition: int, setup: Setup, histogram_path: str
) -> TrialOutcome:
    """One trial of a sweep's `driver = "locust:K"` cell: Locust's master and K workers with the
    built-in locustfile, every user at once, on the setup's CPUs (the drivers comparison)."""
    from harness.results.manifest import utc_now
    from harness.trial import failed

    version = locust_version()
    if version is None:
        reason = "Locust is not installed; install it with: pip install 'netmodels[locust]'"
        return failed(trial_id, cell, repetition, setup, started_at=utc_now(), reason=reason)
    plan = Plan(
        version=version,
        locustfile=LOCUSTFILE,
        builtin=True,
        cell=cell,
        spawn_rate=float(cell.connections),
        workers=cell.driver_workers,
        cpus=setup.cpus,
        target=setup.target,
        master_port=free_port(),
        master_bind="127.0.0.1",
        wait_workers=MASTER_WAIT,
    )
    return measure(plan, trial_id, repetition, histogram_path).outcome


@dataclass(frozen=True, slots=True)
class Measured:
    """A finished Locust trial.

    outcome: its row (flagged `failed` when it could not run), histogram and time series.
    failure: why it failed (the row's reason, whole), or None.
    fine_latency: True when the latencies came from the plugin's histogram (3 significant
        digits), False when only Locust's rounded response times were there.
    """

    outcome: TrialOutcome
    failure: str | None = None
    fine_latency: bool = True


def measure(plan: Plan, trial_id: str, repetition: int, histogram_path: str) -> Measured:
    """Run `plan` once - server (unless `plan.target`), Locust processes, sampler - and return
    the trial. Everything started is stopped before it returns, on every way out; a failure is
    a `failed` row, KeyboardInterrupt propagates."""
    from harness.results import manifest as manifest_io
    from harness.trial import Setup, TrialOutcome, failed

    cell = replace(plan.cell, driver=f"locust:{plan.procs}")
    setup = Setup(cpus=plan.cpus, driver_procs=plan.procs, target=plan.target)
    started_at = manifest_io.utc_now()
    server = (
        None
        if plan.target
        else ServerProcess(cell.impl, cell.protocol, cell.options, plan.cpus.server)
    )
    tmp = tempfile.TemporaryDirectory(prefix="netmodels-locust-")
    summary_path = Path(tmp.name) / "summary.json"
    json_base = Path(tmp.name) / "stats"
    fleet = Fleet(Path(tmp.name), plan.cpus.driver, env=locust_env(plan, summary_path))
    sampler: ServerSampler | None = None
    try:
        address = plan.target if server is None else server.start()
        assert address is not None
        scheme = "http" if cell.protocol == "http" else "tcp"
        wall0, mono0 = time.time(), time.monotonic_ns()
        sampler = ServerSampler(address.pid, address.admin, mono0)
        sampler.start()
        lead = _start(fleet, plan, f"{scheme}://{address}", json_base)
        deadline = time.monotonic() + plan.run_time + plan.wait_workers + FINISH_MARGIN
        fleet.wait(lead, deadline)
        samples = sampler.stop()
        died = server is not None and not server.running
        stats, summary = _outputs(fleet, lead, json_base, summary_path)
    except (FleetError, ServerError, OSError, ValueError) as exc:
        reason = str(exc) + (server.log_tail() if isinstance(exc, FleetError) and server else "")
        outcome = failed(trial_id, cell, repetition, setup, started_at=started_at, reason=reason)
        return Measured(outcome, failure=reason)
    finally:
        fleet.stop()
        if sampler is not None:
            sampler.stop()
        if server is not None:
            server.close()
        logs = fleet.logs()
        tmp.cleanup()
    record, histogram_text, timeseries = _trial(
        trial_id=trial_id,
        repetition=repetition,
        plan=replace(plan, cell=cell),
        stats=stats,
        summary=summary,
        samples=samples,
        wall0=wall0,
        started_at=started_at,
        histogram_path=histogram_path,
        cpu_warning=convert.cpu_warned(logs),
        died=died,
    )
    return Measured(TrialOutcome(record, histogram_text, timeseries), fine_latency=bool(summary))


def _start(fleet: Fleet, plan: Plan, host: str, json_base: Path) -> Member:
    role = "standalone" if plan.workers is None else "master"
    lead = fleet.start(role, lead_args(plan, plan.web, plan.web_port, host, json_base))
    if plan.web:
        print(f"Locust web UI: http://127.0.0.1:{plan.web_port}/", file=sys.stderr)
    if plan.master_only:
        print(
            f"Locust master on {plan.master_bind}:{plan.master_port}, waiting up to "
            f"{plan.wait_workers:g} s for {plan.workers} worker(s): "
            f"netmodels locust --worker <this host> --master-port {plan.master_port}",
            file=sys.stderr,
        )
    elif plan.workers is not None:
        # Workers started before the master listens spend Locust's 5 s connect timeout waiting.
        deadline = time.monotonic() + plan.wait_workers
        while not reachable("127.0.0.1", plan.master_port, 0.0):
            if lead.process.poll() is not None or time.monotonic() > deadline:
                raise FleetError(f"the Locust master did not listen{fleet.log_tail(lead)}")
            time.sleep(0.05)  # retry pacing
        for n in range(1, plan.workers + 1):
            fleet.start(f"worker-{n}", worker_args(plan, "127.0.0.1"))
    return lead


def _outputs(
    fleet: Fleet, lead: Member, json_base: Path, summary_path: Path
) -> tuple[convert.LocustStats, dict[str, Any] | None]:
    """Locust's statistics and the netmodels summary (None without the plugin).

    Raises:
        FleetError: Locust wrote no statistics (it failed; the log says why).
    """
    stats_path = json_base.with_name(json_base.name + ".json")  # Locust appends `.json`
    try:
        stats = convert.LocustStats.parse(json.loads(stats_path.read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise FleetError(
            f"locust {lead.role} wrote no statistics ({exc}){fleet.log_tail(lead)}"
        ) from None
    summary = None
    with contextlib.suppress(OSError, ValueError):
        summary = json.loads(summary_path.read_text())
    return stats, summary


def _trial(
    *,
    trial_id: str,
    repetition: int,
    plan: Plan,
    stats: convert.LocustStats,
    summary: dict[str, Any] | None,
    samples: list[Any],
    wall0: float,
    started_at: str,
    histogram_path: str,
    cpu_warning: bool,
    died: bool,
) -> tuple[Any, str | None, list[dict[str, Any]]]:
    """The record, histogram and time series of a finished run."""
    from harness.results import server_figures, timeseries_rows

    # The sampler's clock starts at launch; Locust's measurement when it reset its statistics.
    offset = stats.start - wall0 if math.isfinite(stats.start) else 0.0
    shifted = [replace(s, t=s.t - offset) for s in samples]
    right = stats.requests - stats.failures
    duration = stats.duration if stats.duration > 0 else plan.cell.duration
    cell = replace(plan.cell, warmup=round(max(0.0, offset), 3))
    record = convert.locust_record(
        trial_id=trial_id,
        cell=cell,
        repetition=repetition,
        stats=stats,
        summary=summary,
        workers=plan.procs,
        server=server_figures(shifted, duration, right),
        server_cpus=plan.cpus.server if plan.target is None else (),
        driver_cpus=plan.cpus.driver,
        started_at=started_at,
        histogram_path=histogram_path,
        cpu_warning=cpu_warning or bool(summary and summary.get("cpu_warning")),
        extra_flags=["server_died"] if died else [],
    )
    histogram_text = summary.get("histogram") if summary else None
    return record, histogram_text or None, timeseries_rows(trial_id, None, shifted)
