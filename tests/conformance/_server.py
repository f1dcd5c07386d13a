# The server under test, as a real process: `python -m harness.cli serve ...`.
#
# Rules of this file: the suite knows an impl only through the process contract of
# docs/service-spec.md (one JSON line on stdout when ready, exit 0 on SIGTERM, exit 2 on a bad
# option), never by importing its code. Starting it, the ready deadline and stopping it are the
# harness's launcher's (`harness.runner.launch.Launched`): every wait has a deadline, and `stop`
# always leaves no process behind, so a hung server fails one test instead of hanging CI.
"""`Target` (one impl variant + parser) and `Server` (a running `netmodels serve` process)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.check.options import variant_name
from harness.runner.launch import Launched
from harness.runner.server import split_hostport
from impls.config import ServerConfig
from impls.registry import IMPLS, ImplSpec

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = ServerConfig()
DEFAULT_PARSER = DEFAULTS.parser
PARSERS = ("httptools", "h11")

READY_TIMEOUT = 30.0
"""Seconds a server may take to print its ready line (imports, pool warm-up, a loaded CI box)."""

STOP_MARGIN = 5.0
"""Seconds beyond `--grace` a server may take to exit after SIGTERM before it is killed."""


@dataclass(frozen=True, slots=True)
class Target:
    """One way to run an impl: its name, one of its option sets, and a parser backend."""

    impl: str
    options: tuple[tuple[str, str], ...] = ()
    parser: str = DEFAULT_PARSER

    @property
    def spec(self) -> ImplSpec:
        """The registry entry of the impl."""
        return IMPLS[self.impl]

    @property
    def variant(self) -> str:
        """`impl` plus its options: `eventloop-callbacks/asyncio`, `actor/actor-threads-2`.

        A value that names itself (`asyncio`) stands alone; a number gets its option's name.
        """
        return variant_name(self.impl, self.options)

    @property
    def id(self) -> str:
        """The test id: `eventloop-callbacks/asyncio-h11`."""
        return f"{self.variant}-{self.parser}"

    def args(self) -> list[str]:
        """The `netmodels serve` options that select this target."""
        out = ["--impl", self.impl, "--parser", self.parser]
        for name, value in self.options:
            out += ["--" + name.replace("_", "-"), value]
        return out


def _options(variant: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(variant.items()))


def variants(impls: Mapping[str, ImplSpec] = IMPLS) -> list[Target]:
    """Every registered impl under its defaults and each of its `variants`, default parser."""
    return [
        Target(spec.name, _options(variant))
        for spec in impls.values()
        for variant in ({}, *spec.variants)
    ]


def targets(impls: Mapping[str, ImplSpec] = IMPLS) -> list[Target]:
    """Every impl variant under every parser backend."""
    return [Target(v.impl, v.options, parser) for v in variants(impls) for parser in PARSERS]


def serve_command(*args: str) -> list[str]:
    """The command line of `netmodels serve` with `args`, run by this interpreter."""
    return [sys.executable, "-m", "harness.cli", "serve", *args]


_TCP_LISTEN = "0A"
"""The LISTEN state in /proc/net/tcp."""


class ServerError(AssertionError):
    """The server did not start, or did not stop, as the process contract says."""


class Server:
    """A running `netmodels serve` process and what its ready line said.

    Attributes:
        ready: the parsed ready line.
        address: (host, port) of the service.
        admin: (host, port) of /metrics, or None.
        grace: the `--grace` it was started with (for how long `stop` waits).
    """

    def __init__(self, launched: Launched, ready: dict[str, Any], grace: float) -> None:
        self.launched = launched
        self.proc = launched.process
        self.ready = ready
        self.address = split_hostport(ready["listening"])
        self.admin = None if ready["admin"] is None else split_hostport(ready["admin"])
        self.grace = grace

    @classmethod
    def start(cls, target: Target, *extra: str, timeout: float = READY_TIMEOUT) -> Server:
        """Start `target` with `extra` options on an ephemeral port and wait for its ready line.

        Raises:
            ServerError: it exited, or printed no valid line, within `timeout` (the message
                carries the tail of its stderr).
        """
        args = [*target.args(), "--port", "0", *extra]
        launched = Launched(serve_command(*args), cwd=REPO)
        grace = float(args[args.index("--grace") + 1]) if "--grace" in args else DEFAULTS.grace
        try:
            ready = _ready_record(launched.launch(timeout), launched.leftover)
        except BaseException as exc:
            detail = launched.log_tail()
            launched.close()
            command = f"netmodels serve {' '.join(args)}"
            raise ServerError(f"`{command}` did not start: {exc}{detail}") from exc
        return cls(launched, ready, grace)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.proc.pid

    def terminate(self) -> None:
        """Send SIGTERM (a graceful stop)."""
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        """The exit status, waiting at most `timeout` seconds.

        Raises:
            ServerError: still running after `timeout`.
        """
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ServerError(f"server still running {timeout} s after SIGTERM") from None

    def stop(self) -> int | None:
        """SIGTERM, wait up to grace + margin, else SIGKILL. Returns the exit status.

        Idempotent; always reaps the process and closes its pipes. A server that ignores SIGTERM
        is killed; test_process reports that failure.
        """
        self.launched.stop(self.grace + STOP_MARGIN)
        self.launched.close()
        return self.proc.returncode

    def extra_stdout(self, timeout: float = 5.0) -> bytes:
        """Whatever the process wrote to stdout after its ready line (call after it exited).

        Reads until EOF, or for `timeout` seconds if a leftover child still holds the pipe.
        """
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        data = b""
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([fd], [], [], remaining)
            chunk = os.read(fd, 4096) if readable else b""
            if not chunk:
                break
            data += chunk
        return data

    def stderr_tail(self) -> str:
        """The tail of the server's stderr, for failure messages."""
        return self.launched.log_tail() or "(stderr unavailable)"

    def rss_bytes(self) -> int:
        """Resident set size of the server process (VmRSS in /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise ServerError("no VmRSS in /proc status")

    def fd_count(self) -> int:
        """Open file descriptors of the server process."""
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def connection_fds(self) -> int:
        """Open descriptors of the server that are TCP connections (not listening sockets)."""
        inodes = set()
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                link = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except OSError:
                continue  # closed while listing
            if link.startswith("socket:["):
                inodes.add(link[len("socket:[") : -1])
        connected = 0
        for table in ("tcp", "tcp6"):
            for line in Path(f"/proc/{self.pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes and fields[3] != _TCP_LISTEN:
                    connected += 1
        return connected

    def fd_targets(self) -> list[str]:
        """What each open descriptor points at (for failure messages)."""
        out = []
        for fd in sorted(os.listdir(f"/proc/{self.pid}/fd"), key=int):
            try:
                out.append(f"{fd} -> {os.readlink(f'/proc/{self.pid}/fd/{fd}')}")
            except OSError:
                continue  # closed while listing
        return out


ServeFactory = Callable[..., Server]
"""The `serve` fixture: `serve("--max-inflight", "1")` starts the test's target, stopped at
teardown."""


def _ready_record(line: bytes, rest: bytes) -> dict[str, Any]:
    if rest:
        raise ServerError(f"more than one line on stdout: {line!r}, then {rest!r}")
    ready = json.loads(line)
    if not isinstance(ready, dict):
        raise ServerError(f"ready line is not a JSON object: {line!r}")
    return ready
