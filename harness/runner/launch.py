# Starting a program that says "ready" with one line on stdout - the process contract of
# `netmodels serve` and of every target (docs/service-spec.md) - written once, for the runner's
# `ServerProcess`, the conformance suite's `Server` and `netmodels ping`.
#
# Rules of this file: every wait has a deadline, and the ready deadline is real - stdout is read
# through a selector with the time left, never by a `readline()` that could block past it.
# `stop` leaves no process behind: SIGTERM first (the program finishes in-flight work), then
# SIGKILL to the whole process group (pool workers included). The child runs in its own process
# group, so a Ctrl-C at the terminal reaches only the harness, which then stops the child in
# order; should the harness be killed outright, the kernel sends the child SIGTERM on its behalf
# (`harness.process.lifetime.die_with_parent`, Linux). stderr goes to a temporary file, whose
# tail every error message carries.
"""`Launched`: a child process, its ready line read with a deadline, stopped for sure."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from harness.process import Closing, die_with_parent, pin_process, pin_threads

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0
"""Seconds a program may take to print its ready line (imports, pool warm-up, a loaded box)."""

STOP_TIMEOUT = 10.0
"""Seconds a program may take to exit after SIGTERM before its process group is killed."""


class ServerError(RuntimeError):
    """The program did not start, or died; the message carries the tail of its log."""


class Launched(Closing):
    """One child process that prints a ready line; a context manager that always stops it.

    Args:
        argv: the command line.
        cwd: its working directory (default: this process's).
        env: variables set on top of this process's environment (e.g. PYTHONPATH).
        cpus: CPUs to pin it to, all its threads included (empty: not pinned).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        cpus: tuple[int, ...] = (),
    ) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self.env = dict(env or {})
        self.cpus = cpus
        self.leftover = b""
        """What stdout held after the ready line when it was read."""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def launch(self, timeout: float = READY_TIMEOUT) -> bytes:
        """Start the program and wait for its ready line; returns the line without its newline.

        Raises:
            ServerError: it exited before its ready line, or printed none within `timeout`.
        """
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        log.debug("starting %s (cwd %s)", " ".join(self.argv), self.cwd or ".")
        self._process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env={**os.environ, **self.env} if self.env else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            process_group=0,
            # takes no lock between fork and exec, so the harness's threads cannot block it
            preexec_fn=functools.partial(die_with_parent, os.getpid()),  # noqa: PLW1509
        )
        pin_process(self._process.pid, self.cpus)
        line, self.leftover = self._ready_line(timeout)
        pin_threads(self._process.pid, self.cpus)  # threads started before pin_process took
        return line

    def _ready_line(self, timeout: float) -> tuple[bytes, bytes]:
        process = self.process
        assert process.stdout is not None
        fd = process.stdout.fileno()
        deadline = time.monotonic() + timeout
        data = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in data:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    if time.monotonic() < deadline:
                        continue  # woken early (a signal): wait out the time left
                    raise ServerError(
                        f"no ready line within {timeout:g} s (stdout so far: {data!r})"
                        f"{self.log_tail()}"
                    )
                chunk = os.read(fd, 4096)
                if not chunk:
                    status = process.wait(timeout=STOP_TIMEOUT)
                    raise ServerError(
                        f"exited with status {status} before its ready line{self.log_tail()}"
                    )
                data += chunk
        line, _, rest = data.partition(b"\n")
        return line.rstrip(b"\r"), rest

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The child process (after `launch`).

        Raises:
            ServerError: not started, or stopped.
        """
        if self._process is None:
            raise ServerError("not started")
        return self._process

    @property
    def running(self) -> bool:
        """True while the process has not exited."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self._process.pid if self._process is not None else None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait up to `timeout`, then SIGKILL the process group. Idempotent.

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
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    kill_group(process.pid)
                    process.wait()
            kill_group(process.pid)  # whatever the program left behind (pool workers)
            return process.returncode
        finally:
            if process.stdout is not None:
                process.stdout.close()

    def log_tail(self, limit: int = 2000) -> str:
        """The last `limit` bytes of the program's stderr, as a suffix for error messages."""
        if self._log is None or self._log.closed:
            return ""
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - limit))
        text = self._log.read().decode("utf-8", "replace").strip()
        return f"\n--- server log ---\n{text}" if text else ""

    def close(self) -> None:
        """Stop the program and drop its log."""
        try:
            self.stop()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None


def kill_group(pgid: int) -> None:
    """SIGKILL process group `pgid`, if anything of it is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
