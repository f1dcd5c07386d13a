# The report as Markdown, for a pull request or a wiki: the same content as the HTML page, in
# the same order, its figures as PNG files in `report_files/` beside it, linked relatively.
#
# Rules of this file: read `Report` only; a `|` in a cell is escaped so tables stay tables.
"""`render(report, figures_dir) -> str`."""

from __future__ import annotations

from harness.report.build import Report, Section
from harness.report.format import Table
from harness.report.glossary import COLUMNS, FLAGS, TERMS
from harness.report.validity import severity

FIGURES_DIR = "report_files"
"""The directory of the Markdown report's figures, beside report.md."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(data: Table) -> str:
    """A Table as a Markdown pipe table."""
    lines = [
        "| " + " | ".join(_cell(h) for h in data.headers) + " |",
        "|"
        + "|".join(
            "---:" if n < len(data.numeric) and data.numeric[n] else "---"
            for n in range(len(data.headers))
        )
        + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in data.rows]
    if data.left_off:
        lines.append(f"\n... and {data.left_off} more rows (see the raw files).")
    if data.note():
        lines.append(f"\n*{data.note()}*")
    return "\n".join(lines)


def render(report: Report, figures_dir: str = FIGURES_DIR) -> str:
    """The whole Markdown report; figures are `<figures_dir>/<key>.png`."""
    out = [f"# {report.title}", ""]
    out += [
        "Written by `netmodels report` from the run's own files; every number below comes from "
        "this run (trial ids say which rows).",
        "",
        "## What was run and where",
        "",
        "| | |",
        "|---|---|",
    ]
    out += [f"| **{_cell(k)}** | {_cell(v)} |" for k, v in report.environment]
    level = severity(list(report.checks))
    out += [
        "",
        "## Validity: "
        + ("no problem found" if level == "ok" else "check these before reading the figures"),
        "",
    ]
    for check in report.checks:
        out.append(f"- **{check.word} - {check.title}:** {check.text}")
        if check.table is not None:
            out += ["", table(check.table), ""]
    for section in report.sections:
        out += ["", *_section(section, report.run_id, figures_dir)]
    out += ["", "## Not in this run", ""]
    out.append(
        f"Not in this run: {', '.join(report.absent)}."
        if report.absent
        else "Every experiment has data in this run."
    )
    for line in report.missing:
        out += ["", line]
    out += ["", "## Glossary", "", "### Flags", ""]
    out += [f"- `{k}`: {v}" for k, v in FLAGS.items()]
    out += ["", "### Words of this report", ""]
    out += [f"- **{k}**: {v}" for k, v in TERMS.items()]
    out += ["", "### Columns of trials.csv", ""]
    out += [f"- `{k}`: {v}" for k, v in COLUMNS.items()]
    out += ["", "## Raw files", ""]
    for link in report.links:
        if link.exists:
            out.append(f"- [{link.name}]({link.href}) - {link.meaning}")
        else:
            out.append(f"- {link.name} - {link.meaning} (not in this run)")
    return "\n".join(out) + "\n"


def _section(section: Section, run_id: str, figures_dir: str) -> list[str]:
    out = [
        f"## {section.key}. {section.title}",
        "",
        f"**Question:** {section.question}",
        "",
    ]
    if section.error:
        out += [f"> Could not be analysed: {section.error}", ""]
    else:
        if section.png:
            out += [f"![{_cell(section.alt)}]({figures_dir}/{section.key}.png)", ""]
        elif section.figure_error:
            out += [f"> Figure could not be drawn: {section.figure_error}", ""]
        if section.table is not None:
            out += [
                table(section.table),
                "",
                f"*{section.key} table, from run {run_id}; columns are explained in the glossary.*",
                "",
            ]
        out += ["### What this shows", ""]
        if section.findings:
            out += [f"- {s}" for s in section.findings]
        elif section.findings_error:
            out.append(f"> Findings could not be computed: {section.findings_error}")
        else:
            out.append("Nothing the data can say yet.")
        out.append("")
    out.append(f"**Bears on:** {section.claim} - *{section.source}*")
    return out
