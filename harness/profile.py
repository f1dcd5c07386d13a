# What to measure, as data. The first stage of the harness pipeline
# (profile -> runner -> driver -> results -> analysis): a TOML profile becomes frozen dataclasses
# and expands into `Cell`s, one per trial shape. Nothing here starts a process or opens a socket,
# and nothing here imports a later stage.
#
# Rules of this file: a `Cell` says everything a trial needs to know about its load and its server
# (and nothing about CPUs or files); every value a profile may omit has its default here, once;
# a profile that names something unknown is an error with the file's name in it, not a silent skip.
"""Profiles (TOML -> dataclasses), workload specs and the cells of a sweep."""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

Mode = Literal["closed", "open"]
Arrivals = Literal["constant", "poisson"]
Protocol = Literal["http", "echo"]

PROFILES_DIR = Path(__file__).with_name("profiles")

HTTP_KINDS = ("ping", "echo", "bytes", "delay", "work")
"""HTTP request kinds: `GET /ping`, `POST /echo`, `GET /bytes?n=S`, `GET /delay?ms=N`,
`GET /work?ms=N`. `echo` and `bytes` take their size from the cell's payload; `delay` and `work`
take milliseconds as their argument (`delay:10`)."""

STREAM = "stream"
"""The one workload of `--protocol echo`: messages of `payload` bytes, each echoed back whole."""


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One kind of request in a workload, with its share of the requests."""

    kind: str
    arg: int | None = None
    weight: int = 1

    def __str__(self) -> str:
        text = self.kind if self.arg is None else f"{self.kind}:{self.arg}"
        return text if self.weight == 1 else f"{text}@{self.weight}"


@dataclass(frozen=True, slots=True)
class Workload:
    """What requests a trial sends: one kind, or a weighted mix (`ping@95+work:1@5`)."""

    items: tuple[WorkItem, ...]

    @classmethod
    def parse(cls, text: str) -> Workload:
        """Parse `ping`, `delay:10`, `ping@95+work:1@5` or `stream`.

        Raises:
            ValueError: an unknown kind, a missing or stray argument, a weight below 1.
        """
        items = []
        for part in text.replace(" ", "").split("+"):
            body, _, weight_text = part.partition("@")
            kind, sep, arg_text = body.partition(":")
            if kind not in (*HTTP_KINDS, STREAM):
                raise ValueError(f"unknown workload kind {kind!r} in {text!r}")
            needs_arg = kind in ("delay", "work")
            if needs_arg != bool(sep):
                hint = f"{kind}:MS" if needs_arg else kind
                raise ValueError(f"workload {part!r}: write it as {hint}")
            arg = _int(arg_text, f"argument of {part!r}", low=0) if sep else None
            weight = _int(weight_text, f"weight of {part!r}", low=1) if weight_text else 1
            items.append(WorkItem(kind, arg, weight))
        if any(item.kind == STREAM for item in items) and len(items) > 1:
            raise ValueError("`stream` (the echo protocol's workload) cannot be mixed")
        return cls(tuple(items))

    @property
    def is_stream(self) -> bool:
        """True for the TCP echo protocol's workload."""
        return self.items[0].kind == STREAM

    def __str__(self) -> str:
        return "+".join(str(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Cell:
    """One trial shape: which server, what load, for how long.

    options: `netmodels serve` options of the server (`(("loop", "asyncio"),)`), sorted.
    connections: connections across all driver processes.
    pipeline: closed mode: requests each connection keeps outstanding.
    payload: bytes of a `/echo` body, of a `/bytes` answer, or of one TCP echo message.
    rate: open mode: requests per second in total; None until a `rate_fraction` is resolved.
    rate_fraction: open mode: the rate as a fraction of the capacity measured first.
    role: "measure" for a cell of the profile, "capacity" for the closed-loop run that sizes the
        open-loop rates of its group.
    """

    impl: str
    protocol: Protocol = "http"
    workload: Workload = field(default_factory=lambda: Workload.parse("ping"))
    mode: Mode = "closed"
    connections: int = 64
    pipeline: int = 1
    payload: int = 0
    rate: float | None = None
    rate_fraction: float | None = None
    arrivals: Arrivals = "constant"
    duration: float = 10.0
    warmup: float = 1.0
    options: tuple[tuple[str, str], ...] = ()
    role: Literal["measure", "capacity", "probe"] = "measure"

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise ValueError(f"cell {self.label}: " + "; ".join(problems))

    def _problems(self) -> Iterable[str]:
        if self.protocol == "echo" and not self.workload.is_stream:
            yield "the echo protocol's workload is `stream`"
        if self.protocol == "http" and self.workload.is_stream:
            yield "`stream` is the echo protocol's workload; HTTP needs ping, echo, ..."
        if self.protocol == "echo" and self.payload < 1:
            yield "an echo message needs payload >= 1"
        if self.connections < 1 or self.pipeline < 1:
            yield "connections and pipeline must be >= 1"
        if self.duration <= 0 or self.warmup < 0:
            yield "duration must be > 0 and warmup >= 0"
        if self.mode == "open" and self.rate is None and self.rate_fraction is None:
            yield "open mode needs a rate or a rate fraction"
        if self.rate is not None and self.rate <= 0:
            yield "rate must be > 0"

    @property
    def group(self) -> tuple[str, tuple[tuple[str, str], ...], str, str, int]:
        """What a capacity is measured for: server, protocol, workload, payload."""
        return (self.impl, self.options, self.protocol, str(self.workload), self.payload)

    @property
    def options_text(self) -> str:
        """`loop=asyncio;offload=thread` (empty for defaults): the options column of trials."""
        return ";".join(f"{key}={value}" for key, value in self.options)

    @property
    def label(self) -> str:
        """A short human name: `eventloop http ping closed c64`."""
        impl = f"{self.impl}[{self.options_text}]" if self.options else self.impl
        load = f"c{self.connections}"
        if self.pipeline > 1:
            load += f" d{self.pipeline}"
        if self.payload:
            load += f" {self.payload}B"
        if self.mode == "open":
            if self.rate is not None:
                load += f" {self.rate:g}/s"
            elif self.rate_fraction is not None:
                load += f" {self.rate_fraction:g}xcap"
        return f"{impl} {self.protocol} {self.workload} {self.mode} {load}"

    def with_rate(self, capacity: float) -> Cell:
        """This cell with its `rate_fraction` turned into a whole rate (at least 1 request/s)."""
        assert self.rate_fraction is not None
        return replace(self, rate=float(max(1, round(capacity * self.rate_fraction))))


@dataclass(frozen=True, slots=True)
class Capacity:
    """How the capacity of a group is measured before its open-loop cells run."""

    connections: int = 64
    pipeline: int = 1
    duration: float = 2.0
    warmup: float = 0.5


@dataclass(frozen=True, slots=True)
class ImplChoice:
    """One server of a profile: a registered impl and its `netmodels serve` options."""

    name: str
    options: tuple[tuple[str, str], ...] = ()


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

    def cells(self) -> list[Cell]:
        """Every measured cell, in profile order: impls outermost, then each matrix's product."""
        return [
            cell
            for impl in self.impls
            for matrix in self.matrices
            for cell in _expand(matrix, impl, self.duration, self.warmup)
        ]

    def capacity_cells(self) -> list[Cell]:
        """One closed-loop cell per group that has cells with a `rate_fraction`."""
        seen: dict[tuple[object, ...], Cell] = {}
        for cell in self.cells():
            if cell.rate_fraction is not None and cell.group not in seen:
                seen[cell.group] = replace(
                    cell,
                    mode="closed",
                    connections=self.capacity.connections,
                    pipeline=self.capacity.pipeline,
                    rate=None,
                    rate_fraction=None,
                    arrivals="constant",
                    duration=self.capacity.duration,
                    warmup=self.capacity.warmup,
                    role="capacity",
                )
        return list(seen.values())


MATRIX_KEYS = {
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
    for protocol, mode in itertools.product(protocols, modes):
        workloads = matrix.get("workloads", [STREAM if protocol == "echo" else "ping"])
        rates: list[tuple[float | None, float | None]] = [(None, None)]
        if mode == "open":
            rates = [(float(r), None) for r in matrix.get("rates", [])]
            rates += [(None, float(f)) for f in matrix.get("rate_fractions", [])]
        for workload, connections, pipeline, payload, (
            rate,
            fraction,
        ), arrivals in itertools.product(
            workloads,
            matrix.get("connections", [64]),
            matrix.get("pipelines", [1]) if mode == "closed" else [1],
            matrix.get("payloads", [64 if protocol == "echo" else 0]),
            rates,
            matrix.get("arrivals", ["constant"]) if mode == "open" else ["constant"],
        ):
            yield Cell(
                impl=impl.name,
                options=impl.options,
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
            )


def resolve(name_or_path: str) -> Path:
    """The file of a profile: a path to a `.toml` file, or a name in `harness/profiles/`.

    Raises:
        FileNotFoundError: neither exists (the message lists the bundled profiles).
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path
    bundled = PROFILES_DIR / f"{name_or_path}.toml"
    if bundled.is_file():
        return bundled
    known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.toml")))
    raise FileNotFoundError(f"no profile {name_or_path!r} (bundled: {known})")


def load(name_or_path: str, registered: Sequence[str]) -> Profile:
    """Read a profile by name or path (see `resolve`) and check it against the registered impls."""
    path = resolve(name_or_path)
    with path.open("rb") as f:
        data = tomllib.load(f)
    try:
        return from_dict(data, registered)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def from_dict(data: Mapping[str, Any], registered: Sequence[str]) -> Profile:
    """Build a `Profile` from parsed TOML.

    `impls = ["*"]` means every name in `registered`, with default options.

    Raises:
        ValueError: unknown keys, unknown impls, a cell that does not make sense.
    """
    known_top = {"name", "description", "duration", "warmup", "repetitions", "capacity"}
    unknown = set(data) - known_top - {"impls", "matrix"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    impls = tuple(_impl_choices(data.get("impls", ["*"]), registered))
    matrices = tuple(data.get("matrix", []))
    if not matrices:
        raise ValueError("a profile needs at least one [[matrix]]")
    for matrix in matrices:
        stray = set(matrix) - MATRIX_KEYS
        if stray:
            raise ValueError(f"unknown matrix keys {sorted(stray)} (known: {sorted(MATRIX_KEYS)})")
    profile = Profile(
        name=str(data.get("name", "unnamed")),
        description=str(data.get("description", "")),
        impls=impls,
        matrices=matrices,
        duration=float(data.get("duration", 10.0)),
        warmup=float(data.get("warmup", 1.0)),
        repetitions=int(data.get("repetitions", 1)),
        capacity=Capacity(**data.get("capacity", {})),
        source=dict(data),
    )
    if profile.repetitions < 1:
        raise ValueError("repetitions must be >= 1")
    profile.cells()  # validates every cell now, not halfway through a sweep
    return profile


def _impl_choices(entries: Sequence[Any], registered: Sequence[str]) -> Iterator[ImplChoice]:
    for entry in entries:
        if entry == "*":
            yield from (ImplChoice(name) for name in registered)
            continue
        if isinstance(entry, str):
            name, options = entry, {}
        else:
            name, options = entry["name"], entry.get("options", {})
        if name not in registered:
            raise ValueError(f"unknown impl {name!r} (registered: {', '.join(registered)})")
        yield ImplChoice(name, tuple(sorted((str(k), str(v)) for k, v in options.items())))


def _int(text: str, what: str, *, low: int) -> int:
    if not text.isdigit() or int(text) < low:
        raise ValueError(f"{what} must be an integer >= {low}, got {text!r}")
    return int(text)
