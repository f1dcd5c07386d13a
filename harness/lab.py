# The lecture notebooks' helper: what a live demo needs, each in one call. Rules of this file:
# no mechanism of its own - servers are `ServerProcess`es, a trial is `run_trial` into a run
# directory read back with `Run.load`, as `netmodels bench` does. Every server and socket is
# released by the `with` or `finally` that opened it, also on KeyboardInterrupt ("interrupt
# kernel"); every load is on loopback and bounded in time.
"""Helpers for the lecture notebooks: `server`, `idle_connections`, `bench`, `slow_readers`,
`wait_costs`, `reference`, `source`. `NETMODELS_QUICK=1` makes the live demos shorter."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import ipaddress
import os
import resource
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any, cast, get_args

import pandas as pd  # type: ignore[import-untyped]

from harness import selector_wait
from harness.analysis import backpressure as e4
from harness.analysis.run import Run
from harness.process import FDS_RESERVED, CpuPlan, pin_process, raise_open_file_limit
from harness.profile import Cell, Mode, Protocol, Workload
from harness.results import REPO_RESULTS, RunDirectory
from harness.results import manifest as manifest_io
from harness.runner import ServerProcess
from harness.trial import Setup, run_trial

QUICK: bool = os.environ.get("NETMODELS_QUICK") == "1"
"""True under `NETMODELS_QUICK=1` (CI, the notebook tests): the live demos run shorter."""

REFERENCE: Path = (REPO_RESULTS if REPO_RESULTS.is_dir() else Path("results")) / "reference"
"""The reference run the notebooks plot by default (`netmodels sweep lecture`)."""

DRIVERS_REFERENCE: Path = REFERENCE.with_name("reference-drivers")
"""The reference run of the drivers comparison (E10), for a reference run made before E10
existed: `netmodels sweep lecture --impl bare` (E9's and E10's cells)."""

DRAIN = 1.0
"""Seconds a notebook's trial waits for answers outstanding at its end (a sweep waits 2)."""

CONNECT_TIMEOUT = 5.0
"""Seconds one idle connection may take to connect (a full accept backlog delays it)."""


def with_experiment(run: Run, key: str, fallback: Path) -> Run:
    """`run` if it has experiment `key`, else the run at `fallback` when that one has it (a
    reference run older than the experiment); else `run` (its figure then says it is empty)."""
    from harness.experiments import BY_KEY

    if BY_KEY[key].present(run) or not (fallback / "manifest.json").is_file():
        return run
    other = Run.load(fallback)
    return other if BY_KEY[key].present(other) else run


def reference(path: str | Path | None = None) -> Run:
    """The run the notebooks plot: `path`, else `$NETMODELS_RUN`, else `REFERENCE`; a
    FileNotFoundError when there is no run (no manifest.json) there."""
    where = Path(path or os.environ.get("NETMODELS_RUN") or REFERENCE)
    if not (where / "manifest.json").is_file():
        raise FileNotFoundError(
            f"no run at {where} (no manifest.json): pass a run directory, set "
            "NETMODELS_RUN=path, or make one with `netmodels sweep lecture`"
        )
    return Run.load(where)


@dataclass(frozen=True)
class Server:
    """A running server: where it listens, its /metrics endpoint (`host:port`, None for a
    target without one) and its pid."""

    impl: str
    host: str
    port: int
    admin: str | None
    pid: int


def _options(options: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """`serve` options as the runner passes them; True/False become on/off."""
    text = {
        k: str(v) if not isinstance(v, bool) else "on" if v else "off" for k, v in options.items()
    }
    return tuple(sorted(text.items()))


@contextlib.contextmanager
def server(
    impl: str = "eventloop", *, protocol: str = "http", pin: bool = True, **options: object
) -> Iterator[Server]:
    """Run `netmodels serve --impl IMPL` (or a target: "stall", "bare", ...) for a `with` block.

    Args:
        impl, protocol: what to serve (`netmodels impls` lists the impls).
        pin: pin the server to the first CPU, when there are at least two.
        options: `netmodels serve` options, e.g. `backpressure="off"`, `offload="thread"`,
            `selector="poll"`, `max_inflight=32` (True/False mean on/off).

    Yields:
        The running server, stopped when the block ends however it ends (ServerError, with
        its log, if it does not start).
    """
    cpus = CpuPlan.default().server if pin and len(os.sched_getaffinity(0)) >= 2 else ()
    with _interrupt_once(), ServerProcess(impl, protocol, _options(options), cpus) as process:
        address = process.start()
        yield Server(impl, address.host, address.port, address.admin, address.pid or 0)


@contextlib.contextmanager
def _interrupt_once() -> Iterator[None]:
    """Inside, the first SIGINT raises KeyboardInterrupt and later ones are ignored, so that a
    second "interrupt kernel" cannot cut short the stop of a server (as `netmodels` does)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def idle_connections(srv: Server, n: int) -> Iterator[int]:
    """Open `n` idle TCP connections to `srv` (loopback only, else ValueError) for a `with`
    block, and close them all when it ends. Opening stops at the first that fails (a server's
    limit; the open-file limit is raised to its hard limit first when `n` needs it).

    Yields:
        How many are open (connected on this side; the server may still be accepting them).
    """
    if srv.host != "localhost" and not ipaddress.ip_address(srv.host).is_loopback:
        raise ValueError(f"{srv.host} is not a loopback address: the notebooks load only loopback")
    if n < 0:
        raise ValueError("n must be >= 0")
    if n + FDS_RESERVED > resource.getrlimit(resource.RLIMIT_NOFILE)[0]:
        raise_open_file_limit()
    with contextlib.ExitStack() as stack:
        opened = 0
        with contextlib.suppress(OSError):
            while opened < n:
                stack.enter_context(socket.create_connection((srv.host, srv.port), CONNECT_TIMEOUT))
                opened += 1
        yield opened


@contextlib.contextmanager
def _trial(cell: Cell) -> Iterator[Run]:
    """Run one trial of `cell` as `netmodels bench` does, into a temporary run directory; yield
    it loaded (the directory is removed after the block)."""
    cpus = CpuPlan.default()
    setup = Setup(cpus=cpus, driver_procs=max(1, len(cpus.driver)), drain=DRAIN)
    with tempfile.TemporaryDirectory(prefix="netmodels-lab-") as tmp:
        meta = manifest_io.collect(["harness.lab", cell.label], setup.describe(), {"name": "lab"})
        run_dir = RunDirectory.create(meta, Path(tmp))
        # The sampler thread this starts runs with the driver, off the server's CPU.
        affinity = os.sched_getaffinity(0)
        pin_process(0, cpus.driver)
        try:
            with _interrupt_once():
                outcome = run_trial("0001", cell, 1, setup, run_dir.histogram_path("0001"))
        finally:
            pin_process(0, tuple(affinity))
        run_dir.commit(outcome.record, outcome.histogram, outcome.timeseries, outcome.kinds)
        run_dir.finish(complete=True)
        if "failed" in outcome.record.flag_list:
            raise RuntimeError(f"{cell.label}: the trial failed: {outcome.record.error_kinds}")
        yield Run.load(run_dir.path)


def bench(
    impl: str = "eventloop",
    *,
    workload: str = "ping",
    protocol: str = "http",
    mode: str = "closed",
    connections: int = 16,
    pipeline: int = 1,
    rate: float | None = None,
    payload: int | None = None,
    idle_connections: int = 0,
    read_rate: int = 0,
    duration: float | None = None,
    warmup: float = 0.5,
    **options: object,
) -> pd.DataFrame:
    """One measured trial as `netmodels bench` runs it (server pinned and sampled, driver
    processes on the other CPUs). The arguments are `bench`'s flags (docs/harness.md), e.g.
    workload "work:5" or "ping@95+work:5@5"; `options` are the server's (`offload="thread"`);
    `duration` is in seconds (default 1.5 under NETMODELS_QUICK, else 4.0).

    Returns:
        The trials.csv row as a one-row DataFrame; its `attrs` hold "kinds" (kinds.csv rows: per
        request kind of a mix), "timeseries" (timeseries.csv rows), "histogram" (the latency
        HdrHistogram, us) and "manifest". `pd.concat` of several results works (drops attrs).
        ValueError for an inconsistent load (open mode without a rate), RuntimeError, with the
        reason, when the trial failed (the server did not start, ...).
    """
    if protocol not in get_args(Protocol) or mode not in get_args(Mode):
        raise ValueError(f"protocol {protocol!r}, mode {mode!r}: expected http|echo, closed|open")
    if protocol == "echo" and workload == "ping":
        workload = "stream"
    cell = Cell(
        impl=impl,
        options=_options(options),
        protocol=cast(Protocol, protocol),
        workload=Workload.parse(workload),
        mode=cast(Mode, mode),
        connections=connections,
        pipeline=pipeline,
        payload=payload if payload is not None else (64 if protocol == "echo" else 0),
        rate=rate,
        duration=duration if duration is not None else (1.5 if QUICK else 4.0),
        warmup=warmup,
        idle_connections=idle_connections,
        read_rate=read_rate,
    )
    with _trial(cell) as run:
        row = run.trials.copy()
        # run_id first: pd.concat compares its frames' attrs key by key, and a unique first key
        # ends that before it reaches the frames (whose `==` has no truth value).
        row.attrs = {
            "run_id": run.manifest["run_id"],
            "manifest": run.manifest,
            "kinds": run.kinds,
            "timeseries": run.timeseries,
            "histogram": run.merged(list(row["histogram"])),
        }
    return row


def slow_readers(
    impl: str = "actor",
    *,
    backpressure: bool,
    seconds: float | None = None,
    connections: int = 8,
    read_rate: int = 1 << 20,
    pipeline: int = 64,
) -> pd.DataFrame:
    """Slow readers (E4, as in the reference run) against `impl`, back-pressure on or off: each
    connection keeps `pipeline` GET /ping outstanding and reads `read_rate` bytes/s, so answers
    pile up in the server unless it pushes back; `seconds` measured (default 2.0 under
    NETMODELS_QUICK, else 5.0). Returns the server's 10 Hz samples: t (s from the start of
    measurement, warm-up negative), rss_mib, buffered_mib (output held; scraped at 2 Hz, NaN
    between), reading_paused (connections not read); attrs["trial"] is the trials.csv row (a
    dict), attrs["manifest"] the run's. Raises RuntimeError if the trial failed."""
    cell = Cell(
        impl=impl,
        options=_options({"backpressure": backpressure}),
        connections=connections,
        pipeline=pipeline,
        duration=seconds if seconds is not None else (2.0 if QUICK else 5.0),
        warmup=0.5,
        read_rate=read_rate,
        experiment=e4.KEY,
    )
    with _trial(cell) as run:
        table = e4.table(run)
        trial = run.trials.iloc[0].to_dict()
    out = table.assign(buffered_mib=table["buffered_out"] / 2**20)
    out = out[["t", "rss_mib", "buffered_mib", "reading_paused"]].reset_index(drop=True)
    out.attrs = {"run_id": run.manifest["run_id"], "trial": trial, "manifest": run.manifest}
    return out


def wait_costs(
    sockets: Sequence[int] = (10, 100, 1000, 4000),
    selectors: Sequence[str] = ("select", "poll", "epoll"),
    waits: int | None = None,
) -> pd.DataFrame:
    """The cost of one select/poll/epoll wait with `sockets` idle sockets registered besides a
    ready one (`harness.selector_wait`; no server), `waits` timed per point (default 50 under
    NETMODELS_QUICK, else 200). Columns selector, sockets, wait_us (median), p10_us, p90_us
    (us), note: why a selector refused (select() past FD_SETSIZE; wait_us is NaN then)."""
    costs = selector_wait.sweep(
        selectors, sockets, waits=waits if waits is not None else (50 if QUICK else 200)
    )
    columns = ["selector", "sockets", "wait_us", "p10_us", "p90_us", "note"]
    return pd.DataFrame([asdict(c) for c in costs], columns=[*columns, "waits"])[columns]


def source(obj: object) -> Any:
    """The source of a function, class or module to show: `IPython.display.Code` (highlighted
    in a notebook) when IPython is importable, else the text."""
    text = inspect.getsource(obj)  # type: ignore[arg-type]
    try:
        display = importlib.import_module("IPython.display")  # optional: the notebooks' kernel
    except ImportError:
        return text
    return display.Code(text, language="python")
