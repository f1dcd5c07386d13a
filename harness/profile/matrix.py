# A profile as data: servers x load matrices, run `repetitions` times, and their expansion into
# the `Cell`s of a sweep (with the capacity cells that size the open-loop rates). Reading and
# checking the TOML is harness/profile/read.py.
#
# Rules of this file: pure data and pure functions, no file read; every value a matrix may omit
# has its default here, once; cells come out in profile order (servers outermost).
"""`Profile` (a sweep) with its `cells()`, and its parts: `ImplChoice`, `Capacity`, `ProbeSpec`."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from harness.profile.cell import STREAM, Cell, Workload


@dataclass(frozen=True, slots=True)
class Capacity:
    """How the capacity of a group is measured before its open-loop cells run."""

    connections: int = 64
    pipeline: int = 1
    duration: float = 2.0
    warmup: float = 0.5
    ignore_options: tuple[str, ...] = ()
    """Server options that do not change capacity as the profile means it: cells that differ only
    in these share one capacity trial, run without them (admission limits: an overload sweep with
    and without `max_inflight` must offer the same rates to both)."""

    def group(self, cell: Cell) -> tuple[object, ...]:
        """The capacity group of `cell`: its `Cell.group` less the ignored options."""
        impl, options, *rest = cell.group
        kept = tuple(kv for kv in options if kv[0] not in self.ignore_options)
        return (impl, kept, *rest)


@dataclass(frozen=True, slots=True)
class ImplChoice:
    """One server of a profile: a registered impl and its `netmodels serve` options."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    def with_options(self, extra: Mapping[str, Any]) -> ImplChoice:
        """This server with `extra` options laid over its own."""
        merged = dict(self.options) | {str(k): str(v) for k, v in extra.items()}
        return ImplChoice(self.name, tuple(sorted(merged.items())))


PROBE_KINDS = ("selector_wait",)
"""Measurements a profile may ask for that are not load trials (`[[probe]]` tables)."""


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """A `[[probe]]` of a profile: one wait of each selector, timed against registered sockets.

    kind: what to measure (`PROBE_KINDS`).
    variants: the selectors to time; params: the socket counts; waits: waits timed per point.
    """

    kind: str
    experiment: str = ""
    variants: tuple[str, ...] = ("select", "poll", "epoll")
    params: tuple[int, ...] = (10, 100, 1000, 4000)
    waits: int = 200


@dataclass(frozen=True, slots=True)
class Profile:
    """A sweep: servers x load matrices, run `repetitions` times, interleaved.

    source: the parsed TOML, kept verbatim for the run manifest.
    """

    name: str
    description: str
    impls: tuple[ImplChoice, ...]
    matrices: tuple[Mapping[str, Any], ...]
    duration: float = 10.0
    warmup: float = 1.0
    repetitions: int = 1
    capacity: Capacity = Capacity()
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)
    probes: tuple[ProbeSpec, ...] = ()
    matrix_impls: tuple[tuple[ImplChoice, ...] | None, ...] = ()
    """Per matrix: its own servers (a matrix's `impls`), or None for the profile's."""
    only: frozenset[str] | None = None
    """Run only these impls (`netmodels sweep --impl`); None for all."""

    def servers(self) -> list[ImplChoice]:
        """Every server of the profile: its impls, then those only a matrix names, in order."""
        seen = dict.fromkeys(self.impls)
        for choices in self.matrix_impls:
            seen.update(dict.fromkeys(choices or ()))
        return [s for s in seen if self.only is None or s.name in self.only]

    def cells(self) -> list[Cell]:
        """Every measured cell, in profile order: servers outermost, then each matrix's product
        (a matrix with its own `impls` contributes only for those)."""
        cells: list[Cell] = []
        for impl in self.servers():
            for n, matrix in enumerate(self.matrices):
                own = self.matrix_impls[n] if n < len(self.matrix_impls) else None
                if impl in (self.impls if own is None else own):
                    cells.extend(_expand(matrix, impl, self.duration, self.warmup))
        return cells

    def capacity_cells(self) -> list[Cell]:
        """One closed-loop cell per group that has cells with a `rate_fraction`."""
        seen: dict[tuple[object, ...], Cell] = {}
        for cell in self.cells():
            group = self.capacity.group(cell)
            if cell.rate_fraction is not None and group not in seen:
                seen[group] = replace(
                    cell,
                    options=group[1],  # type: ignore[arg-type]
                    idle_connections=0,
                    read_rate=0,
                    mode="closed",
                    connections=self.capacity.connections,
                    pipeline=self.capacity.pipeline,
                    rate=None,
                    rate_fraction=None,
                    arrivals="constant",
                    duration=self.capacity.duration,
                    warmup=self.capacity.warmup,
                    role="capacity",
                    driver="netmodels",
                )
        return list(seen.values())


MATRIX_KEYS = {
    "experiment",
    "impls",
    "drivers",
    "options",
    "idle_connections",
    "read_rates",
    "protocols",
    "workloads",
    "modes",
    "connections",
    "pipelines",
    "payloads",
    "rates",
    "rate_fractions",
    "arrivals",
    "duration",
    "warmup",
}


def _expand(
    matrix: Mapping[str, Any], impl: ImplChoice, duration: float, warmup: float
) -> Iterator[Cell]:
    protocols = matrix.get("protocols", ["http"])
    modes = matrix.get("modes", ["closed"])
    for extra, protocol, mode in itertools.product(matrix.get("options", [{}]), protocols, modes):
        server = impl.with_options(extra)
        workloads = matrix.get("workloads", [STREAM if protocol == "echo" else "ping"])
        rates: list[tuple[float | None, float | None]] = [(None, None)]
        if mode == "open":
            rates = [(float(r), None) for r in matrix.get("rates", [])]
            rates += [(None, float(f)) for f in matrix.get("rate_fractions", [])]
        for workload, connections, pipeline, payload, (
            rate,
            fraction,
        ), arrivals, idle, read_rate, driver in itertools.product(
            workloads,
            matrix.get("connections", [64]),
            matrix.get("pipelines", [1]) if mode == "closed" else [1],
            matrix.get("payloads", [64 if protocol == "echo" else 0]),
            rates,
            matrix.get("arrivals", ["constant"]) if mode == "open" else ["constant"],
            matrix.get("idle_connections", [0]),
            matrix.get("read_rates", [0]),
            matrix.get("drivers", ["netmodels"]),
        ):
            yield Cell(
                impl=server.name,
                options=server.options,
                idle_connections=int(idle),
                read_rate=int(read_rate),
                experiment=str(matrix.get("experiment", "")),
                protocol=protocol,
                workload=Workload.parse(workload),
                mode=mode,
                connections=int(connections),
                pipeline=int(pipeline),
                payload=int(payload),
                rate=rate,
                rate_fraction=fraction,
                arrivals=arrivals,
                duration=float(matrix.get("duration", duration)),
                warmup=float(matrix.get("warmup", warmup)),
                driver=str(driver),
            )
