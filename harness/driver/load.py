# The load of one driver process: its connections, the closed or open loop that feeds them, and
# the phases of a run - connect, warm up, measure, drain.
#
# Rules of this file: every phase boundary is a CLOCK_MONOTONIC instant chosen by the parent,
# shared by all driver processes and the server sampler, so their windows line up. Closed mode
# keeps `pipeline` requests outstanding on each connection; open mode sends on the pacer's
# schedule to an idle connection, or pipelines onto a busy one when none is idle (the send is
# never delayed, so the schedule is never throttled; such sends are counted). After the end no
# request is sent; answers still outstanding are awaited up to the drain bound, then counted as
# `unfinished` errors.
"""`Load`: one process's connections, closed/open loop and run phases."""

from __future__ import annotations

import asyncio
import errno
import itertools
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic_ns

from harness.profile import Cell

from . import histogram
from .clients import Client, EchoClient, HttpClient
from .pacer import Pacer, schedule
from .requests import cycle
from .tally import FLUSH_NS, WINDOW_NS, Tally, WindowReport

CONNECT_CONCURRENCY = 200
"""Connections being opened at once: C10K without a SYN flood into the listen backlog."""

CONNECT_TIMEOUT = 10.0
"""Seconds one connection attempt may take."""

RECONNECT_PAUSE = 0.05
"""Seconds before replacing a lost connection, so a server refusing connections is not hammered."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What one driver process does: its share of a cell's load against one target.

    index, procs: this process's number among `procs` driver processes.
    connections: this process's connections.
    rate: this process's share of the open-loop rate (the schedule interleaves processes).
    cpus: CPUs to pin this process to (empty: not pinned).
    """

    cell: Cell
    host: str
    port: int
    index: int = 0
    procs: int = 1
    connections: int = 1
    cpus: tuple[int, ...] = ()
    drain: float = 2.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Times:
    """The run's phase boundaries (CLOCK_MONOTONIC ns): warm-up from `start`, measurement from
    `measure` to `end`, then at most `drain_until` to collect outstanding answers."""

    start: int
    measure: int
    end: int
    drain_until: int

    @classmethod
    def plan(cls, start_ns: int, cell: Cell, drain: float) -> Times:
        measure = start_ns + round(cell.warmup * 1e9)
        end = measure + round(cell.duration * 1e9)
        return cls(start_ns, measure, end, end + round(drain * 1e9))


@dataclass(frozen=True, slots=True)
class Report:
    """What one driver process sends back to the parent (picklable)."""

    index: int
    connections: int
    windows: list[WindowReport]
    slip: str  # encoded HDR histogram of schedule slip (open mode), microseconds
    errors: dict[str, int]
    warmup_errors: dict[str, int]
    warmup_ok: int
    warmup_sent: int
    sent_total: int
    ok_total: int
    unfinished: int
    scheduled: int
    pipelined_sends: int
    reconnects: int
    cpu_s: float
    wait_s: float | None  # runnable but not running (another process had the CPU)


class Load:
    """The connections of one driver process and the loop that keeps them busy."""

    def __init__(self, plan: Plan, loop: asyncio.AbstractEventLoop) -> None:
        self.plan = plan
        self.cell = plan.cell
        self.loop = loop
        host = f"[{plan.host}]:{plan.port}" if ":" in plan.host else f"{plan.host}:{plan.port}"
        self.requests = cycle(self.cell.workload, self.cell.payload, host, plan.seed)
        self.single = self.requests[0] if len(self.requests) == 1 else None
        self.clients: list[Client] = []
        self.idle: list[Client] = []
        self.rr = 0
        self.outstanding = 0
        self.sending = False
        self.tally = Tally(0, round(self.cell.duration * 1e9))
        self.times: Times | None = None
        self.connect_errors: dict[str, int] = {}
        self._drained = asyncio.Event()

    # -- connecting ---------------------------------------------------------------------------

    def _factory(self) -> Callable[[], Client]:
        if self.cell.protocol == "echo":
            message = self.requests[0].wire
            return lambda: EchoClient(self, message)
        return lambda: HttpClient(self)

    async def connect(self) -> int:
        """Open this process's connections; returns how many are open."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one() -> None:
            async with gate:
                await self._open()

        await asyncio.gather(*(one() for _ in range(self.plan.connections)))
        self.idle = list(self.clients)
        for client in self.idle:
            client.idle = True
        return len(self.clients)

    async def _open(self) -> Client | None:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                transport, client = await self.loop.create_connection(
                    self._factory(), self.plan.host, self.plan.port
                )
        except (OSError, TimeoutError) as exc:
            kind = _connect_error(exc)
            self.connect_errors[kind] = self.connect_errors.get(kind, 0) + 1
            return None
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.clients.append(client)
        return client

    # -- running ------------------------------------------------------------------------------

    async def run(self, times: Times) -> Report:
        """Warm up, measure and drain on the shared timeline; returns this process's report."""
        self.times = times
        self.tally = tally = Tally(times.measure, times.end - times.measure)
        await _sleep_until(times.start)
        self.sending = True
        pacer = None
        if self.cell.mode == "closed":
            now = monotonic_ns()
            for client in self.clients:
                self._send(client, self.cell.pipeline, now, tally.slot(now))
        else:
            assert self.cell.rate is not None
            times_iter = schedule(
                times.start,
                self.cell.rate,
                self.cell.arrivals,
                phase=self.plan.index,
                stride=self.plan.procs,
                seed=self.plan.seed,
            )
            pacer = Pacer(self.loop, times_iter, times.end, self._paced)
            pacer.start()

        cpu, wall, received, waited = await self._windows(times)
        if pacer is not None:
            await pacer.done.wait()
        self._stop()
        try:
            async with asyncio.timeout(max(0.0, (times.drain_until - monotonic_ns()) / 1e9)):
                await self._drained.wait()
        except TimeoutError:
            pass
        unfinished = self.outstanding
        for client in self.clients:
            for _, slot, _ in client.pending:
                tally.fail(slot, "unfinished")
            client.pending.clear()
            if client.transport is not None:
                client.transport.abort()
        self.clients.clear()
        tally.flush()
        measured_cpu = sum(cpu)
        return Report(
            index=self.plan.index,
            connections=self.plan.connections - sum(self.connect_errors.values()),
            windows=tally.report(cpu, wall, received),
            slip=histogram.encode(tally.slip_histogram()),
            errors={**self.connect_errors, **tally.errors},
            warmup_errors=dict(tally.warmup_errors),
            warmup_ok=tally.ok[0],
            warmup_sent=tally.sent[0],
            sent_total=sum(tally.sent),
            ok_total=sum(tally.ok),
            unfinished=unfinished,
            scheduled=tally.scheduled,
            pipelined_sends=tally.pipelined_sends,
            reconnects=tally.reconnects,
            cpu_s=measured_cpu,
            wait_s=waited,
        )

    async def _windows(
        self, times: Times
    ) -> tuple[list[float], list[float], list[int], float | None]:
        """Close each one-second window on time: its CPU, wall time and bytes; flush latencies
        every `FLUSH_NS` in between (small batches: a flush holds up the sends due meanwhile).

        Returns per-window CPU seconds, wall seconds and bytes, and the seconds this process
        waited for a CPU over the whole measurement.
        """
        tally = self.tally
        cpu_at: list[float] = []
        wall_at: list[int] = []
        bytes_at: list[int] = []
        boundaries = [times.measure + k * WINDOW_NS for k in range(tally.windows)] + [times.end]
        waited_at: list[float | None] = []
        for boundary in boundaries:
            while (now := monotonic_ns()) < boundary:
                await _sleep_until(min(boundary, now + FLUSH_NS))
                tally.flush()  # also during warm-up, to keep the lists short
            cpu_at.append(time.process_time())
            wall_at.append(monotonic_ns())
            bytes_at.append(tally.bytes_in)
            waited_at.append(runqueue_wait())
            tally.flush()
        cpu = [b - a for a, b in itertools.pairwise(cpu_at)]
        wall = [(b - a) / 1e9 for a, b in itertools.pairwise(wall_at)]
        received = [b - a for a, b in itertools.pairwise(bytes_at)]
        first, last = waited_at[0], waited_at[-1]
        waited = last - first if first is not None and last is not None else None
        return cpu, wall, received, waited

    def _stop(self) -> None:
        self.sending = False
        if self.outstanding == 0:
            self._drained.set()

    def _send(self, client: Client, count: int, start_ns: int, slot: int) -> None:
        if self.single is not None:
            client.send(self.single, start_ns, slot, count)
        else:
            n = len(self.requests)
            i = client.next_request
            client.send([self.requests[(i + k) % n] for k in range(count)], start_ns, slot, count)
            client.next_request = (i + count) % n
        self.tally.sent[slot] += count
        self.outstanding += count

    def _paced(self, intended_ns: int, now_ns: int) -> None:
        """Open loop: one request meant for `intended_ns`, sent now to an idle connection."""
        slot = self.tally.slot(intended_ns)
        if slot:
            self.tally.scheduled += 1
        if self.idle:
            client = self.idle.pop()
            client.idle = False
        elif self.clients:
            self.tally.pipelined_sends += 1
            self.rr = (self.rr + 1) % len(self.clients)
            client = self.clients[self.rr]
        else:
            self.tally.fail(slot, "no_connection")
            return
        self._send(client, 1, intended_ns, slot)
        self.tally.slips[slot].append(now_ns - intended_ns)

    # -- callbacks from the clients -----------------------------------------------------------

    def completed(self, client: Client, count: int) -> None:
        """`count` answers (right or wrong) arrived on `client`."""
        self.outstanding -= count
        if self.sending:
            if self.cell.mode == "closed":
                now = monotonic_ns()
                if self.times is not None and now < self.times.end:
                    self._send(client, count, now, self.tally.slot(now))
            elif not client.pending and not client.idle:
                client.idle = True
                self.idle.append(client)
        elif self.outstanding <= 0:
            self._drained.set()

    def lost(self, client: Client, how: str) -> None:
        """`client`'s connection closed: its outstanding requests failed; replace it if running."""
        if client in self.clients:
            self.clients.remove(client)
        if client.idle:
            self.idle.remove(client)
            client.idle = False
        for _, slot, _ in client.pending:
            self.tally.fail(slot, f"connection_{how}")
        self.outstanding -= len(client.pending)
        client.pending.clear()
        if self.sending:
            self.tally.reconnects += 1
            self.loop.call_later(RECONNECT_PAUSE, self._replace)
        elif self.outstanding <= 0:
            self._drained.set()

    def _replace(self) -> None:
        if not self.sending:
            return

        async def reopen() -> None:
            client = await self._open()
            if client is None or not self.sending:
                return
            if self.cell.mode == "closed":
                now = monotonic_ns()
                self._send(client, self.cell.pipeline, now, self.tally.slot(now))
            else:
                client.idle = True
                self.idle.append(client)

        self.loop.create_task(reopen())


def runqueue_wait() -> float | None:
    """Seconds this process has waited, runnable, for a CPU (Linux schedstat; None elsewhere).

    On a machine shared with other work, this is what makes a driver late although its own CPU
    use is low - the reason the results record it beside the driver's CPU.
    """
    try:
        with open("/proc/self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


async def _sleep_until(t_ns: int) -> None:
    delay = (t_ns - monotonic_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


def _connect_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "connect_timeout"
    if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
        return "fd_limit"
    if isinstance(exc, ConnectionRefusedError):
        return "connect_refused"
    return "connect_error"
