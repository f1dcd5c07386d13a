# `netmodels check robustness`: plan, run every target one after another, report.
#
# Rules of this file: bad input is one line on stderr and exit 2, before any server starts. The
# progress display and one line per finished target go to stderr; the tables and the failures go
# to stdout, so `> file` keeps the report and drops the animation. Exit 0 when every cell
# passed, 1 when any failed.
"""The `check` command: validate, run the scenarios against each target, print, exit status."""

from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.check.options import BadInputError, Plan, Target, plan
from harness.check.robustness import Cell, check_target
from harness.check.table import LEGEND, failures, summary, tables
from harness.check.verdict import Scenario

WIDTH = 160
"""Columns of the report when stdout is not a terminal (rich would wrap at 80): five impls."""


class _Progress:
    """A bar over every (target, scenario) cell; a line per failure above it."""

    def __init__(self, progress: Progress, total: int) -> None:
        self._progress = progress
        self._task = progress.add_task("starting", total=total)

    def starting(self, target: Target, scenario: Scenario) -> None:
        self._progress.update(self._task, description=escape(f"{target.label}: {scenario.name}"))

    def finished(self, cell: Cell) -> None:
        self._progress.advance(self._task)
        if not cell.ok:
            self._progress.console.print(
                f"[red]FAIL[/red] {escape(cell.target.label)} · {escape(cell.scenario)}: "
                f"{escape(cell.detail[:300])}"
            )


def run(args: argparse.Namespace) -> int:
    """Run `netmodels check <check>` for parsed `args`; the exit status (0, 1, or 2)."""
    name = f"netmodels check {getattr(args, 'check', 'robustness')}"
    try:
        chosen = plan(args)
    except BadInputError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 2
    out = Console(highlight=False, width=None if sys.stdout.isatty() else WIDTH)
    if args.list:
        for scenario in chosen.scenarios:
            out.print(f"{scenario.group:14} {escape(scenario.name)}")
        return 0
    err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else WIDTH)
    started = time.monotonic()
    cells = _run(chosen, err)
    out.print(LEGEND)
    for table in tables(cells):
        out.print(table)
    for text in failures(cells):
        out.print(text)
    out.print(summary(cells, chosen.targets, time.monotonic() - started))
    return 0 if all(cell.ok for cell in cells) else 1


def _run(chosen: Plan, err: Console) -> list[Cell]:
    cells: list[Cell] = []
    total = len(chosen.targets) * len(chosen.scenarios)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        observer = _Progress(progress, total)
        for target in chosen.targets:
            started = time.monotonic()
            mine = check_target(target, chosen.scenarios, observer)
            cells += mine
            bad = sum(1 for cell in mine if not cell.ok)
            err.print(
                f"{escape(target.label)}: {len(mine) - bad} pass, {bad} fail "
                f"({time.monotonic() - started:.1f} s)"
            )
    return cells
