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
import re
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
    idle_connections: connections opened before the run and held idle through it, beside the
        measured ones (what makes a selector's cost per registered socket visible).
    read_rate: slow readers: bytes per second each connection reads (0: as fast as it can);
        they still send as fast as the server takes requests, so unread answers pile up.
    experiment: the experiment the cell belongs to (E1 ... E10), for the report.
    driver: what sends the load: `netmodels` (the harness driver), `wrk` (GET /ping, closed
        loop) or `locust:K` (Locust's master and K workers, one connection per user) - the
        drivers comparison (E10) runs one cell under each, against the same server.
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
    idle_connections: int = 0
    read_rate: int = 0
    experiment: str = ""
    driver: str = "netmodels"

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
        if self.idle_connections < 0 or self.read_rate < 0:
            yield "idle_connections and read_rate must be >= 0"
        if self.read_rate and self.mode != "closed":
            yield "slow readers (read_rate) run in closed mode"
        yield from self._driver_problems()

    def _driver_problems(self) -> Iterable[str]:
        if self.driver == "netmodels":
            return
        if self.driver != "wrk" and not re.fullmatch(r"locust:[1-9]\d*", self.driver):
            yield f"unknown driver {self.driver!r} (known: netmodels, wrk, locust:K)"
            return
        if self.mode != "closed" or self.pipeline != 1 or self.idle_connections or self.read_rate:
            yield f"the {self.driver_name} driver runs closed loop, pipeline 1, no idle or slow"
        if self.driver == "wrk" and (self.protocol != "http" or str(self.workload) != "ping"):
            yield "the wrk driver sends GET /ping only (workload ping)"

    @property
    def driver_name(self) -> str:
        """The `driver` column: `netmodels`, `wrk` or `locust`."""
        return self.driver.partition(":")[0]

    @property
    def driver_workers(self) -> int:
        """Locust's workers (`locust:K`); 0 for the other drivers."""
        name, _, workers = self.driver.partition(":")
        return int(workers) if name == "locust" else 0

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
        if self.idle_connections:
            load += f" +{self.idle_connections} idle"
        if self.read_rate:
            load += f" reading {self.read_rate:,} B/s"
        if self.mode == "open":
            if self.rate is not None:
                load += f" {self.rate:g}/s"
            elif self.rate_fraction is not None:
                load += f" {self.rate_fraction:g}xcap"
        if self.driver != "netmodels":
            load += f" via {self.driver}"
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


def load(name_or_path: str, registered: Sequence[str], targets: Sequence[str] = ()) -> Profile:
    """Read a profile by name or path (see `resolve`) and check it against the registered impls
    (and the other `targets` a matrix may name: the yardstick, the stall target, peers)."""
    path = resolve(name_or_path)
    with path.open("rb") as f:
        data = tomllib.load(f)
    try:
        return from_dict(data, registered, targets)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def from_dict(
    data: Mapping[str, Any], registered: Sequence[str], targets: Sequence[str] = ()
) -> Profile:
    """Build a `Profile` from parsed TOML.

    `impls = ["*"]` means every name in `registered`, with default options; a matrix's own
    `impls` may also name `targets` (servers that are not impls, e.g. `bare`, `stall`, `nginx`).

    Raises:
        ValueError: unknown keys, unknown impls, a cell that does not make sense.
    """
    known_top = {"name", "description", "duration", "warmup", "repetitions", "capacity", "only"}
    unknown = set(data) - known_top - {"impls", "matrix", "probe"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    impls = tuple(_impl_choices(data.get("impls", ["*"]), registered))
    matrices = tuple(data.get("matrix", []))
    if not matrices:
        raise ValueError("a profile needs at least one [[matrix]]")
    own: list[tuple[ImplChoice, ...] | None] = []
    for matrix in matrices:
        stray = set(matrix) - MATRIX_KEYS
        if stray:
            raise ValueError(f"unknown matrix keys {sorted(stray)} (known: {sorted(MATRIX_KEYS)})")
        names = matrix.get("impls")
        own.append(None if names is None else tuple(_impl_choices(names, registered, targets)))
    probes = tuple(_probe(entry) for entry in data.get("probe", []))
    profile = Profile(
        name=str(data.get("name", "unnamed")),
        description=str(data.get("description", "")),
        impls=impls,
        matrices=matrices,
        duration=float(data.get("duration", 10.0)),
        warmup=float(data.get("warmup", 1.0)),
        repetitions=int(data.get("repetitions", 1)),
        capacity=_capacity(data.get("capacity", {})),
        source=dict(data),
        probes=probes,
        matrix_impls=tuple(own),
        only=frozenset(data["only"]) if "only" in data else None,
    )
    if profile.repetitions < 1:
        raise ValueError("repetitions must be >= 1")
    profile.cells()  # validates every cell now, not halfway through a sweep
    return profile


def _capacity(entry: Mapping[str, Any]) -> Capacity:
    values = dict(entry)
    if "ignore_options" in values:
        values["ignore_options"] = tuple(str(o) for o in values["ignore_options"])
    return Capacity(**values)


def _probe(entry: Mapping[str, Any]) -> ProbeSpec:
    stray = set(entry) - {"kind", "experiment", "variants", "params", "waits"}
    if stray:
        raise ValueError(f"unknown probe keys {sorted(stray)}")
    kind = str(entry.get("kind", ""))
    if kind not in PROBE_KINDS:
        raise ValueError(f"unknown probe kind {kind!r} (known: {', '.join(PROBE_KINDS)})")
    probe = ProbeSpec(kind=kind, experiment=str(entry.get("experiment", "")))
    return replace(
        probe,
        variants=tuple(str(v) for v in entry.get("variants", probe.variants)),
        params=tuple(int(p) for p in entry.get("params", probe.params)),
        waits=int(entry.get("waits", probe.waits)),
    )


def _impl_choices(
    entries: Sequence[Any], registered: Sequence[str], targets: Sequence[str] = ()
) -> Iterator[ImplChoice]:
    for entry in entries:
        if entry == "*":
            yield from (ImplChoice(name) for name in registered)
            continue
        if isinstance(entry, str):
            name, options = entry, {}
        else:
            name, options = entry["name"], entry.get("options", {})
        if name not in registered and name not in targets:
            known = ", ".join([*registered, *targets])
            raise ValueError(f"unknown impl {name!r} (known: {known})")
        yield ImplChoice(name, tuple(sorted((str(k), str(v)) for k, v in options.items())))


def _int(text: str, what: str, *, low: int) -> int:
    if not text.isdigit() or int(text) < low:
        raise ValueError(f"{what} must be an integer >= {low}, got {text!r}")
    return int(text)
