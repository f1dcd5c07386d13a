# `netmodels serve --impl function`: the service contract as one stack of filters and services.
#
# Rules of this file: it only *assembles* - a codec, a stack, a loop - from ServerConfig; every
# behaviour lives in a filter or service of its own. The HTTP stack, outermost first:
#
#     StatsFilter          count and time every request (the admin metrics)
#  >> TracingFilter        a trace id per request, for the upstream and debug logs (with
#                          --upstream or -v; elsewhere nobody would read the ids)
#  >> ExceptionFilter      failures -> 503 / 504 / 502 / 500 responses
#  >> TimeoutFilter        --timeout-ms (when set): interrupt, then 504
#  >> ConcurrencyLimit     --max-inflight / --max-waiters (when set): 503 + Retry-After at once
#  >> backend              the routes: OffloadFilter >> ROUTES (/delay awaits a timer)
#                          or, with --upstream, a client: TraceForward >> Retry >> HttpClient
#
# The echo protocol runs StatsFilter >> (ECHO, or an EchoClient with retries).
"""Registry entry point `serve(config, ready)` and the stacks it runs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
from collections.abc import Callable
from concurrent.futures import Executor

from impls import offload
from impls.aioserver import new_loop
from impls.config import ServerConfig
from impls.contract import Listening
from impls.function._client import EchoClient, HttpClient, parse_address
from impls.function._filter import SimpleFilter
from impls.function._routes import ECHO, ROUTES
from impls.function._server import FunctionServer
from impls.function._server import serve as serve_service
from impls.function._service import Service
from impls.function.filters import (
    ConcurrencyLimitFilter,
    ExceptionFilter,
    OffloadFilter,
    RetryBudget,
    RetryFilter,
    StatsFilter,
    TimeoutFilter,
    TraceForwardFilter,
    TracingFilter,
    tracing,
)
from impls.protocol import (
    EchoConnection,
    EchoData,
    HttpConnection,
    Request,
    Response,
    ResponseEncoder,
)
from impls.stats import Counters, ServerStatistics

log = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True)
class HttpStack:
    """The HTTP service of a config, and the filters whose figures the metrics report."""

    service: Service[Request, Response]
    stats: StatsFilter[Request, Response]
    limiter: ConcurrencyLimitFilter[Request, Response] | None


def http_stack(config: ServerConfig, counters: Counters, pool: Executor | None) -> HttpStack:
    """Build the HTTP stack described at the top of this file."""
    backend: Service[Request, Response]
    if config.upstream is not None:
        client = HttpClient(
            parse_address(config.upstream),
            receive_size=config.receive_size,
            max_header_bytes=config.max_header_bytes,
        )
        backend = TraceForwardFilter() >> RetryFilter[Request, Response](RetryBudget()) >> client
    else:
        backend = OffloadFilter(pool) >> ROUTES
    stats = StatsFilter[Request, Response](counters)
    filters: list[SimpleFilter[Request, Response]] = [stats]
    if config.upstream is not None or tracing.log.isEnabledFor(logging.DEBUG):
        filters.append(TracingFilter())  # only where the ids go somewhere: upstream, or logs
    filters.append(ExceptionFilter())
    if config.timeout_ms:
        filters.append(TimeoutFilter(config.timeout_ms / 1000))
    limiter: ConcurrencyLimitFilter[Request, Response] | None = None
    if config.max_inflight:
        limiter = ConcurrencyLimitFilter(config.max_inflight, config.max_waiters)
        filters.append(limiter)
    service = backend
    for outer in reversed(filters):
        service = outer >> service
    return HttpStack(service, stats, limiter)


def echo_stack(config: ServerConfig, counters: Counters) -> Service[EchoData, EchoData]:
    """StatsFilter >> the echo service (or, with --upstream, an echo client with retries)."""
    backend: Service[EchoData, EchoData] = ECHO
    if config.upstream is not None:
        client = EchoClient(parse_address(config.upstream))
        backend = RetryFilter[EchoData, EchoData](RetryBudget()) >> client
    return StatsFilter[EchoData, EchoData](counters) >> backend


async def run(
    config: ServerConfig, ready: Callable[[Listening], None], pool: Executor | None
) -> None:
    """Serve `config` on the running loop until SIGINT/SIGTERM, then stop gracefully."""
    counters = Counters(("overload", "max_connections"), loop=True)
    counted = None if pool is None else offload.CountedPool(pool)  # the `offload` queue
    encoder = ResponseEncoder(config.server_name)
    server: FunctionServer[Request, Response] | FunctionServer[EchoData, EchoData]
    service: Service[EchoData, EchoData] | Service[Request, Response]
    limiter = None
    if config.protocol == "echo":
        echo = service = echo_stack(config, counters)
        server = await serve_service(
            lambda: EchoConnection(config), echo, config, counters=counters
        )
    else:
        stack = http_stack(config, counters, counted)
        service, limiter = stack.service, stack.limiter
        server = await serve_service(
            lambda: HttpConnection(config, encoder), stack.service, config, counters=counters
        )

    def statistics() -> ServerStatistics:
        snapshot = server.statistics()
        depths = {
            **snapshot.queue_depths,
            "offload": 0 if counted is None else counted.pending,
            "waiters": 0 if limiter is None else limiter.waiting,
        }
        if limiter is None:
            return dataclasses.replace(snapshot, queue_depths=depths)
        rejected = {**snapshot.rejected, "overload": limiter.rejected}
        return dataclasses.replace(snapshot, queue_depths=depths, rejected=rejected)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(signum: signal.Signals) -> None:
        if not stop.is_set():
            stop.set()  # the graceful stop below
            return
        log.info("%s again: closing every connection now", signum.name)
        server.abort()  # `server.stop()` returns as soon as the aborts are reported

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    server.start_lag_probe()
    ready(Listening(server.host, server.port, statistics))
    try:
        await stop.wait()
        log.info("stopping: no new connections, finishing in-flight requests")
        await server.stop()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await service.close()


def serve(config: ServerConfig, ready: Callable[[Listening], None]) -> None:
    """Serve `config` until SIGINT/SIGTERM (see `impls.contract.ServeFunction`)."""
    pool = offload.make_pool(config) if config.upstream is None else None
    loop = new_loop(config)
    try:
        loop.run_until_complete(run(config, ready, pool))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        loop.close()
