# wrk as a driver: the same trial shape as the netmodels driver's - a fresh server, pinned and
# sampled; a warm-up run (discarded), then the measured run - with wrk (C, one thread per driver
# CPU) sending GET /ping in a closed loop. `calibrate` runs it to find the netmodels driver's
# ceiling; a sweep runs it for cells with `driver = "wrk"` (the drivers comparison, E10).
#
# Rules of this file: wrk is run and parsed here and nowhere else; a wrk that is missing, fails
# or times out gives a row flagged `failed` (as any trial that could not run), never an exception.
"""`wrk_trial`: one trial driven by wrk; `parse_wrk`: the numbers of its report."""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import time
from dataclasses import replace

from harness.profile import Cell
from harness.results import TrialRecord, cell_record, server_figures, timeseries_rows
from harness.results import manifest as manifest_io
from harness.runner import ServerError, ServerProcess, ServerSampler
from harness.runner.sampler import ServerSample
from harness.trial import Setup, TrialOutcome, failed

WRK_TIMEOUT_MARGIN = 30.0
"""Seconds beyond its duration a wrk run may take before it is killed."""


def wrk_trial(
    trial_id: str, cell: Cell, repetition: int, setup: Setup, wrk: str | None = None
) -> TrialOutcome:
    """One trial of `cell` driven by wrk (`wrk`: its path; default: wrk on PATH).

    wrk inherits this process's CPU affinity - the driver CPUs (`netmodels` pins itself there).
    """
    started_at = manifest_io.utc_now()
    wrk = wrk or shutil.which("wrk")
    if wrk is None:
        reason = "wrk is not on PATH (Debian: apt-get install wrk)"
        return failed(trial_id, cell, repetition, setup, started_at=started_at, reason=reason)
    threads = max(1, min(len(setup.cpus.driver) or 1, cell.connections))
    server = (
        None
        if setup.target is not None
        else ServerProcess(cell.impl, cell.protocol, cell.options, setup.cpus.server)
    )
    try:
        address = setup.target if server is None else server.start()
        assert address is not None
        url = f"http://{address}/ping"
        if cell.warmup > 0:
            _run_wrk(wrk, threads, cell.connections, cell.warmup, url)
        sampler = ServerSampler(address.pid, address.admin, time.monotonic_ns())
        sampler.start()
        before = _children_cpu()
        try:
            text = _run_wrk(wrk, threads, cell.connections, cell.duration, url)
        finally:
            samples = sampler.stop()
        wrk_cpu = _children_cpu() - before
    except (ServerError, OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        reason = f"wrk: {exc} {detail}".strip()
        return failed(trial_id, cell, repetition, setup, started_at=started_at, reason=reason)
    finally:
        if server is not None:
            server.close()
    parsed = parse_wrk(text)
    # wrk's CPU share, comparable to the driver's (`driver_cpu`): per thread, as wrk runs one
    # thread per driver CPU.
    parsed["cpu_share"] = wrk_cpu / parsed.get("duration_s", cell.duration) / threads
    record = _wrk_record(
        trial_id=trial_id,
        cell=cell,
        repetition=repetition,
        setup=setup,
        started_at=started_at,
        parsed=parsed,
        samples=samples,
        threads=threads,
    )
    return TrialOutcome(record, None, timeseries_rows(trial_id, None, samples))


def _children_cpu() -> float:
    """User + system CPU seconds of this process's waited-for children (wrk, once it exits)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_wrk(wrk: str, threads: int, connections: int, duration: float, url: str) -> str:
    seconds = max(1, round(duration))
    done = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + WRK_TIMEOUT_MARGIN,
        check=True,
    )
    return done.stdout


_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}


def _us(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> dict[str, float]:
    """The numbers of a `wrk --latency` report: requests, duration, rps, percentiles, errors."""
    out: dict[str, float] = {}
    if m := re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text):
        out["requests"] = float(m.group(1))
        out["duration_s"] = _us(m.group(2) + m.group(3)) / 1e6
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        out["rps"] = float(m.group(1))
    if m := re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", text):
        scale = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[m.group(2)]
        out["mb_s"] = float(m.group(1)) * scale / 1e6
    if m := re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text):
        out["mean_us"] = _us(m.group(1))
        out["max_us"] = _us(m.group(3))
    for pct, key in (("50", "p50_us"), ("90", "p90_us"), ("99", "p99_us")):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", text, re.MULTILINE):
            out[key] = _us(m.group(1))
    errors = 0.0
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    ):
        errors += sum(float(g) for g in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors += float(m.group(1))
    out["errors"] = errors
    return out


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
) -> TrialRecord:
    duration = parsed.get("duration_s", cell.duration)
    requests = int(parsed.get("requests", 0))
    errors = int(parsed.get("errors", 0))
    nan = float("nan")
    record = cell_record(
        trial_id=trial_id,
        repetition=repetition,
        cell=cell,
        driver="wrk",
        driver_procs=threads,
        server_cpus=setup.cpus.server,
        driver_cpus=setup.cpus.driver,
        started_at=started_at,
        server=server_figures(samples, duration, requests),
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
