# The shared protocol layer is sans-I/O (STYLE.md, convention 1): bytes in, events out, and no
# sockets, selectors, event loops, threads or processes anywhere in it.
#
# Rules of this file: checked twice. Statically, every import statement of every module of
# impls/protocol. Dynamically, what `import impls.protocol` adds to `sys.modules` in a fresh
# interpreter, compared with a fresh interpreter that imports nothing - this also catches what
# the layer's own imports drag in behind it (the standard library and third-party packages).
"""impls.protocol imports no I/O or concurrency module, directly or through its imports."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import impls.protocol

FORBIDDEN = frozenset(
    [
        "socket",
        "selectors",
        "asyncio",
        "threading",
        "select",
        "ssl",
        "subprocess",
        "concurrent",
        "multiprocessing",
        "_socket",
        "_ssl",
        "_thread",
        "_asyncio",
        "uvloop",
    ]
)
PACKAGE = Path(impls.protocol.__file__).parent
ROOT = PACKAGE.parent.parent

_NEW_MODULES = """
import json, sys
before = set(sys.modules)
{statement}
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _forbidden(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in FORBIDDEN


def _new_modules(statement: str) -> set[str]:
    """Modules that `statement` adds to sys.modules in a fresh interpreter."""
    script = _NEW_MODULES.format(statement=statement)
    out = subprocess.run(
        [sys.executable, "-I", "-c", script],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT)},
    )
    return set(json.loads(out.stdout))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_io_directly(path: Path) -> None:
    assert [name for name in _imports(path) if _forbidden(name)] == []


def test_importing_the_layer_loads_no_io_module() -> None:
    baseline = _new_modules("pass")
    loaded = _new_modules("import impls.protocol") - baseline
    assert "impls.protocol" in loaded  # the probe itself works
    assert sorted(m for m in loaded if _forbidden(m)) == []


def test_the_probe_sees_io_modules() -> None:
    # The check above would pass vacuously if a fresh interpreter could not show a forbidden
    # import; one that imports socket must show it.
    assert "socket" in _new_modules("import socket") - _new_modules("pass")
