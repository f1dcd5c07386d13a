# The generated report: sixth stage of the pipeline (... -> results -> analysis -> plots ->
# experiments -> report). It reads a run through `harness.analysis.run.Run`, asks each
# experiment of `harness.experiments` for its table, figure and findings, and writes two files:
# report.html (self-contained) and report.md (figures beside it in report_files/).
#
# Rules of this package: nothing is written until the whole report is built; a bad run
# directory is a `ReportError` (one line), an experiment that fails is a section that says so.
"""`write(run_path) -> ReportPaths`: the HTML and Markdown report of one run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.report import html, markdown
from harness.report.build import Report, ReportError, build, figure_files, load_run
from harness.results import atomic

__all__ = ["Report", "ReportError", "ReportPaths", "build", "load_run", "write"]

HTML_NAME = "report.html"
MARKDOWN_NAME = "report.md"


@dataclass(frozen=True, slots=True)
class ReportPaths:
    """Where a report was written."""

    html: Path
    md: Path


def write(run_path: str | Path, out: str | Path | None = None) -> ReportPaths:
    """Write report.html and report.md (with report_files/) of the run at `run_path`.

    Args:
        run_path: a run directory.
        out: where to write instead of the run directory (e.g. for a committed run, which is
            never edited by hand).

    Returns:
        The paths of the two files.

    Raises:
        ReportError: the run directory cannot be reported on (missing, no manifest,
            unreadable, unknown schema version, empty); nothing is written then.
    """
    run = load_run(run_path)
    target = Path(out) if out is not None else run.path
    report = build(run, target)
    page = html.render(report)
    text = markdown.render(report)
    figures = figure_files(report.sections)
    target.mkdir(parents=True, exist_ok=True)
    folder = target / markdown.FIGURES_DIR
    if figures or folder.exists():
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("*.png"):
            if stale.name not in figures:
                stale.unlink()
        for name, data in figures.items():
            atomic.write_bytes(folder / name, data)
    paths = ReportPaths(html=target / HTML_NAME, md=target / MARKDOWN_NAME)
    atomic.write_text(paths.md, text)
    atomic.write_text(paths.html, page)
    return paths
