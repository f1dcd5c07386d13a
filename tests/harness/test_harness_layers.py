# STYLE.md convention 6: the harness is a pipeline with one direction of imports,
# profile -> runner -> driver -> results -> analysis, with the commands on top.
"""No harness module imports a later stage of the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "harness"

LAYERS = {
    "profile": 0,
    "runner": 1,
    "driver": 2,
    "results": 3,
    "analysis": 4,
    # commands: they use everything, nothing uses them
    "trial": 5,
    "console": 5,
    "bench": 5,
    "sweep": 5,
    "calibrate": 5,
    "options": 5,
    "cli": 5,
    "serve": 5,
    "yardstick": 5,  # a standalone server program: imports no harness module
}


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
                found.add(".".join([*base, node.module]))
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
