# The report as one self-contained HTML page: CSS inline, figures as PNG data URIs, no script
# and no external URL, so it opens the same from a laptop, a CI artifact or an email.
#
# Rules of this file: every text from the run is escaped; colour repeats what the words say
# (a check reads "OK" or "Check" whatever its colour); layout holds to ~1100 px, figures scale
# to the width.
"""`render(report) -> str`."""

from __future__ import annotations

import base64
from html import escape

from harness.report.build import Report, Section
from harness.report.format import Table
from harness.report.glossary import COLUMNS, FLAGS, TERMS
from harness.report.validity import LONG_TABLE, Check, severity

CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1d2329;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 32px 0 8px; padding-top: 8px; border-top: 1px solid #dde1e6; }
h3 { font-size: 1.02em; margin: 18px 0 6px; }
p.sub, p.note, figcaption, .caption { color: #56606b; font-size: 0.9em; }
nav { font-size: 0.9em; margin: 8px 0 0; }
nav a { margin-right: 10px; }
a { color: #1a5fb4; }
code { font-size: 0.92em; background: #f0f2f4; padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.86em; max-width: 100%; }
th, td { border: 1px solid #d5dae0; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
tbody tr:nth-child(even) td { background: #f8f9fb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { width: 9em; background: none; border: none; border-bottom: 1px solid #eceff2; }
table.facts td { border: none; border-bottom: 1px solid #eceff2; }
.wide { overflow-x: auto; }
figure { margin: 12px 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
.banner { border-left: 6px solid; padding: 6px 16px 10px; margin-top: 24px; }
.banner h2 { border-top: none; margin-top: 8px; }
.banner.ok { border-color: #2e7d32; background: #eef7ef; }
.banner.warn { border-color: #b26a00; background: #fff6e6; }
.check { margin: 10px 0; }
.check .word { display: inline-block; min-width: 3.6em; font-weight: 700; }
.check.ok .word { color: #1e5e22; }
.check.warn .word { color: #8a4b00; }
.check table { background: #fff; }
.error { border-left: 4px solid #b26a00; background: #fff6e6; padding: 6px 12px; }
.claim { border-left: 3px solid #9aa5b1; padding-left: 10px; color: #333b44; }
dl.glossary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
  font-size: 0.88em; }
dl.glossary dt { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
dl.glossary dd { margin: 0; }
"""


def render(report: Report) -> str:
    """The whole page."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.title)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        _header(report),
        _environment(report),
        _validity(report),
        *(_section(s, report.run_id) for s in report.sections),
        _missing(report),
        _glossary(),
        _links(report),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _header(report: Report) -> str:
    items = [("run", "What was run"), ("validity", "Validity")]
    items += [(s.key, s.key) for s in report.sections]
    items += [("missing", "Not in this run"), ("glossary", "Glossary"), ("raw", "Raw files")]
    nav = " ".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t in items)
    return (
        f"<header><h1>{escape(report.title)}</h1>"
        '<p class="sub">Written by <code>netmodels report</code> from the run\'s own files; '
        "every number below comes from this run (trial ids say which rows).</p>"
        f"<nav>{nav}</nav></header>"
    )


def _environment(report: Report) -> str:
    rows = "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in report.environment
    )
    return (
        '<section id="run"><h2>What was run and where</h2>'
        f'<table class="facts"><tbody>{rows}</tbody></table></section>'
    )


def table(data: Table, caption: str | None = None) -> str:
    """A Table as HTML (in a horizontally scrolling box when wide)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in data.headers)
    body = []
    for row in data.rows:
        cells = []
        for n, text in enumerate(row):
            numeric = n < len(data.numeric) and data.numeric[n]
            attr = ' class="num"' if numeric else ""
            cells.append(f"<td{attr}>{escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    more = ""
    if data.left_off:
        more = f'<p class="note">... and {data.left_off} more rows (see the raw files).</p>'
    said = " ".join(t for t in (data.note(), caption or "") if t)
    cap = f'<p class="caption">{escape(said)}</p>' if said else ""
    return (
        f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{more}{cap}"
    )


def _check(check: Check) -> str:
    inner = ""
    if check.table is not None:
        inner = table(check.table)
        if len(check.table.rows) > LONG_TABLE:
            inner = f"<details><summary>the {len(check.table.rows)} rows</summary>{inner}</details>"
    return (
        f'<div class="check {check.severity}"><span class="word">{check.word}</span> '
        f"<strong>{escape(check.title)}:</strong> {escape(check.text)}{inner}</div>"
    )


def _validity(report: Report) -> str:
    level = severity(list(report.checks))
    heading = (
        "Validity: no problem found"
        if level == "ok"
        else "Validity: check these before reading the figures"
    )
    return (
        f'<section id="validity" class="banner {level}"><h2>{heading}</h2>'
        f"{''.join(_check(c) for c in report.checks)}</section>"
    )


def _section(section: Section, run_id: str) -> str:
    key = escape(section.key)
    out = [
        f'<section id="{key}" class="experiment"><h2>{key}. {escape(section.title)}</h2>',
        f"<p><strong>Question:</strong> {escape(section.question)}</p>",
    ]
    if section.error:
        out.append(f'<p class="error">Could not be analysed: {escape(section.error)}</p>')
    else:
        if section.png:
            data = base64.b64encode(section.png).decode("ascii")
            out.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{escape(section.alt)}">'
                f"<figcaption>{key}: {escape(section.title)} - run {escape(run_id)}."
                "</figcaption></figure>"
            )
        elif section.figure_error:
            out.append(
                f'<p class="error">Figure could not be drawn: {escape(section.figure_error)}</p>'
            )
        if section.table is not None:
            out.append(
                table(
                    section.table,
                    f"{key} table, from run {run_id}; columns are explained in the glossary.",
                )
            )
        out.append("<h3>What this shows</h3>")
        if section.findings:
            out.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in section.findings))
            out.append("</ul>")
        elif section.findings_error:
            out.append(
                f'<p class="error">Findings could not be computed: '
                f"{escape(section.findings_error)}</p>"
            )
        else:
            out.append('<p class="note">Nothing the data can say yet.</p>')
    out.append(
        f'<p class="claim"><strong>Bears on:</strong> {escape(section.claim)} - '
        f"<em>{escape(section.source)}</em></p></section>"
    )
    return "".join(out)


def _missing(report: Report) -> str:
    out = ['<section id="missing"><h2>Not in this run</h2>']
    if report.absent:
        out.append(f"<p>Not in this run: {escape(', '.join(report.absent))}.</p>")
    else:
        out.append("<p>Every experiment has data in this run.</p>")
    out.extend(f"<p>{escape(line)}</p>" for line in report.missing)
    out.append("</section>")
    return "".join(out)


def _definitions(entries: dict[str, str]) -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in entries.items())
    return f'<dl class="glossary">{items}</dl>'


def _glossary() -> str:
    return (
        '<section id="glossary"><h2>Glossary</h2>'
        f"<h3>Flags</h3>{_definitions(FLAGS)}"
        f"<h3>Words of this report</h3>{_definitions(TERMS)}"
        f"<h3>Columns of trials.csv</h3>{_definitions(COLUMNS)}</section>"
    )


def _links(report: Report) -> str:
    items = []
    for link in report.links:
        if link.exists:
            items.append(
                f'<li><a href="{escape(link.href)}">{escape(link.name)}</a> - '
                f"{escape(link.meaning)}</li>"
            )
        else:
            items.append(f"<li>{escape(link.name)} - {escape(link.meaning)} (not in this run)</li>")
    return f'<section id="raw"><h2>Raw files</h2><ul>{"".join(items)}</ul></section>'
