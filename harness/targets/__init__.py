# Targets: servers the harness can start and measure that are not netmodels impls - the
# yardstick, a server that stalls on purpose, and peers from outside the project (uvicorn,
# aiohttp, nginx) to place the impls' figures among. Each is a standalone program started as
# `python -m <module> [--option value ...]` that keeps the process contract of `netmodels serve`
# (docs/service-spec.md): one JSON ready line on stdout, exit on SIGTERM.
#
# Rules of this package: it imports no other harness module (tests/harness/test_harness_layers.py
# holds it to that), so that the runner may import this table and nothing it starts pulls the
# harness in; importing this table imports none of the peers, so that `missing` can say what is
# absent instead of failing; a target's options reach it as `--kebab-name value`.
"""The table of non-impl targets: how to start each, what it serves, why it cannot run here."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass

PIP_CORE = "pip install -e ."
PIP_PEERS = "pip install -e '.[peers]'"


@dataclass(frozen=True, slots=True)
class Target:
    """One target program.

    name: the name given where an impl is expected (`netmodels bench --impl NAME`).
    module: what `python -m` runs.
    summary: one line for people.
    protocols: the `--protocol` values it serves.
    modules: (Python module, how to install it) pairs it imports.
    programs: (executable on PATH, how to install it) pairs it runs.
    """

    name: str
    module: str
    summary: str
    protocols: tuple[str, ...] = ("http",)
    modules: tuple[tuple[str, str], ...] = ()
    programs: tuple[tuple[str, str], ...] = ()

    def argv(self, options: Sequence[tuple[str, str]] = ()) -> list[str]:
        """The command line that starts it; option ("stall_ms", "50") becomes `--stall-ms 50`."""
        argv = [sys.executable, "-m", self.module]
        for name, value in options:
            argv += [f"--{name.replace('_', '-')}", value]
        return argv

    def missing(self) -> str | None:
        """Why it cannot run on this machine (one line), or None when it can."""
        for module, install in self.modules:
            if importlib.util.find_spec(module) is None:
                return f"{module} not installed ({install})"
        for program, install in self.programs:
            if shutil.which(program) is None:
                return f"{program} not installed ({install})"
        return None


_UVLOOP_HTTPTOOLS = (("uvloop", PIP_CORE), ("httptools", PIP_CORE))

TABLE: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "bare",
            "harness.yardstick",
            "the yardstick: the least a uvloop + httptools server does (ignores options)",
            modules=_UVLOOP_HTTPTOOLS,
        ),
        Target(
            "stall",
            "harness.targets.stall",
            "the yardstick with a stop-the-world pause: --stall-ms every --period-ms",
            modules=_UVLOOP_HTTPTOOLS,
        ),
        Target(
            "nginx",
            "harness.targets.nginx",
            "nginx, one process, `return 200` for /ping",
            programs=(("nginx", "apt-get install nginx-light"),),
        ),
        Target(
            "uvicorn",
            "harness.targets.asgi",
            "uvicorn (uvloop, httptools) with a raw ASGI app",
            modules=(("uvicorn", PIP_PEERS), *_UVLOOP_HTTPTOOLS),
        ),
        Target(
            "aiohttp",
            "harness.targets.aiohttp_app",
            "an aiohttp web.Application on uvloop",
            modules=(("aiohttp", PIP_PEERS), ("uvloop", PIP_CORE)),
        ),
    )
}
"""Every target by name."""

TARGETS = tuple(TABLE)
"""The target names, in table order."""


def is_target(name: str) -> bool:
    """True if `name` is a target of this table (not a netmodels impl)."""
    return name in TABLE


def target(name: str) -> Target:
    """The target called `name`.

    Raises:
        ValueError: no such target.
    """
    try:
        return TABLE[name]
    except KeyError:
        raise ValueError(f"unknown target {name!r} (targets: {', '.join(TARGETS)})") from None


def argv(name: str, options: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The command line that starts target `name` with `options` (see `Target.argv`).

    Raises:
        ValueError: no such target.
    """
    return target(name).argv(options)


def protocols(name: str) -> tuple[str, ...]:
    """The protocols target `name` serves.

    Raises:
        ValueError: no such target.
    """
    return target(name).protocols


def missing(name: str) -> str | None:
    """Why target `name` cannot run here, e.g. `uvicorn not installed (pip install -e
    '.[peers]')`; None when it can.

    Raises:
        ValueError: no such target.
    """
    return target(name).missing()


__all__ = ["TABLE", "TARGETS", "Target", "argv", "is_target", "missing", "protocols", "target"]
