# Locust processes as children of `netmodels locust`: one standalone process, or a master and its
# workers. They share one process group of their own, led by the first one started: a Ctrl-C at
# the terminal reaches only netmodels, which then stops them in order, and `stop` ends every one
# of them with one signal to the group. Should netmodels itself be killed, the kernel kills each
# of them (`harness.process.lifetime.die_with_parent`).
#
# Rules of this file: every wait has a deadline; `stop` always leaves no process behind and may
# be called any number of times; the processes are started from the main thread (the kernel's
# "parent" of a child is the thread that forked it) and pinned to the driver's CPUs at once.
"""`Fleet`: start Locust processes, watch them, stop them all."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.process import Closing, die_with_parent, pin_process

STOP_TIMEOUT = 5.0
"""Seconds Locust processes get after SIGTERM (they write their statistics) before SIGKILL."""

POLL_INTERVAL = 0.1
"""Seconds between two looks at the processes while waiting for them (a bounded wait)."""


class FleetError(RuntimeError):
    """A Locust process failed; the message carries the tail of its log."""


@dataclass(frozen=True, slots=True)
class Member:
    """One Locust process: its role (`standalone`, `master`, `worker-1`, ...), process, log."""

    role: str
    process: subprocess.Popen[bytes]
    log: Path


class Fleet(Closing):
    """Locust processes in one process group; a context manager that always stops them.

    Args:
        log_dir: where each process's stdout and stderr go (`<role>.log`).
        cpus: the CPUs to pin them to (empty: not pinned).
        env: their environment (None: this process's).
    """

    def __init__(
        self, log_dir: Path, cpus: tuple[int, ...] = (), env: dict[str, str] | None = None
    ) -> None:
        self.log_dir = log_dir
        self.cpus = cpus
        self.env = env
        self.members: list[Member] = []
        self._group: int | None = None

    def start(self, role: str, locust_args: list[str]) -> Member:
        """Start `python -m locust <locust_args>` as `role`.

        Raises:
            OSError: it could not be started.
        """
        log = self.log_dir / f"{role}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "locust", *locust_args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                process_group=0 if self._group is None else self._group,
                # SIGKILL, not SIGTERM: Locust's SIGTERM handler can hang in its shutdown (seen
                # with 2.47: "failed with SystemExit", the process lives on), and nothing of a
                # run whose netmodels died is kept anyway. die_with_parent takes no lock between
                # fork and exec, so the sampler thread cannot block it.
                preexec_fn=functools.partial(  # noqa: PLW1509
                    die_with_parent, os.getpid(), signal.SIGKILL
                ),
            )
        if self._group is None:
            self._group = process.pid
        with contextlib.suppress(ProcessLookupError):  # pinned, unless it died already
            pin_process(process.pid, self.cpus)
        member = Member(role, process, log)
        self.members.append(member)
        return member

    @property
    def pids(self) -> list[int]:
        """The pids of every process started."""
        return [m.process.pid for m in self.members]

    def wait(self, lead: Member, deadline: float) -> int:
        """Wait until `lead` (the master or the standalone process) exits, then for the rest.

        Returns:
            The lead's exit status.

        Raises:
            FleetError: another process failed first (a worker died), or the deadline
                (`time.monotonic()`) passed.
        """
        while (status := lead.process.poll()) is None:
            for member in self.members:
                # A worker ends with status 0 when its master tells it to quit, which the master
                # does just before it ends itself; any other end is a worker that died.
                if member is not lead and member.process.poll() not in (None, 0):
                    raise FleetError(
                        f"locust {member.role} exited with status {member.process.returncode} "
                        f"during the run{self.log_tail(member)}"
                    )
            if time.monotonic() > deadline:
                raise FleetError(f"locust {lead.role} did not finish in time{self.log_tail(lead)}")
            time.sleep(POLL_INTERVAL)
        # The master tells its workers to quit as it ends: give them the time it takes.
        rest = [m.process for m in self.members if m is not lead]
        end = time.monotonic() + STOP_TIMEOUT
        while any(p.poll() is None for p in rest) and time.monotonic() < end:
            time.sleep(POLL_INTERVAL)
        return status

    def stop(self) -> None:
        """SIGTERM every process still running, wait up to `STOP_TIMEOUT`, then SIGKILL the
        group. Idempotent."""
        running = [m.process for m in self.members if m.process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        end = time.monotonic() + STOP_TIMEOUT
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.0, end - time.monotonic()))
        if self._group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._group, signal.SIGKILL)
        for member in self.members:
            with contextlib.suppress(subprocess.TimeoutExpired):
                member.process.wait(timeout=STOP_TIMEOUT)

    def log_tail(self, member: Member, limit: int = 1500) -> str:
        """The last `limit` bytes of a process's log, as a suffix for error messages."""
        try:
            data = member.log.read_bytes()[-limit:]
        except OSError:
            return ""
        text = data.decode("utf-8", "replace").strip()
        return f"\n--- locust {member.role} log ---\n{text}" if text else ""

    def logs(self) -> str:
        """Every process's whole log, one after another (for the CPU-warning check)."""
        parts = []
        for member in self.members:
            with contextlib.suppress(OSError):
                parts.append(member.log.read_text("utf-8", "replace"))
        return "\n".join(parts)

    def close(self) -> None:
        """`stop` (for `with`)."""
        self.stop()
