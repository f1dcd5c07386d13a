# The server under test as a child process, through the process contract of `netmodels serve`
# (docs/service-spec.md): one JSON line on stdout when ready, exit on SIGTERM.
#
# Rules of this file: starting, the ready deadline and stopping are `harness.runner.launch`'s
# (every wait has a deadline; `stop` leaves no process behind); this file knows what to start -
# `netmodels serve` on ports the kernel picks, or a name of the targets table
# (`harness.targets`: the yardstick, the stall target, uvicorn, aiohttp, nginx), which keeps the
# same contract - and what the ready line says. `home` starts another checkout's code (a git
# worktree of an older commit: `netmodels ping --baseline`): cwd and PYTHONPATH point there.
"""`ServerProcess`: start `netmodels serve` or a target, read its ready line, pin it, stop it."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import targets
from harness.runner.launch import Launched, ServerError


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Where a server listens. `admin` is `host:port` of /metrics or None; `pid` is None for a
    server started elsewhere (`--target`)."""

    host: str
    port: int
    admin: str | None = None
    pid: int | None = None

    @classmethod
    def parse(cls, target: str, admin: str | None = None) -> ServerAddress:
        """`127.0.0.1:8080` or `[::1]:8080` -> ServerAddress.

        Raises:
            ValueError: no port.
        """
        host, port = split_hostport(target)
        return cls(host, port, admin)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def split_hostport(text: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` -> (host, port).

    Raises:
        ValueError: malformed.
    """
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


YARDSTICK = "bare"
"""The name of `harness.yardstick` (a bare uvloop + httptools server) where an impl is expected;
one of the targets (`harness.targets`)."""


class ServerProcess(Launched):
    """One `netmodels serve` (or target) child process; a context manager that always stops it.

    Args:
        impl, protocol: what to serve. A target name (`harness.targets.TARGETS`, `YARDSTICK`
            among them) starts that program instead of `netmodels serve`: no admin endpoint, and
            a target that cannot run here, or does not serve `protocol`, fails in `start`.
        options: further options as (name, value) pairs, passed as `--kebab-name value`, e.g.
            ("loop", "asyncio") for `netmodels serve`, ("stall_ms", "50") for the stall target.
        cpus: CPUs to pin the server to (empty: not pinned).
        home: a checkout whose code to run (cwd and PYTHONPATH); None: this one.
    """

    def __init__(
        self,
        impl: str,
        protocol: str,
        options: Sequence[tuple[str, str]] = (),
        cpus: tuple[int, ...] = (),
        home: Path | None = None,
    ) -> None:
        env = {"PYTHONPATH": str(home)} if home is not None else None
        super().__init__(serve_argv(impl, protocol, options), cwd=home, env=env, cpus=cpus)
        self.unavailable = _unavailable(impl, protocol)
        """Why it cannot start here (a target that cannot run, or not this protocol), or None."""

    def start(self) -> ServerAddress:
        """Start the server and wait for its ready line.

        Raises:
            ServerError: it cannot run here, exited, printed something else, or was not ready
                in time.
        """
        if self.unavailable is not None:
            raise ServerError(self.unavailable)
        line = self.launch().decode("utf-8", "replace").strip()
        try:
            ready = json.loads(line)
            host, port = split_hostport(ready["listening"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServerError(f"unexpected ready line {line!r}: {exc}{self.log_tail()}") from None
        return ServerAddress(host, port, ready.get("admin"), self.pid)


def serve_argv(impl: str, protocol: str, options: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The command line that starts `impl`: the target's program for a target name, else
    `netmodels serve` on ports the kernel picks. Options become `--kebab-name value`."""
    if targets.is_target(impl):
        return targets.argv(impl, options)
    argv = [sys.executable, "-m", "harness.cli", "serve", "--impl", impl, "--protocol", protocol]
    argv += ["--port", "0", "--admin-port", "0"]
    for name, value in options:
        argv += [f"--{name.replace('_', '-')}", value]
    return argv


def _unavailable(impl: str, protocol: str) -> str | None:
    if not targets.is_target(impl):
        return None  # `netmodels serve` checks impl and protocol itself, and says so in its log
    served = targets.protocols(impl)
    if protocol not in served:
        return f"{impl} serves {', '.join(served)} only, not {protocol}"
    return targets.missing(impl)
