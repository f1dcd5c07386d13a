# Server and driver on disjoint CPUs, so the load generator never steals cycles from the server
# it measures (and the other way round). The plan is recorded in every run's manifest.
"""`CpuPlan` (which CPUs the server and the driver get) and pinning helpers."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CpuPlan:
    """CPUs for the server and for the driver; an empty tuple means "not pinned"."""

    server: tuple[int, ...]
    driver: tuple[int, ...]

    @classmethod
    def default(cls, *, external_server: bool = False) -> CpuPlan:
        """Server on the first CPU this process may use, the driver on the rest.

        With one CPU, both share it (and the run says so through `shared`). With an external
        server (`--target`), the driver gets every CPU.
        """
        cpus = tuple(sorted(os.sched_getaffinity(0)))
        if external_server:
            return cls((), cpus)
        if len(cpus) == 1:
            return cls(cpus, cpus)
        return cls(cpus[:1], cpus[1:])

    @classmethod
    def parse(cls, server: str | None, driver: str | None, *, external_server: bool) -> CpuPlan:
        """The default plan with either side replaced by a CPU list like `0` or `1-3,5`."""
        plan = cls.default(external_server=external_server)
        return cls(
            parse_cpus(server) if server is not None else plan.server,
            parse_cpus(driver) if driver is not None else plan.driver,
        )

    @property
    def shared(self) -> bool:
        """True if server and driver compete for a CPU (their numbers then mean less)."""
        return bool(set(self.server) & set(self.driver))

    def describe(self) -> dict[str, object]:
        """The plan as recorded in a manifest."""
        return {"server": list(self.server), "driver": list(self.driver), "shared": self.shared}


def parse_cpus(text: str) -> tuple[int, ...]:
    """`0`, `1-3,5` -> (0,), (1, 2, 3, 5); an empty string means not pinned.

    Raises:
        ValueError: a malformed list.
    """
    cpus: set[int] = set()
    for part in filter(None, text.replace(" ", "").split(",")):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(f"bad CPU list {text!r}")
        cpus.update(range(int(low), int(high or low) + 1))
    return tuple(sorted(cpus))


def pin_process(pid: int, cpus: tuple[int, ...]) -> None:
    """Pin process `pid` (0 = this one) to `cpus`; threads it starts later inherit the mask."""
    if cpus:
        os.sched_setaffinity(pid, cpus)


def pin_threads(pid: int, cpus: tuple[int, ...]) -> None:
    """Pin every thread that process `pid` has now (threads started before `pin_process`)."""
    if not cpus:
        return
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return
    for tid in tids:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the thread ended
            os.sched_setaffinity(int(tid), cpus)
