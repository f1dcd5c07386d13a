# `netmodels calibrate`: is the instrument faster than the thing it measures? The driver is run
# against the fastest local target (usually `bare`, harness/yardstick.py) and - when `wrk` is on
# PATH - wrk against the same target in the same run, interleaved (driver, wrk, driver, wrk, ...),
# same connections, same CPUs. Both saturate the server, so their ratio says whether the
# netmodels driver gives away throughput that wrk (C) would have found; the driver's own CPU
# share says how far its ceiling is above.
"""The `calibrate` command."""

from __future__ import annotations

import argparse
import shutil
import statistics
from dataclasses import replace
from pathlib import Path

from harness import console, serve
from harness.profile import Cell, Workload
from harness.results import (
    RunDirectory,
    TrialRecord,
)
from harness.results import manifest as manifest_io
from harness.results.records import cpu_text
from harness.runner.server import YARDSTICK
from harness.trial import Setup, Trials, run_trial
from harness.wrk import wrk_trial


def run(args: argparse.Namespace, setup: Setup, registered: list[str], argv: list[str]) -> int:
    """Run `netmodels calibrate`; returns the exit status."""
    # The yardstick comes first: the fastest server there is, so the driver's ceiling shows.
    candidates = args.impls or [YARDSTICK, *registered]
    for impl in candidates:
        serve.check_server(impl, "http")
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
            trials = Trials(run_dir, bar, setup)
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


def _ours(trials: Trials, cell: Cell, repetition: int) -> TrialRecord:
    trial_id = trials.next_id()
    planned = console.planned_seconds(cell.warmup, cell.duration)
    with trials.bar.trial(f"{trial_id} {cell.label}", planned):
        outcome = run_trial(
            trial_id, cell, repetition, trials.setup, trials.run_dir.histogram_path(trial_id)
        )
    return trials.commit(outcome, f"netmodels {cell.label}")


def _wrk(trials: Trials, cell: Cell, repetition: int, wrk: str) -> TrialRecord:
    trial_id = trials.next_id()
    planned = console.planned_seconds(cell.warmup, cell.duration)
    with trials.bar.trial(f"{trial_id} wrk {cell.label}", planned):
        outcome = wrk_trial(trial_id, replace(cell, driver="wrk"), repetition, trials.setup, wrk)
    return trials.commit(outcome, f"wrk {cell.label}")
