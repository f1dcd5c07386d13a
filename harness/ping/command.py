# `netmodels ping`: every impl against the bare uvloop + httptools server on GET /ping, under wrk,
# in one run written in the results schema (manifest.json, trials.csv, timeseries.csv).
#
# Rules of this command (it measures; it asserts nothing):
# - one load tool for every target: wrk, a separate process (`harness.runner.wrk`); each round
#   of each target is one wrk trial (`harness.wrk.wrk_trial`): a fresh server, a warm-up run,
#   the measured run;
# - the server is pinned to the server CPU and wrk (with this process) to the driver CPUs - on
#   a 2-CPU machine, one each - so they do not share a core;
# - the targets are interleaved (A B C A B C ...), so slow drift of a shared machine spreads over
#   all of them instead of landing on one; with `--baseline DIR`, each target's baseline self
#   runs beside it in the same round (which goes first alternates by round);
# - server CPU time (user + system of its process tree, psutil) is read at the start and the end
#   of each measured run, and reported per request: throughput shows a ratio only while the
#   server is the bottleneck, CPU per request shows it even when it is not (the "server CPU"
#   column says which);
# - a baseline target is the same command line run in DIR (cwd and PYTHONPATH), so DIR's code -
#   a git checkout of an older commit, e.g. `git worktree add /tmp/base HEAD~3` - is imported.
"""`run`: the `ping` command."""

from __future__ import annotations

import argparse
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import console, serve
from harness.bench import server_options
from harness.ping.summary import BASELINE, Round, starved, summarise, table
from harness.profile import Cell, Workload
from harness.results import RunDirectory, TrialRecord
from harness.results import manifest as manifest_io
from harness.results.records import cpu_text
from harness.runner.server import YARDSTICK
from harness.runner.wrk import MISSING, find_wrk
from harness.trial import Setup, TrialOutcome, Trials
from harness.wrk import wrk_trial


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to measure: an impl (or `bare`) with options, from this checkout or `home`."""

    spec: str
    impl: str
    options: tuple[tuple[str, str], ...] = ()
    home: Path | None = None

    @property
    def label(self) -> str:
        """`actor:actor-threads=2`, or `actor:actor-threads=2@baseline` for the baseline's."""
        return self.spec + (BASELINE if self.home is not None else "")


def parse_targets(text: str | None, registered: list[str], *, bare: bool) -> list[Target]:
    """`--impls` (IMPL or IMPL:option=value,... separated by spaces, or IMPL,IMPL) as targets,
    the bare server first unless `bare` is False.

    Raises:
        ValueError: an unknown impl or a malformed option.
    """
    specs = registered if text is None else text.split()
    if len(specs) == 1 and ":" not in specs[0]:
        specs = [s for s in specs[0].split(",") if s]  # the plain list form: "actor,eventloop"
    targets = [Target(YARDSTICK, YARDSTICK)] if bare else []
    for spec in specs:
        impl, _, options = spec.partition(":")
        try:
            parsed = server_options([o for o in options.split(",") if o])
        except ValueError:
            raise ValueError(f"--impls {spec!r}: expected IMPL:option=value,...") from None
        serve.check_server(impl, "http", parsed, given="--impls")
        targets.append(Target(spec, impl, parsed))
    if not targets:
        raise ValueError("--impls: nothing to measure")
    return targets


def baseline_home(text: str) -> Path:
    """The `--baseline` checkout, checked to hold the harness.

    Raises:
        FileNotFoundError: DIR has no harness/cli.py (not a checkout of this project).
    """
    home = Path(text).expanduser().resolve()
    if not (home / "harness" / "cli.py").is_file():
        raise FileNotFoundError(f"--baseline {text}: no harness/cli.py there (not a checkout)")
    return home


def _git_commit(home: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(home), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def _wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    lines = (done.stdout + done.stderr).splitlines()
    return lines[0] if lines else ""


def run(args: argparse.Namespace, setup: Setup, registered: list[str], argv: list[str]) -> int:
    """Run `netmodels ping`; returns the exit status.

    Raises:
        ValueError, FileNotFoundError: bad input, before anything starts.
    """
    targets = parse_targets(args.impls, registered, bare=not args.no_bare)
    home = baseline_home(args.baseline) if args.baseline else None
    for option, value, lowest, strict in (
        ("--repeat", args.repeat, 1, False),
        ("--connections", args.connections, 1, False),
        ("--duration", args.duration, 0, True),
        ("--warmup", args.warmup, 0, False),
    ):
        if value < lowest or (strict and value == lowest):
            bound = f"> {lowest}" if strict else f">= {lowest}"
            raise ValueError(f"{option} {value:g}: must be {bound}")
    wrk = find_wrk()
    if wrk is None:
        raise FileNotFoundError(MISSING)
    twins = [Target(t.spec, t.impl, t.options, home) for t in targets] if home else []
    labels = [t.label for pair in zip(targets, twins or targets, strict=True) for t in pair]
    labels = list(dict.fromkeys(labels))  # each target beside its baseline twin, if any
    meta = manifest_io.collect(
        ["netmodels", *argv],
        setup.describe(),
        {
            "name": "ping",
            "targets": labels,
            "baseline": {"path": str(home), "commit": _git_commit(home)} if home else None,
            "wrk": _wrk_version(wrk),
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "repeat": args.repeat,
        },
    )
    run_dir = RunDirectory.create(meta, Path(args.out) if args.out else None)
    load_at_start = os.getloadavg()
    out = console.out
    out.print(
        f"server CPUs {cpu_text(setup.cpus.server)}, wrk CPUs {cpu_text(setup.cpus.driver)}; "
        f"load average {load_at_start[0]:.2f}; {len(labels)} targets x {args.repeat} rounds x "
        f"{args.warmup:g}+{args.duration:g} s"
        + (f"; baseline {home} ({meta['profile']['baseline']['commit']})" if home else "")
    )
    planned = console.planned_seconds(args.warmup, args.duration)
    rounds: list[Round] = []
    try:
        count = len(labels) * args.repeat
        with console.SweepProgress("ping", planned * count, count) as bar:
            trials = Trials(run_dir, bar, setup)
            for repetition in range(1, args.repeat + 1):
                for target in _interleaved(targets, twins, repetition):
                    cell = _cell(target, args)
                    trial_id = trials.next_id()
                    with bar.trial(f"{trial_id} round {repetition} {target.label}", planned):
                        outcome = wrk_trial(
                            trial_id, cell, repetition, setup, wrk, home=target.home
                        )
                    record = trials.commit(outcome, target.label)
                    if "failed" not in record.flag_list:
                        rounds.append(_round(target.label, record, outcome))
    except KeyboardInterrupt:
        run_dir.finish(complete=False, interrupted="interrupted (SIGINT/SIGTERM)")
        console.err.print(f"interrupted: partial run at {run_dir.path}")
        return 130
    rows = summarise(rounds, labels, YARDSTICK)
    load_at_end = os.getloadavg()
    run_dir.finish(
        complete=True,
        ping={
            "summary": rows,
            "rounds": [r.as_dict() for r in rounds],
            "load_average_at_start": load_at_start,
            "load_average_at_end": load_at_end,
        },
    )
    title = (
        f"GET /ping, wrk -c{args.connections} -d{args.duration:g}s, median of {args.repeat}; "
        f"server CPUs {cpu_text(setup.cpus.server)}, wrk CPUs {cpu_text(setup.cpus.driver)}"
    )
    out.print(table(rows, title, baseline=home is not None))
    low = starved(rows)
    if low:
        out.print(
            f"Server CPU below 80% for {', '.join(low)}: the server was not the bottleneck (wrk, "
            "or other processes on its CPU), so req/s understates it; the CPU ratio still holds. "
            f"Load average {load_at_start[0]:.2f} at start, {load_at_end[0]:.2f} at end."
        )
    out.print(f"results: {run_dir.path}")
    return 0 if rows else 1


def _interleaved(targets: list[Target], twins: list[Target], repetition: int) -> list[Target]:
    """One round: every target, each beside its baseline twin (first in every other round)."""
    if not twins:
        return list(targets)
    order: list[Target] = []
    for target, twin in zip(targets, twins, strict=True):
        order += [target, twin] if repetition % 2 else [twin, target]
    return order


def _cell(target: Target, args: argparse.Namespace) -> Cell:
    return Cell(
        impl=target.impl,
        options=target.options,
        workload=Workload.parse("ping"),
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        driver="wrk",
        experiment="ping" + (BASELINE if target.home is not None else ""),
    )


def _round(label: str, record: TrialRecord, outcome: TrialOutcome) -> Round:
    nan = float("nan")
    user, system = outcome.server_cpu if outcome.server_cpu is not None else (nan, nan)
    return Round(
        label=label,
        requests=record.requests,
        seconds=record.duration_s,
        user_s=user,
        system_s=system,
        p50_us=record.p50_us if record.p50_us is not None else nan,
        p99_us=record.p99_us if record.p99_us is not None else nan,
        errors=record.errors,
    )
