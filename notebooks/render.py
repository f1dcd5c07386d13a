# The published copies of the lecture notebooks: each notebook executed from the top by a fresh
# kernel and written as one self-contained HTML page (figures embedded as images), so a reader
# sees every figure without running anything.
#
# Rules of this file: the .ipynb files are only read - outputs never go back into them (they are
# committed without outputs, tests/notebooks checks it); a notebook with a failing cell gets no
# page (a page with a traceback in place of a figure would be published as if it were a result).
"""Execute every lecture notebook and write it as HTML.

`python notebooks/render.py [--out results/reference/notebooks] [--quick] [NAME ...]`
(needs the `notebooks` extra: `pip install -e '.[notebooks]'`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "results" / "reference" / "notebooks"
CELL_TIMEOUT = 600
"""Seconds one cell may run; a full-mode notebook stays under 5 minutes in all."""


def render(path: Path, out: Path) -> Path:
    """Execute the notebook at `path` (cwd: its folder) and write `out/<name>.html`.

    Raises:
        CellExecutionError: a cell failed; nothing is written.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    # "lab": CSS inlined, figures as base64 images; it needs no network to show them.
    html, _ = HTMLExporter(template_name="lab", embed_images=True).from_notebook_node(nb)
    target = out / f"{path.stem}.html"
    target.write_text(html, encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Render the notebooks (not the solutions); print each page's path and seconds taken."""
    parser = argparse.ArgumentParser(prog="python notebooks/render.py", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder of the pages ({OUT})")
    parser.add_argument(
        "--quick", action="store_true", help="NETMODELS_QUICK=1: shorter live demos"
    )
    parser.add_argument("names", nargs="*", help="only these notebooks (e.g. 01_event_loops)")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["NETMODELS_QUICK"] = "1"  # the kernel inherits it
    paths = sorted(HERE.glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names or p.name in args.names]
    if not paths:
        parser.error(f"no notebook to render in {HERE}")
    args.out.mkdir(parents=True, exist_ok=True)
    failed = []
    for path in paths:
        start = time.monotonic()
        try:
            target = render(path, args.out)
        except CellExecutionError as error:
            failed.append(path.name)
            print(f"{path.name}: a cell failed, no page written\n{error}", file=sys.stderr)
            continue
        print(f"{target}  {time.monotonic() - start:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
