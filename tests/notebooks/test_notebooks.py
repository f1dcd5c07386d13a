# Every lecture notebook and every worked solution, as CI sees them: committed without outputs
# (diffs stay readable; the executed copies are published as HTML by notebooks/render.py), and
# executed end to end by a fresh kernel with NETMODELS_QUICK=1 - a cell that raises fails the
# test, and so does a server the notebook left running when its last cell was done.
#
# Rules of this file: the notebooks are found by glob, so a new one is tested by being there;
# a server "of this test" is recognised by a token in its environment (the kernel inherits the
# test's environment and passes it to every process it starts), which survives the kernel's
# death and ignores servers other people run on the same machine.
"""Lecture notebooks: stored without outputs; each executes without error or leftover server."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("solutions/*.ipynb"))
KERNEL = "python3"
CELL_TIMEOUT = 300
"""Seconds one cell may run (a live demo runs seconds; a cell that hangs fails here)."""

SERVERS = ("harness.cli serve", "harness.targets", "harness.yardstick")
"""Command-line fragments of the server programs a notebook may start (harness.lab.server)."""

TOKEN = "NETMODELS_NOTEBOOK_TEST"

pytestmark = pytest.mark.notebooks


def ids(path: Path) -> str:
    return str(path.relative_to(NOTEBOOKS))


def test_there_are_notebooks() -> None:
    assert PATHS, f"no notebook in {NOTEBOOKS} or its solutions/"


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    stored = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not stored, (
        f"{ids(path)}: code cells {stored} have outputs or execution counts; clear them "
        f"(`jupyter nbconvert --clear-output --inplace {ids(path)}`)"
    )


@pytest.fixture(scope="session")
def kernel() -> str:
    """The `python3` kernelspec, installed into this environment if it has none, run by this
    interpreter."""
    specs = KernelSpecManager()
    try:
        spec = specs.get_kernel_spec(KERNEL)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(kernel_name=KERNEL, prefix=sys.prefix)
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    program = spec.argv[0]
    # jupyter_client starts a bare "python" (or python3, python3.11) with its own interpreter
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}
    if program not in bare and Path(program).resolve() != Path(sys.executable).resolve():
        pytest.fail(
            f"kernelspec {KERNEL} runs {program}, not {sys.executable}: {spec.resource_dir}"
        )
    return KERNEL


def servers_of(token: str) -> list[str]:
    """The server processes whose environment carries `token`: started under this test."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        command = " ".join(process.info["cmdline"] or ())
        if not any(fragment in command for fragment in SERVERS):
            continue
        try:
            environ = process.environ()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if environ.get(TOKEN) == token:
            found.append(f"{process.info['pid']}: {command}")
    return found


@pytest.mark.timeout(CELL_TIMEOUT * 2)
@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_executes(path: Path, kernel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = uuid.uuid4().hex
    monkeypatch.setenv("NETMODELS_QUICK", "1")
    monkeypatch.setenv(TOKEN, token)
    nb = nbformat.read(path, as_version=4)
    last = max((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), default=-1)
    left_running: list[str] = []

    def after_cell(cell: Any, cell_index: int, **_: Any) -> None:
        # checked while the kernel lives: its death would stop (and so hide) a leaked server
        if cell_index == last:
            left_running.extend(servers_of(token))

    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=after_cell,
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on an error
    assert not left_running, f"{ids(path)} left servers running: {left_running}"
    assert not servers_of(token), f"{ids(path)}: servers outlived the kernel"
