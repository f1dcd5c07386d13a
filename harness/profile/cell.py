# One trial shape, as data: the `Cell` every later stage takes (the runner starts its server,
# the driver sends its load, the results record it), and the `Workload` it sends. Nothing here
# starts a process or opens a socket.
#
# Rules of this file: a `Cell` says everything a trial needs to know about its load and its server
# (and nothing about CPUs or files); every value a cell may omit has its default here, once; a
# cell that makes no sense is an error when it is built, not halfway through a sweep.
"""`Cell` (one trial shape) and `Workload` (what requests it sends)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

Mode = Literal["closed", "open"]
Arrivals = Literal["constant", "poisson"]
Protocol = Literal["http", "echo"]

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


def _int(text: str, what: str, *, low: int) -> int:
    if not text.isdigit() or int(text) < low:
        raise ValueError(f"{what} must be an integer >= {low}, got {text!r}")
    return int(text)
