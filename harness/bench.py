# `netmodels bench`: one cell, one trial, one run directory, and a summary a person can read.
"""The `bench` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness import console, serve
from harness.profile import Cell, Workload
from harness.results import KindRecord, RunDirectory, TrialRecord
from harness.results import manifest as manifest_io
from harness.trial import Setup, run_trial


def server_options(texts: list[str]) -> tuple[tuple[str, str], ...]:
    """`--server-opt NAME=VALUE` texts as a cell's sorted options (`loop-x=1` -> `loop_x`).

    Raises:
        ValueError: a text without `=`.
    """
    options = []
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep:
            raise ValueError(f"--server-opt {text!r}: expected NAME=VALUE")
        options.append((name.strip().replace("-", "_"), value.strip()))
    return tuple(sorted(options))


def workload_and_payload(args: argparse.Namespace) -> tuple[str, int]:
    """`--workload` and `--payload`, or the protocol's defaults (ping and 0; stream and 64)."""
    workload = args.workload or ("stream" if args.protocol == "echo" else "ping")
    payload = args.payload if args.payload is not None else (64 if args.protocol == "echo" else 0)
    return workload, payload


def server_cell(args: argparse.Namespace, **load: Any) -> Cell:
    """The cell of the server and workload options (`add_server_and_workload_options`: --impl,
    --server-opt, --protocol, --workload, --payload) with `load` - connections, duration, ... -
    as the command sets them (`bench`, `locust`).

    Raises:
        ValueError: a malformed --server-opt or --workload, or a cell that cannot be.
    """
    workload, payload = workload_and_payload(args)
    return Cell(
        impl=args.impl,
        options=server_options(args.server_opt),
        protocol=args.protocol,
        workload=Workload.parse(workload),
        payload=payload,
        **load,
    )


def cell_from_args(args: argparse.Namespace) -> Cell:
    """The cell `netmodels bench` measures.

    Raises:
        ValueError: an inconsistent combination (open mode without --rate, ...).
    """
    if args.mode == "open" and args.rate is None:
        raise ValueError("--mode open needs --rate")
    for option, value in (
        ("--idle-connections", args.idle_connections),
        ("--read-rate", args.read_rate),
    ):
        if value < 0:
            raise ValueError(f"{option} {value}: must be >= 0")
    if args.read_rate and args.mode != "closed":
        raise ValueError("--read-rate (slow readers) needs --mode closed")
    return server_cell(
        args,
        mode=args.mode,
        connections=args.connections,
        pipeline=args.pipeline,
        rate=args.rate,
        arrivals=args.arrivals,
        duration=args.duration,
        warmup=args.warmup,
        idle_connections=args.idle_connections,
        read_rate=args.read_rate,
        experiment=args.experiment,
    )


def run(args: argparse.Namespace, setup: Setup, argv: list[str]) -> int:
    """Run `netmodels bench`; returns the exit status.

    Raises:
        ValueError: bad input, found before anything starts or is written.
    """
    cell = cell_from_args(args)
    if setup.target is None:
        serve.check_server(cell.impl, cell.protocol, cell.options)
    meta = manifest_io.collect(
        ["netmodels", *argv], setup.describe(), {"name": "bench", "cell": cell.label}
    )
    run_dir = RunDirectory.create(meta, Path(args.out) if args.out else None)
    trial_id = "0001"
    planned = console.planned_seconds(cell.warmup, cell.duration)
    try:
        with (
            console.SweepProgress("bench", planned, 1) as progress,
            progress.trial(cell.label, planned),
        ):
            outcome = run_trial(trial_id, cell, 1, setup, run_dir.histogram_path(trial_id))
        run_dir.commit(outcome.record, outcome.histogram, outcome.timeseries, outcome.kinds)
    except KeyboardInterrupt:
        run_dir.finish(complete=False, interrupted="interrupted")
        console.err.print(f"interrupted; nothing measured was kept. run: {run_dir.path}")
        return 130
    run_dir.finish(complete=True)
    idle_errors = outcome.load.idle_errors if outcome.load is not None else {}
    print_summary(cell, outcome.record, setup, [kind for kind, _ in outcome.kinds], idle_errors)
    print(f"results: {run_dir.path}")
    return 1 if "failed" in outcome.record.flag_list else 0


def print_summary(
    cell: Cell,
    record: TrialRecord,
    setup: Setup,
    kinds: Sequence[KindRecord] = (),
    idle_errors: Mapping[str, int] | None = None,
) -> None:
    """A human summary of one trial on stdout.

    kinds: a mix's per-kind rows (kinds.csv), one line each.
    idle_errors: why idle connections were not held (`LoadResult.idle_errors`).
    """
    w = sys.stdout.write
    w(f"{cell.label}\n")
    if "failed" in record.flag_list:
        w(f"  FAILED: {record.error_kinds}\n")
        return
    target = str(setup.target) if setup.target else f"CPU {record.server_cpus or 'any'}"
    w(
        f"  setup     server {target}; {record.driver_procs} driver process(es) on CPU "
        f"{record.driver_cpus or 'any'}; {record.duration_s:g} s after {record.warmup_s:g} s "
        "warm-up\n"
    )
    w(
        f"  requests  {record.requests:,} ({record.rps:,.0f}/s, {record.mb_s or 0:.2f} MB/s), "
        f"errors {record.errors:,}{' ' + record.error_kinds if record.errors else ''}\n"
    )
    w(
        f"  latency   p50 {console.ms(record.p50_us)}  p90 {console.ms(record.p90_us)}  "
        f"p99 {console.ms(record.p99_us)}  p99.9 {console.ms(record.p999_us)}  "
        f"p99.99 {console.ms(record.p9999_us)}  max {console.ms(record.max_us)}\n"
    )
    for kind in kinds:
        w(
            f"  {kind.kind:<9} {kind.requests:,} ({kind.rps:,.0f}/s), errors {kind.errors:,}; "
            f"p50 {console.ms(kind.p50_us)}  p99 {console.ms(kind.p99_us)}\n"
        )
    if record.slip_p99_us is not None:
        w(
            f"  schedule  achieved {record.achieved_rate or 0:.1%} of {record.rate:,.0f}/s, "
            f"send slip p99 {console.ms(record.slip_p99_us)}\n"
        )
    if record.server_cpu_us_per_req is not None:
        w(
            f"  server    {record.server_cpu_us_per_req:.1f} us CPU/request "
            f"({record.server_cpu_util or 0:.0%} of a core), RSS peak "
            f"{(record.server_rss_peak_kib or 0) / 1024:.1f} MiB, "
            f"{record.server_threads_peak} threads, {record.server_fds_peak} fds\n"
        )
    if cell.idle_connections:
        why = ", ".join(f"{kind} {n:,}" for kind, n in sorted((idle_errors or {}).items()))
        w(
            f"  idle      {record.idle_open or 0:,} of {cell.idle_connections:,} held open"
            f"{f' (not held: {why})' if why else ''}\n"
        )
    if cell.read_rate:
        growth = record.server_rss_growth_kib_s
        buffered = record.server_buffered_peak
        w(
            f"  slow      reading {cell.read_rate:,} B/s per connection; server RSS peak "
            f"{(record.server_rss_peak_kib or 0) / 1024:.1f} MiB, growth "
            f"{'n/a' if growth is None else f'{growth:,.0f} KiB/s'}, buffered output peak "
            f"{'n/a' if buffered is None else f'{buffered / 1024:,.0f} KiB'}\n"
        )
    w(f"  driver    busiest process {record.driver_cpu or 0:.0%} CPU\n")
    w(f"  flags     {record.flags or 'none'}\n")
