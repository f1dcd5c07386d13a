# `netmodels calibrate`: is the instrument faster than the thing it measures? The driver is run
# against the fastest local target (usually `bare`, harness/yardstick.py) and - when `wrk` is on
# PATH - wrk against the same target in the same run, interleaved (driver, wrk, driver, wrk, ...),
# same connections, same CPUs. Both saturate the server, so their ratio says whether the
# netmodels driver gives away throughput that wrk (C) would have found; the driver's own CPU
# share says how far its ceiling is above.
"""The `calibrate` command."""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness import console
from harness.profile import Cell, Workload
from harness.results import (
    RunDirectory,
    TrialRecord,
    cell_record,
    server_figures,
    timeseries_rows,
)
from harness.results import manifest as manifest_io
from harness.results.records import cpu_text
from harness.runner import ServerProcess, ServerSampler
from harness.runner.sampler import ServerSample
from harness.runner.server import YARDSTICK
from harness.trial import Setup, run_trial

WRK_TIMEOUT_MARGIN = 30.0
"""Seconds beyond its duration a wrk run may take before it is killed."""


def run(args: argparse.Namespace, setup: Setup, registered: list[str], argv: list[str]) -> int:
    """Run `netmodels calibrate`; returns the exit status."""
    # The yardstick comes first: the fastest server there is, so the driver's ceiling shows.
    candidates = args.impls or [YARDSTICK, *registered]
    wrk = shutil.which("wrk")
    base = Cell(
        impl=candidates[0],
        workload=Workload.parse("ping"),
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
    )
    probes = [
        replace(base, impl=impl, duration=args.probe_duration, warmup=0.5, role="probe")
        for impl in candidates
    ]
    planned = sum(console.planned_seconds(p.warmup, p.duration) for p in probes) + (
        args.repetitions * (2 if wrk else 1) * console.planned_seconds(args.warmup, args.duration)
    )
    meta = manifest_io.collect(
        ["netmodels", *argv],
        setup.describe(),
        {"name": "calibrate", "candidates": candidates, "wrk": wrk},
    )
    run_dir = RunDirectory.create(meta, Path(args.out) if args.out else None)
    ours: list[TrialRecord] = []
    theirs: list[TrialRecord] = []
    try:
        with console.SweepProgress("calibrate", planned, len(probes) + args.repetitions * 2) as bar:
            trials = _Trials(run_dir, bar, setup)
            best: tuple[float, str] = (-1.0, candidates[0])
            for cell in probes:
                record = _ours(trials, cell, repetition=1)
                best = max(best, (record.rps, cell.impl))
            target = replace(base, impl=best[1])
            bar.print(f"fastest local target: {target.impl} ({best[0]:,.0f} req/s in its probe)")
            for repetition in range(1, args.repetitions + 1):
                ours.append(_ours(trials, target, repetition))
                if wrk:
                    theirs.append(_wrk(trials, target, repetition, wrk))
    except KeyboardInterrupt:
        run_dir.finish(complete=False, interrupted="interrupted (SIGINT/SIGTERM)")
        console.err.print(f"interrupted: partial run at {run_dir.path}")
        return 130
    result = _verdict(ours, theirs)
    run_dir.finish(complete=True, calibration=result)
    out = console.out
    out.print(
        f"calibrate: GET /ping, {args.connections} connections, closed loop, "
        f"{args.duration:g} s x {args.repetitions}, target {target.impl}"
    )
    out.print(
        f"  server CPUs {cpu_text(setup.cpus.server)}, "
        f"driver CPUs {cpu_text(setup.cpus.driver)}, {setup.driver_procs} driver process(es)"
    )
    out.print(
        f"  netmodels driver: {_list(ours)} req/s, median {result['netmodels_rps']:,.0f}; "
        f"{_cpu_text(result['netmodels_driver_cpu'], result['netmodels_us_per_req'])}"
    )
    if theirs:
        out.print(
            f"  wrk:              {_list(theirs)} req/s, median {result['wrk_rps'] or 0:,.0f}; "
            f"{_cpu_text(result['wrk_cpu'], result['wrk_us_per_req'])}"
        )
        out.print(f"  ratio netmodels / wrk = {result['ratio'] or 0:.3f} (target >= 1.0)")
    else:
        out.print("  wrk: not on PATH; no ratio")
    ceiling = result["netmodels_ceiling_estimate"]
    if ceiling:
        out.print(
            f"  driver ceiling estimate (req/s / driver CPU share): {ceiling:,.0f} req/s "
            "per driver process"
        )
    out.print(f"results: {run_dir.path}")
    return 0


def _cpu_text(share: float | None, us_per_req: float | None) -> str:
    if not share or not us_per_req:
        return "CPU not measured"
    return f"{share:.0%} of a CPU, {us_per_req:.1f} us CPU per request"


def _list(records: list[TrialRecord]) -> str:
    return ", ".join(f"{r.rps:,.0f}" for r in records)


def _verdict(ours: list[TrialRecord], theirs: list[TrialRecord]) -> dict[str, float | None]:
    our_rps = statistics.median(r.rps for r in ours) if ours else 0.0
    cpu = statistics.median(r.driver_cpu or 0.0 for r in ours) if ours else 0.0
    wrk_rps = statistics.median(r.rps for r in theirs) if theirs else None
    wrk_cpu = statistics.median(r.driver_cpu or 0.0 for r in theirs) if theirs else None
    return {
        "netmodels_rps": our_rps,
        "netmodels_driver_cpu": cpu,
        "netmodels_us_per_req": cpu / our_rps * 1e6 if our_rps else None,
        "netmodels_ceiling_estimate": our_rps / cpu if cpu else None,
        "wrk_rps": wrk_rps,
        "wrk_cpu": wrk_cpu,
        "wrk_us_per_req": wrk_cpu / wrk_rps * 1e6 if wrk_rps and wrk_cpu else None,
        "ratio": our_rps / wrk_rps if wrk_rps else None,
    }


@dataclass
class _Trials:
    """Where calibrate's trials go - run directory, progress display, machine - and their ids."""

    run_dir: RunDirectory
    bar: console.SweepProgress
    setup: Setup
    count: int = 0

    def next_id(self) -> str:
        """The id of the next trial: 0001, 0002, ... in the order they run."""
        self.count += 1
        return f"{self.count:04d}"

    def commit(
        self,
        record: TrialRecord,
        histogram: str | None,
        timeseries: list[dict[str, Any]],
        label: str,
    ) -> TrialRecord:
        """Store a finished trial and print its line."""
        self.run_dir.commit(record, histogram, timeseries)
        self.bar.print(console.trial_line(record, label))
        return record


def _ours(trials: _Trials, cell: Cell, repetition: int) -> TrialRecord:
    trial_id = trials.next_id()
    planned = console.planned_seconds(cell.warmup, cell.duration)
    with trials.bar.trial(f"{trial_id} {cell.label}", planned):
        outcome = run_trial(
            trial_id, cell, repetition, trials.setup, trials.run_dir.histogram_path(trial_id)
        )
    return trials.commit(
        outcome.record, outcome.histogram, outcome.timeseries, f"netmodels {cell.label}"
    )


def _wrk(trials: _Trials, cell: Cell, repetition: int, wrk: str) -> TrialRecord:
    """wrk against a fresh server, the same way: warm-up run (discarded), then the measured run.

    wrk inherits this process's CPU affinity - the driver CPUs (`netmodels` pins itself there).
    """
    trial_id = trials.next_id()
    setup = trials.setup
    label = f"{trial_id} wrk {cell.label}"
    started_at = manifest_io.utc_now()
    threads = max(1, min(len(setup.cpus.driver) or 1, cell.connections))
    with (
        trials.bar.trial(label, console.planned_seconds(cell.warmup, cell.duration)),
        ServerProcess(cell.impl, cell.protocol, cell.options, setup.cpus.server) as server,
    ):
        address = server.start()
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
    return trials.commit(
        record, None, timeseries_rows(trial_id, None, samples), f"wrk {cell.label}"
    )


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
