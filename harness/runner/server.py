# The server under test as a child process, through the process contract of `netmodels serve`
# (docs/service-spec.md): one JSON line on stdout when ready, exit on SIGTERM.
#
# Rules of this file: every wait has a deadline; `stop` always leaves no process behind - SIGTERM
# first (the server finishes in-flight work), then SIGKILL to the whole process group (pool
# workers included). The server runs in its own process group, so a Ctrl-C at the terminal
# reaches only the harness, which then stops the server in order instead of racing it. And should
# the harness itself be killed (SIGKILL gives it no chance to stop anything), the kernel sends the
# server SIGTERM on its behalf (`lifetime.die_with_parent`, Linux). A name of the targets table
# (`harness.targets`: the yardstick, the stall target, uvicorn, aiohttp, nginx) starts that
# program instead of `netmodels serve`; it keeps the same contract.
"""`ServerProcess`: start `netmodels serve` or a target, read its ready line, pin it, stop it."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO

from harness import targets

from .lifetime import die_with_parent
from .pinning import pin_process, pin_threads

READY_TIMEOUT = 30.0
"""Seconds a server may take to print its ready line (imports, pool warm-up, a loaded box)."""

STOP_TIMEOUT = 10.0
"""Seconds a server may take to exit after SIGTERM before its process group is killed."""


class ServerError(RuntimeError):
    """The server did not start, or died; the message carries the tail of its log."""


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


class ServerProcess:
    """One `netmodels serve` (or target) child process; a context manager that always stops it.

    Args:
        impl, protocol: what to serve. A target name (`harness.targets.TARGETS`, `YARDSTICK`
            among them) starts that program instead of `netmodels serve`: no admin endpoint, and
            a target that cannot run here, or does not serve `protocol`, fails in `start`.
        options: further options as (name, value) pairs, passed as `--kebab-name value`, e.g.
            ("loop", "asyncio") for `netmodels serve`, ("stall_ms", "50") for the stall target.
        cpus: CPUs to pin the server to (empty: not pinned).
    """

    def __init__(
        self,
        impl: str,
        protocol: str,
        options: Sequence[tuple[str, str]] = (),
        cpus: tuple[int, ...] = (),
    ) -> None:
        self.argv = serve_argv(impl, protocol, options)
        self.unavailable = _unavailable(impl, protocol)
        """Why it cannot start here (a target that cannot run, or not this protocol), or None."""
        self.cpus = cpus
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> ServerAddress:
        """Start the server and wait for its ready line.

        Raises:
            ServerError: it cannot run here, exited, printed something else, or was not ready
                in time.
        """
        if self.unavailable is not None:
            raise ServerError(self.unavailable)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            process_group=0,
            # takes no lock between fork and exec, so the harness's threads cannot block it
            preexec_fn=functools.partial(die_with_parent, os.getpid()),  # noqa: PLW1509
        )
        pin_process(self._process.pid, self.cpus)
        line = self._ready_line()
        try:
            ready = json.loads(line)
            host, port = split_hostport(ready["listening"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServerError(f"unexpected ready line {line!r}: {exc}{self.log_tail()}") from None
        pin_threads(self._process.pid, self.cpus)
        return ServerAddress(host, port, ready.get("admin"), self._process.pid)

    def _ready_line(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        out = self._process.stdout
        deadline = time.monotonic() + READY_TIMEOUT
        buffer = b""
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerError(f"not ready within {READY_TIMEOUT:g}s{self.log_tail()}")
            readable, _, _ = select.select([out], [], [], remaining)
            if readable:
                chunk = os.read(out.fileno(), 4096)
                if not chunk:
                    status = self._process.wait(timeout=STOP_TIMEOUT)
                    raise ServerError(f"exited with status {status}{self.log_tail()}")
                buffer += chunk
        return buffer.decode("utf-8", "replace").strip()

    @property
    def running(self) -> bool:
        """True while the server process has not exited."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> int | None:
        """SIGTERM, wait up to `STOP_TIMEOUT`, then SIGKILL the process group. Idempotent.

        Returns:
            The exit status, or None if it was never started.
        """
        process, self._process = self._process, None
        if process is None:
            return None
        try:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    _kill_group(process.pid)
                    process.wait()
            _kill_group(process.pid)  # whatever the server left behind (pool workers)
            return process.returncode
        finally:
            if process.stdout is not None:
                process.stdout.close()

    def log_tail(self, limit: int = 2000) -> str:
        """The last `limit` bytes of the server's stderr, as a suffix for error messages."""
        if self._log is None:
            return ""
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - limit))
        text = self._log.read().decode("utf-8", "replace").strip()
        return f"\n--- server log ---\n{text}" if text else ""

    def close(self) -> None:
        """Stop the server and drop its log."""
        try:
            self.stop()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
