# `netmodels sweep`: a profile's cells, run as an interleaved schedule into one run directory.
#
# Rules of this file: the schedule is a pure function of the profile (and the impls it expands
# to, which the manifest records), so `--resume` rebuilds the same trial ids and runs exactly the
# ones without a row. Capacity trials come first; then repetition 1 of every cell, then
# repetition 2 of every cell, ... (A B C A B C, not A A B B C C), so slow drift of the machine
# (thermal, other tenants) touches every impl alike instead of favouring whichever ran first.
"""The `sweep` command: schedule, run, resume."""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from harness import analysis, console, serve
from harness import profile as profiles
from harness.profile import Cell, Profile
from harness.results import RunDirectory, TrialRecord, load
from harness.results import manifest as manifest_io
from harness.trial import Setup, TrialOutcome, run_trial
from harness.wrk import wrk_trial


@dataclass(frozen=True, slots=True)
class Scheduled:
    """One trial of the schedule."""

    trial_id: str
    cell: Cell
    repetition: int


def schedule(profile: Profile) -> list[Scheduled]:
    """Capacity trials, then every cell once per repetition, interleaved."""
    trials = [Scheduled("", cell, 1) for cell in profile.capacity_cells()]
    cells = profile.cells()
    for repetition in range(1, profile.repetitions + 1):
        trials += [Scheduled("", cell, repetition) for cell in cells]
    return [
        Scheduled(f"{n:04d}", trial.cell, trial.repetition) for n, trial in enumerate(trials, 1)
    ]


def run(args: argparse.Namespace, setup: Setup, registered: list[str], argv: list[str]) -> int:
    """Run `netmodels sweep`; returns the exit status (130 when interrupted)."""
    if args.resume:
        try:
            run_dir = RunDirectory.resume(Path(args.resume))
        except (FileNotFoundError, ValueError) as exc:
            raise ValueError(f"--resume {exc}") from None
        source = run_dir.manifest["profile"]
        profile = profiles.from_dict(
            source, [entry["name"] for entry in source["impls"]], _known_targets(registered)
        )
        if args.profile and profiles.resolve(args.profile).stem != profile.name:
            raise ValueError(f"{args.resume} is a run of profile {profile.name!r}")
        return execute(profile, run_dir, setup)
    if not args.profile:
        raise ValueError("name a profile (quick, full, or a .toml file), or --resume DIR")
    profile = profiles.load(args.profile, registered, _known_targets(registered))
    source = {**profile.source, "name": profile.name}
    if args.only_impls:
        unknown = set(args.only_impls) - {i.name for i in profile.servers()}
        if unknown:
            raise ValueError(f"--impl {sorted(unknown)}: not in profile {profile.name!r}")
        profile = replace(
            profile,
            impls=tuple(i for i in profile.impls if i.name in args.only_impls),
            only=frozenset(args.only_impls),
        )
        source["only"] = sorted(args.only_impls)
    # The manifest keeps the profile with `"*"` expanded, so a resume runs the same impls even
    # if the registry has changed meanwhile.
    check_servers(profile)
    source["impls"] = [{"name": i.name, "options": dict(i.options)} for i in profile.impls]
    meta = manifest_io.collect(["netmodels", *argv], setup.describe(), source)
    run_dir = RunDirectory.create(meta, Path(args.out) if args.out else None)
    return execute(profile, run_dir, setup)


def check_servers(profile: Profile) -> None:
    """Check every server of the profile with every protocol it runs, before anything starts.
    A target that is not installed here (nginx, uvicorn, ...) is not an error: its trials are
    rows flagged `failed` that say so, and the report shows them as absent.

    Raises:
        ValueError: an option or protocol a server cannot take, in the profile's words.
    """
    for cell in {(c.impl, c.protocol, c.options): c for c in profile.cells()}.values():
        serve.check_server(
            cell.impl,
            cell.protocol,
            cell.options,
            given=f"profile {profile.name!r}: server",
            installed=False,
        )


def execute(profile: Profile, run_dir: RunDirectory, setup: Setup) -> int:
    """Run every trial of `profile` missing from `run_dir`; finish the run; print the summary."""
    trials = schedule(profile)
    capacities, contended = _capacities(run_dir, trials, profile)
    planned = {t.trial_id: console.planned_seconds(t.cell.warmup, t.cell.duration) for t in trials}
    console.err.print(f"sweep {profile.name}: {len(trials)} trials -> {run_dir.path}")
    try:
        with console.SweepProgress(
            f"sweep {profile.name}", sum(planned.values()), len(trials)
        ) as progress:
            for trial in trials:
                if run_dir.is_committed(trial.trial_id):
                    progress.skip(planned[trial.trial_id])
                    continue
                cell = trial.cell
                group = profile.capacity.group(cell)
                if cell.rate_fraction is not None and cell.rate is None:
                    cell = cell.with_rate(capacities.get(group, 0.0))
                with progress.trial(f"{trial.trial_id} {cell.label}", planned[trial.trial_id]):
                    outcome = run_cell(
                        trial.trial_id,
                        cell,
                        trial.repetition,
                        setup,
                        run_dir.histogram_path(trial.trial_id),
                    )
                if cell.role == "capacity":
                    outcome = _settled_capacity(
                        outcome, trial, cell=cell, setup=setup, run_dir=run_dir, progress=progress
                    )
                    capacities[group] = outcome.record.rps
                    if "contended" in outcome.record.flag_list:
                        contended.add(group)
                elif cell.rate_fraction is not None and group in contended:
                    # its rate came from a capacity measured on a busy machine: flagged, not hidden
                    outcome = replace(outcome, record=_flagged(outcome.record, "contended"))
                run_dir.commit(outcome.record, outcome.histogram, outcome.timeseries, outcome.kinds)
                progress.print(console.trial_line(outcome.record, cell.label))
            run_probes(profile, run_dir, progress)
    except KeyboardInterrupt:
        run_dir.finish(complete=False, interrupted="interrupted (SIGINT/SIGTERM)")
        console.err.print(
            f"interrupted: partial run at {run_dir.path}\n"
            f"finish it with: netmodels sweep --resume {run_dir.path}"
        )
        return 130
    run_dir.finish(complete=True)
    trials_frame = load(run_dir.path)
    console.out.print(
        console.summary_table(analysis.summary(trials_frame), f"sweep {profile.name}")
    )
    flagged = trials_frame[trials_frame["flags"] != ""]
    if len(flagged):
        console.out.print(f"{len(flagged)} of {len(trials_frame)} trials flagged (see `flags`)")
    console.out.print(f"results: {run_dir.path}")
    write_report(run_dir.path)
    return 0


def run_cell(
    trial_id: str, cell: Cell, repetition: int, setup: Setup, histogram_path: str
) -> TrialOutcome:
    """One trial of `cell`, with the driver it names (`Cell.driver`): the netmodels driver, wrk
    or Locust. A driver that is not installed gives a `failed` row saying so."""
    if cell.driver_name == "wrk":
        return wrk_trial(trial_id, cell, repetition, setup)
    if cell.driver_name == "locust":
        from harness.locust.command import sweep_trial  # Locust is an optional extra

        return sweep_trial(trial_id, cell, repetition, setup, histogram_path)
    return run_trial(trial_id, cell, repetition, setup, histogram_path)


def write_report(path: Path) -> None:
    """Write the run's report and print its path. The run is already safe on disk, so a report
    that fails costs one line, never the run (`netmodels report` can write it again)."""
    from harness import report

    try:
        paths = report.write(path)
    except Exception as exc:  # any failure of the report must leave the sweep's exit 0
        console.err.print(
            f"report: not written ({type(exc).__name__}: {_first_line(exc)}); "
            f"try `netmodels report {path}`",
            markup=False,
        )
        return
    console.out.print(f"report: {paths.html}", markup=False)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def run_probes(profile: Profile, run_dir: RunDirectory, progress: console.SweepProgress) -> None:
    """Run the profile's `[[probe]]` measurements missing from the run (one probe id per probe
    and repetition), on the harness's own CPU (the driver CPUs), after the load trials."""
    from harness import selector_wait

    for n, spec in enumerate(profile.probes, 1):
        for repetition in range(1, profile.repetitions + 1):
            probe_id = f"P{n:02d}r{repetition}"
            if run_dir.is_probed(probe_id):
                continue
            rows = []
            for variant in spec.variants:
                for param in spec.params:
                    started = manifest_io.utc_now()
                    cost = selector_wait.measure(variant, param, waits=spec.waits)
                    rows.append(
                        {
                            "experiment": spec.experiment,
                            "probe": spec.kind,
                            "variant": variant,
                            "param": param,
                            "repetition": repetition,
                            "value": cost.wait_us,
                            "p10": cost.p10_us,
                            "p90": cost.p90_us,
                            "unit": "us",
                            "count": cost.waits,
                            "note": cost.note,
                            "started_at": started,
                        }
                    )
            run_dir.commit_probe(probe_id, rows)
            progress.print(f"probe {probe_id} {spec.kind}: {len(rows)} points")


def _known_targets(registered: list[str]) -> list[str]:
    """Servers a matrix may name besides the impls: the yardstick, the stall target, peers."""
    from harness.targets import TARGETS

    return [name for name in TARGETS if name not in registered]


def _capacities(
    run_dir: RunDirectory, trials: list[Scheduled], profile: Profile
) -> tuple[dict[tuple[object, ...], float], set[tuple[object, ...]]]:
    """Capacities measured by the committed capacity trials (a resumed run reuses them), and
    the groups whose capacity was measured `contended`."""
    by_id = {t.trial_id: t.cell for t in trials if t.cell.role == "capacity"}
    found: dict[tuple[object, ...], list[float]] = {}
    contended: set[tuple[object, ...]] = set()
    for row in run_dir.committed():
        cell = by_id.get(row["trial_id"])
        if cell is not None:
            group = profile.capacity.group(cell)
            found.setdefault(group, []).append(float(row["rps"] or 0.0))
            if "contended" in str(row.get("flags") or "").split(";"):
                contended.add(group)
    return {group: statistics.median(values) for group, values in found.items()}, contended


CAPACITY_ATTEMPTS = 3
"""Times a capacity trial is measured when the machine was busy (`contended`) before its figure
is used anyway - the open-loop trials whose rates come from it are then flagged `contended`."""


def _settled_capacity(
    outcome: TrialOutcome,
    trial: Scheduled,
    *,
    cell: Cell,
    setup: Setup,
    run_dir: RunDirectory,
    progress: console.SweepProgress,
) -> TrialOutcome:
    """A capacity trial measured again while it was `contended` (another process took the
    driver's or the server's CPU, so the capacity - and every open-loop rate derived from it -
    would be too low), up to CAPACITY_ATTEMPTS times; the first clean attempt, else the
    highest."""
    best = outcome
    for attempt in range(2, CAPACITY_ATTEMPTS + 1):
        if "contended" not in best.record.flag_list:
            return best
        progress.print(
            f"{trial.trial_id} capacity measured on a busy machine (contended): "
            f"measuring again, attempt {attempt} of {CAPACITY_ATTEMPTS}"
        )
        with progress.trial(f"{trial.trial_id} {cell.label} (again)", 0.0):
            again = run_cell(
                trial.trial_id,
                cell,
                trial.repetition,
                setup,
                run_dir.histogram_path(trial.trial_id),
            )
        if "contended" not in again.record.flag_list or again.record.rps > best.record.rps:
            best = again
    if "contended" in best.record.flag_list:
        progress.print(
            f"{trial.trial_id} capacity still contended after {CAPACITY_ATTEMPTS} attempts: its "
            "open-loop trials are flagged contended (rerun on a quiet machine)"
        )
    return best


def _flagged(record: TrialRecord, flag: str) -> TrialRecord:
    """`record` with `flag` added to its flags."""
    flags = record.flag_list
    return record if flag in flags else replace(record, flags=";".join([*flags, flag]))
