# wrk as a driver: the same trial shape as the netmodels driver's - a fresh server, pinned and
# sampled; a warm-up run (discarded), then the measured run - with wrk (C, one thread per driver
# CPU) sending GET /ping in a closed loop. `calibrate` runs it to find the netmodels driver's
# ceiling; a sweep runs it for cells with `driver = "wrk"` (the drivers comparison, E10);
# `netmodels ping` runs every round of every target as one.
#
# Rules of this file: wrk itself is run and parsed by `harness.runner.wrk`; a wrk that is
# missing, fails or times out gives a row flagged `failed` (as any trial that could not run),
# never an exception. The server's CPU per request is read exactly at the start and end of the
# measured wrk run (psutil, the whole process tree), not interpolated from the 10 Hz samples,
# whose first sample can only follow wrk's start.
"""`wrk_trial`: one trial driven by wrk."""

from __future__ import annotations

import json
import resource
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from harness.profile import Cell
from harness.results import TrialRecord, server_figures, timeseries_rows
from harness.results import manifest as manifest_io
from harness.runner import ServerError, ServerSampler
from harness.runner.sampler import ServerSample, tree_cpu_times
from harness.runner.wrk import MISSING, find_wrk, parse_wrk, run_wrk
from harness.trial import Setup, TrialOutcome, failed


def wrk_trial(
    trial_id: str,
    cell: Cell,
    repetition: int,
    setup: Setup,
    wrk: str | None = None,
    *,
    home: Path | None = None,
) -> TrialOutcome:
    """One trial of `cell` driven by wrk (`wrk`: its path; default: wrk on PATH); `home`: the
    checkout whose server code to run (default: this one).

    wrk inherits this process's CPU affinity - the driver CPUs (`netmodels` pins itself there).
    """
    started_at = manifest_io.utc_now()
    wrk = wrk or find_wrk()
    if wrk is None:
        return failed(trial_id, cell, repetition, setup, started_at=started_at, reason=MISSING)
    threads = max(1, min(len(setup.cpus.driver) or 1, cell.connections))
    server = setup.server(cell, home)
    try:
        address = setup.address(server)
        url = f"http://{address}/ping"
        if cell.warmup > 0:
            run_wrk(
                wrk, threads=threads, connections=cell.connections, duration=cell.warmup, url=url
            )
        sampler = ServerSampler(address.pid, address.admin, time.monotonic_ns())
        sampler.start()
        before = _children_cpu(), tree_cpu_times(address.pid)
        try:
            text = run_wrk(
                wrk, threads=threads, connections=cell.connections, duration=cell.duration, url=url
            )
        finally:
            after = _children_cpu(), tree_cpu_times(address.pid)
            samples = sampler.stop()
    except (ServerError, OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        reason = f"wrk: {exc} {detail}".strip()
        if server is not None:
            reason += server.log_tail()
        return failed(trial_id, cell, repetition, setup, started_at=started_at, reason=reason)
    finally:
        if server is not None:
            server.close()
    parsed = parse_wrk(text)
    # wrk's CPU share, comparable to the driver's (`driver_cpu`): per thread, as wrk runs one
    # thread per driver CPU.
    parsed["cpu_share"] = (after[0] - before[0]) / parsed.get("duration_s", cell.duration) / threads
    server_cpu = _difference(before[1], after[1])
    record = _wrk_record(
        trial_id=trial_id,
        cell=cell,
        repetition=repetition,
        setup=setup,
        started_at=started_at,
        parsed=parsed,
        samples=samples,
        threads=threads,
        server_cpu=server_cpu,
    )
    return TrialOutcome(
        record, None, timeseries_rows(trial_id, None, samples), server_cpu=server_cpu
    )


def _children_cpu() -> float:
    """User + system CPU seconds of this process's waited-for children (wrk, once it exits)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _difference(
    before: tuple[float, float] | None, after: tuple[float, float] | None
) -> tuple[float, float] | None:
    if before is None or after is None:
        return None
    return after[0] - before[0], after[1] - before[1]


def _wrk_record(
    *,
    trial_id: str,
    cell: Cell,
    repetition: int,
    setup: Setup,
    started_at: str,
    parsed: dict[str, float],
    samples: list[ServerSample],
    threads: int,
    server_cpu: tuple[float, float] | None,
) -> TrialRecord:
    duration = parsed.get("duration_s", cell.duration)
    requests = int(parsed.get("requests", 0))
    errors = int(parsed.get("errors", 0))
    nan = float("nan")
    figures = server_figures(samples, duration, requests)
    if server_cpu is not None and requests and duration > 0:
        cpu = sum(server_cpu)
        figures = replace(figures, cpu_us_per_req=cpu / requests * 1e6, cpu_util=cpu / duration)
    record = setup.record(
        trial_id,
        cell,
        repetition,
        started_at=started_at,
        driver="wrk",
        driver_procs=threads,
        server=figures,
    )
    return replace(
        record,
        # what wrk ran, whatever the cell says: closed loop, one request at a time, GET
        mode="closed",
        pipeline=1,
        payload=0,
        rate=None,
        rate_fraction=None,
        arrivals="",
        duration_s=duration,
        requests=requests,
        errors=errors,
        error_kinds=json.dumps({"wrk": errors}) if errors else "",
        rps=parsed.get("rps", 0.0),
        mb_s=parsed.get("mb_s"),
        p50_us=parsed.get("p50_us", nan),
        p90_us=parsed.get("p90_us", nan),
        p99_us=parsed.get("p99_us", nan),
        max_us=parsed.get("max_us", nan),
        mean_us=parsed.get("mean_us", nan),
        driver_cpu=parsed.get("cpu_share"),
        flags="errors" if errors else "",
    )
