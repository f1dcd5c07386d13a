# `netmodels report RUN_DIR`: the command around `harness.report.write`. A run it cannot read
# is one line on stderr and exit status 2 (like a bad option), never a traceback.
#
# Rules of this file: argument handling and exit statuses only; the report is built elsewhere.
"""`run(args) -> exit status` of `netmodels report`."""

from __future__ import annotations

import argparse
import logging
import sys
import webbrowser

from harness.report import ReportError, write

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Write the report of `args.run_dir` (into `args.out` if given) and print its paths.

    Returns 0, or 2 for a run directory the report cannot be written for.
    """
    try:
        paths = write(args.run_dir, args.out)
    except ReportError as exc:
        print(f"netmodels report: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the output directory is not writable
        print(f"netmodels report: error: cannot write the report: {exc}", file=sys.stderr)
        return 2
    print(f"report: {paths.html}")
    print(f"markdown: {paths.md}")
    if args.open_in_browser == "yes":
        webbrowser.open(paths.html.resolve().as_uri())
    return 0
