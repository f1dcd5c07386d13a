# STYLE.md convention 6: the harness is a pipeline with one direction of imports,
# profile -> process -> runner | driver -> results -> analysis, with the commands on top. The
# runner (the server side) and the driver (the client side) share a layer but not code: both
# take the generic process helpers from `harness.process`, and neither imports the other.
"""No harness module imports a later stage of the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "harness"

LAYERS = {
    "profile": 0,
    "targets": 0,  # standalone server programs; the runner reads their table (see STANDALONE)
    "selector_wait": 0,  # a standalone probe: imports no harness module
    "process": 1,  # generic process helpers: pinning, lifetime, limits, `Closing`
    "runner": 2,  # the server side of a trial
    "driver": 2,  # the client side of a trial (see SIDES)
    "results": 3,
    "analysis": 4,
    "plots": 5,  # pure: DataFrame in, Figure out
    "experiments": 6,  # each experiment's analysis, figure and findings, named
    "report": 7,
    # commands: they use everything, nothing uses them
    "trial": 8,
    "console": 8,
    "bench": 8,
    "sweep": 8,
    "calibrate": 8,
    "ping": 8,  # `netmodels ping`: impls vs the yardstick (and a baseline checkout) under wrk
    "wrk": 8,  # wrk as a driver: a trial run by calibrate and by sweeps (E10)
    "locust": 8,  # `netmodels locust` and the code it runs inside Locust processes
    "options": 8,
    "cli": 8,
    "serve": 8,
    "admin": 8,  # the /metrics endpoint `netmodels serve` starts beside an impl
    "lab": 8,  # the lecture notebooks' helpers: servers, short trials, probes
    "yardstick": 8,  # a standalone server program: imports no harness module
    "check": 8,
}

SIDES = ("runner", "driver")
"""Two stages of one layer that must not import each other."""

STANDALONE = {"targets", "yardstick"}
"""Server programs the harness starts: each imports nothing of the harness but itself."""


def stage(module: str) -> str:
    """harness.driver.pool -> driver; harness.cli -> cli."""
    return module.split(".")[1] if module.count(".") else module


def imports_of(path: Path) -> set[str]:
    """The harness modules `path` imports, relative imports resolved."""
    parts = list(path.relative_to(HARNESS.parent).with_suffix("").parts)
    package = parts[:-1]  # for __init__.py too: its package is its directory
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)] if node.level else []
            if node.module:
                module = ".".join([*base, node.module])
                found.add(module)
                # `from harness import targets` names its stage only in the alias
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
    return {name for name in found if name.startswith("harness.")}


FILES = sorted(p for p in HARNESS.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_imports_point_backwards(path: Path) -> None:
    rel = path.relative_to(HARNESS)
    if rel.name == "__init__.py" and rel.parent == Path("."):
        return
    own = rel.parts[0].removesuffix(".py")
    assert own in LAYERS, f"{rel}: place this module in a layer of LAYERS here"
    for name in imports_of(path):
        other = stage(name)
        assert other in LAYERS, f"{rel} imports {name}, which is in no layer"
        assert LAYERS[other] <= LAYERS[own], (
            f"{rel} ({own}) imports {name} ({other}): a later stage"
        )


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_sides_apart(path: Path) -> None:
    own = path.relative_to(HARNESS).parts[0].removesuffix(".py")
    if own not in SIDES:
        return
    crossing = {name for name in imports_of(path) if stage(name) in SIDES and stage(name) != own}
    assert not crossing, f"{path.relative_to(HARNESS)} ({own}) imports {sorted(crossing)}"


STANDALONE_FILES = [
    p for p in FILES if p.relative_to(HARNESS).parts[0].removesuffix(".py") in STANDALONE
]


@pytest.mark.parametrize("path", STANDALONE_FILES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_server_programs_stand_alone(path: Path) -> None:
    own = path.relative_to(HARNESS).parts[0].removesuffix(".py")
    others = {name for name in imports_of(path) if stage(name) != own}
    assert not others, f"{path.relative_to(HARNESS)} ({own}) imports {sorted(others)}"
