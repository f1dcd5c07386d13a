# The load of one driver process: its connections, the closed or open loop that feeds them, and
# the phases of a run - connect, warm up, measure, drain.
#
# Rules of this file: every phase boundary is a CLOCK_MONOTONIC instant chosen by the parent,
# shared by all driver processes and the server sampler, so their windows line up. Closed mode
# keeps `pipeline` requests outstanding on each connection; open mode sends on the pacer's
# schedule to an idle connection, or pipelines onto a busy one when none is idle (the send is
# never delayed, so the schedule is never throttled; such sends are counted). After the end no
# request is sent; answers still outstanding are awaited up to the drain bound, then counted as
# `unfinished` errors (`unread` for slow readers). Slow readers (closed mode, `read_rate`) do
# not refill on answers: each
# connection writes whenever its transport takes more (`feed`), and reads at its rate
# (driver/slow.py). Idle connections (driver/idle.py) are opened after the measured ones, before
# "ready", and closed after the drain.
"""`Load`: one process's connections, closed/open loop and run phases (its orders and report:
`harness.driver.messages`)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import socket
import time
from collections.abc import Callable
from time import monotonic_ns
from typing import Any, cast

from harness.driver import histogram
from harness.driver.clients import Client, EchoClient, HttpClient
from harness.driver.idle import IdleConnections
from harness.driver.messages import Plan, Report, Times
from harness.driver.pacer import Pacer, schedule
from harness.driver.requests import cycle, kinds
from harness.driver.slow import SlowEchoClient, SlowHttpClient, SlowReader, receive_buffer
from harness.driver.tally import FLUSH_NS, WINDOW_NS, Tally

CONNECT_CONCURRENCY = 200
"""Connections being opened at once: C10K without a SYN flood into the listen backlog."""

CONNECT_TIMEOUT = 10.0
"""Seconds one connection attempt may take."""

RECONNECT_PAUSE = 0.05
"""Seconds before replacing a lost connection, so a server refusing connections is not hammered."""

FEED_WRITES = 16
"""Slow readers: writes of `pipeline` requests one connection makes per turn of the loop while
its transport takes them; then the loop runs other callbacks (reads, timers) before the next."""


class Load:
    """The connections of one driver process and the loop that keeps them busy."""

    def __init__(self, plan: Plan, loop: asyncio.AbstractEventLoop) -> None:
        self.plan = plan
        self.cell = plan.cell
        self.loop = loop
        host = f"[{plan.host}]:{plan.port}" if ":" in plan.host else f"{plan.host}:{plan.port}"
        self.requests = cycle(self.cell.workload, self.cell.payload, host, plan.seed)
        self.single = self.requests[0] if len(self.requests) == 1 else None
        self.kinds = kinds(self.requests)
        self.slow = self.cell.read_rate > 0
        self.refill = self.cell.mode == "closed" and not self.slow
        """Each answer makes room for one more request (closed mode at full speed)."""
        self.address: tuple[int, Any] | None = None
        self.clients: list[Client] = []
        self.idle: list[Client] = []  # open mode: nothing outstanding (not `idle_connections`)
        self.rr = 0
        self.outstanding = 0
        self.sending = False
        self.tally = Tally(0, round(self.cell.duration * 1e9), kinds=len(self.kinds))
        self.times: Times | None = None
        self.connect_errors: dict[str, int] = {}
        self.idle_connections = IdleConnections()
        self._drained = asyncio.Event()

    # -- connecting ---------------------------------------------------------------------------

    def _factory(self) -> Callable[[], Client]:
        if self.cell.protocol == "echo":
            message = self.requests[0].wire
            echo = SlowEchoClient if self.slow else EchoClient
            return lambda: echo(self, message)
        http = SlowHttpClient if self.slow else HttpClient
        return lambda: http(self)

    async def connect(self) -> int:
        """Open this process's connections, then its idle ones; returns how many measured
        connections are open (the idle ones are counted in `idle_connections`)."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        with contextlib.suppress(OSError):  # then every connect fails, and says why
            await self._resolve()

        async def one() -> None:
            async with gate:
                await self._open()

        async def idle() -> None:
            async with gate:
                await self._open_idle()

        await asyncio.gather(*(one() for _ in range(self.plan.connections)))
        self.idle = list(self.clients)
        for client in self.idle:
            client.idle = True
        await asyncio.gather(*(idle() for _ in range(self.plan.idle)))
        return len(self.clients)

    async def _connect(
        self, factory: Callable[[], asyncio.Protocol], receive_buffer: int = 0
    ) -> tuple[asyncio.BaseTransport, asyncio.Protocol]:
        """One connection on a socket of our own: the target is resolved once, not per
        connection (10,000 idle ones), and a receive buffer set before the connect is the one
        the TCP window is negotiated for."""
        family, sockaddr = await self._resolve()
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if receive_buffer:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.setblocking(False)
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await self.loop.sock_connect(sock, sockaddr)
            return await self.loop.create_connection(factory, sock=sock)
        except BaseException:
            sock.close()
            raise

    async def _resolve(self) -> tuple[int, Any]:
        """The target's address family and socket address (looked up once)."""
        if self.address is None:
            infos = await self.loop.getaddrinfo(
                self.plan.host, self.plan.port, type=socket.SOCK_STREAM
            )
            self.address = (infos[0][0], infos[0][4])
        return self.address

    async def _open(self) -> Client | None:
        try:
            transport, protocol = await self._connect(
                self._factory(), receive_buffer(self.cell.read_rate) if self.slow else 0
            )
        except (OSError, TimeoutError) as exc:
            kind = _connect_error(exc)
            self.connect_errors[kind] = self.connect_errors.get(kind, 0) + 1
            return None
        client = cast(Client, protocol)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.clients.append(client)
        return client

    async def _open_idle(self) -> None:
        try:
            await self._connect(self.idle_connections.factory)
        except (OSError, TimeoutError) as exc:
            self.idle_connections.failed(_connect_error(exc))

    # -- running ------------------------------------------------------------------------------

    async def run(self, times: Times) -> Report:
        """Warm up, measure and drain on the shared timeline; returns this process's report."""
        self.times = times
        self.tally = tally = Tally(times.measure, times.end - times.measure, kinds=len(self.kinds))
        await _sleep_until(times.start)
        self.sending = True
        pacer = None
        if self.cell.mode == "closed":
            now = monotonic_ns()
            for client in self.clients:
                self._start(client, now)
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
        idle_open = len(self.idle_connections.held)
        if pacer is not None:
            await pacer.done.wait()
        self._stop()
        try:
            async with asyncio.timeout(max(0.0, (times.drain_until - monotonic_ns()) / 1e9)):
                await self._drained.wait()
        except TimeoutError:
            pass
        unfinished = self.outstanding
        # A slow reader's answers still unread at the end are what it is for, not a failure of
        # the server: they are counted as `unread` (which does not flag the trial `errors`).
        left = "unread" if self.cell.read_rate else "unfinished"
        for client in self.clients:
            for _, slot, request in client.pending:
                tally.fail(slot, left, request=request)
            client.pending.clear()
            if client.transport is not None:
                client.transport.abort()
        self.clients.clear()
        self.idle_connections.close()
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
            idle_open=idle_open,
            idle_errors=dict(self.idle_connections.errors),
            kinds=tally.kind_reports(self.kinds),
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

    def _start(self, client: Client, now: int) -> None:
        """Closed mode: set a connection going - `pipeline` requests, or as many as a slow
        reader's transport takes."""
        if self.slow:
            self.feed(client)
        else:
            self._send(client, self.cell.pipeline, now, self.tally.slot(now))

    def feed(self, client: Client) -> None:
        """Slow readers: send `pipeline` requests at a time while `client`'s transport takes
        them (below its write-buffer bound), yielding to the loop every `FEED_WRITES` writes."""
        assert isinstance(client, SlowReader)
        transport = client.transport
        if not self.sending or self.times is None or transport is None or transport.is_closing():
            return
        now = monotonic_ns()
        if now >= self.times.end:
            return
        slot = self.tally.slot(now)
        for _ in range(FEED_WRITES):
            if not client.writable:
                return
            self._send(client, self.cell.pipeline, now, slot)
        self.loop.call_soon(self.feed, client)

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
            if self.refill:
                now = monotonic_ns()
                if self.times is not None and now < self.times.end:
                    self._send(client, count, now, self.tally.slot(now))
            elif self.cell.mode == "open" and not client.pending and not client.idle:
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
        for _, slot, request in client.pending:
            self.tally.fail(slot, f"connection_{how}", request=request)
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
                self._start(client, monotonic_ns())
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
