# What `netmodels check robustness` prints: one table per parser backend (scenario rows x impl
# columns), each cell the verdict and its evidence, then every failure spelled out.
#
# Rules of this file: pure rendering - cells in, rich renderables out; nothing here runs a
# check. A cell is two lines so that five impls fit 160 columns: the verdict and what was seen,
# then the footprint before -> after (descriptors, threads, RSS in KiB).
"""`tables`, `failures` and `summary`: the report of a robustness run."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from harness.check.live import Footprint
from harness.check.options import Target
from harness.check.robustness import Cell

CELL_WIDTH = 24
"""Characters of a cell: `9→9 2→2 28052→28100` and a short verdict fit."""

LEGEND = (
    "Each cell: ✓ pass or ✗ FAIL, then what was seen - the status(es), then how the connection "
    "ended (FIN, RST, open;\n`then 200`: the same connection then served a /ping) - and below "
    "it the server's fds, threads and RSS KiB, before → after (after: back to idle)."
)


def footprint_text(before: Footprint | None, after: Footprint | None) -> str:
    """`9→9 2→2 28052→28100`: descriptors, threads, RSS KiB, before → after."""
    if before is None:
        return "-"
    if after is None:
        return f"{before.fds}→· {before.threads}→· {before.rss_kib}→exit"
    return (
        f"{before.fds}→{after.fds} {before.threads}→{after.threads} "
        f"{before.rss_kib}→{after.rss_kib}"
    )


def _cell_text(cell: Cell) -> Text:
    mark = Text("✓ ", style="green") if cell.ok else Text("✗ ", style="bold red")
    text = mark + Text(cell.seen, style="" if cell.ok else "red")
    text.append("\n" + footprint_text(cell.before, cell.after), style="dim")
    return text


def tables(cells: Sequence[Cell]) -> list[Table]:
    """One table per parser backend: a row per scenario (grouped), a column per impl variant."""
    parsers = list(dict.fromkeys(cell.target.parser for cell in cells))
    out = []
    for parser in parsers:
        mine = [cell for cell in cells if cell.target.parser == parser]
        variants = list(dict.fromkeys(cell.target.variant for cell in mine))
        by_key = {(cell.scenario, cell.target.variant): cell for cell in mine}
        table = Table(
            title=f"robustness, parser {parser}",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        table.add_column("scenario", no_wrap=True, overflow="ellipsis", max_width=32)
        for variant in variants:
            header = variant.replace("/", "\n", 1)  # the impl, its options below it
            table.add_column(header, no_wrap=True, overflow="ellipsis", max_width=CELL_WIDTH)
        group = None
        for name in dict.fromkeys(cell.scenario for cell in mine):
            first = next(cell for cell in mine if cell.scenario == name)
            if first.group != group:
                group = first.group
                table.add_row(Text(group, style="bold"), *([""] * len(variants)))
            row: list[Text | str] = [escape(name)]
            for variant in variants:
                cell = by_key.get((name, variant))
                row.append(_cell_text(cell) if cell is not None else "")
            table.add_row(*row)
        out.append(table)
    return out


def failures(cells: Sequence[Cell]) -> list[Text]:
    """Every failed cell: target, scenario, what was seen, the footprint and why."""
    out = []
    for cell in cells:
        if cell.ok:
            continue
        text = Text("FAIL ", style="bold red")
        text.append(f"{cell.target.label} · {cell.scenario} ({cell.group})\n", style="bold")
        text.append(f"     seen: {cell.seen}; fds threads RSS: ")
        text.append(footprint_text(cell.before, cell.after) + "\n")
        text.append(f"     {cell.detail}")
        out.append(text)
    return out


def summary(cells: Sequence[Cell], targets: Sequence[Target], seconds: float) -> str:
    """`99 scenarios x 10 targets: 985 pass, 5 FAIL (121 s)`."""
    failed = sum(1 for cell in cells if not cell.ok)
    scenarios = len(dict.fromkeys(cell.scenario for cell in cells))
    verdict = f"{failed} FAIL" if failed else "all pass"
    return (
        f"{scenarios} scenarios x {len(targets)} targets: {len(cells) - failed} pass, "
        f"{verdict} ({seconds:.0f} s)"
    )
