# `netmodels locust`: the server started, pinned and sampled as `netmodels bench` does it, Locust
# as child processes on the other CPUs (one standalone process, or a master and K workers bound
# to 127.0.0.1), and Locust's output turned into a run directory like every other driver's.
#
# Rules of this file: bad input is found before anything starts or is written (`validate`,
# harness/locust/invocation.py) - one line on stderr, exit 2, no run directory; once the run
# directory exists, a failure is recorded in it (a `failed` row, and `failure` in the manifest)
# and everything started is stopped on every way out (`finally`): the Locust processes first,
# then the sampler, then the server.
"""The `locust` command: validate, run Locust against a server, store the run."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.locust import convert
from harness.locust.invocation import (
    LOCUSTFILE,
    MASTER_WAIT,
    USER_CLASSES,
    BadInputError,
    Plan,
    free_port,
    locust_version,
    reachable,
    validate,
)
from harness.locust.processes import Fleet, FleetError, Member
from harness.process import pin_process
from harness.profile import Cell
from harness.runner import ServerError, ServerProcess, ServerSampler

if TYPE_CHECKING:
    from harness.trial import Setup, TrialOutcome

FINISH_MARGIN = 60.0
"""Seconds beyond the planned run (start-up, workers connecting, shutdown) before a Locust run
is declared stuck and stopped."""


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
