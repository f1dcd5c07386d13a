"""Services and filters: composition, order, status, close, and each shipped filter, on a
virtual clock (no test here waits in real time)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from impls.function import (
    ROUTES,
    Filter,
    OverloadedError,
    Service,
    SimpleFilter,
    StaleConnectionError,
    Status,
    service_of,
)
from impls.function._eager import start_eagerly
from impls.function.filters import (
    TRACE_HEADER,
    ConcurrencyLimitFilter,
    ExceptionFilter,
    OffloadFilter,
    RetryBudget,
    RetryFilter,
    StatsFilter,
    TimeoutFilter,
    TraceForwardFilter,
    TraceIdLogFilter,
    TracingFilter,
    current_trace_id,
    exponential_backoff,
)
from impls.protocol import Request, Response
from impls.stats import Counters
from tests.function._support import run_virtual


def get(target: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Request:
    path, _, query = target.partition("?")
    return Request("GET", target, ((b"host", b"test"), *headers), b"", "1.1", True, path, query)


OK = Response(200, (), b"ok")


class Recording(SimpleFilter[str, str]):
    """Notes when a request passes it on the way in and the reply on the way out."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    async def apply(self, request: str, service: Service[str, str]) -> str:
        self.log.append(f"{self.name} in")
        reply = await service(request + f">{self.name}")
        self.log.append(f"{self.name} out")
        return reply + f"<{self.name}"


class Parse(Filter[str, str, int, int]):
    """A filter that changes both types: str -> int on the way in, int -> str on the way out."""

    async def apply(self, request: str, service: Service[int, int]) -> str:
        return str(await service(int(request)))


# --- composition ------------------------------------------------------------------------------
def test_filters_run_in_stack_order() -> None:
    log: list[str] = []

    async def backend(request: str) -> str:
        log.append(f"service got {request}")
        return "reply"

    stack = Recording("a", log) >> Recording("b", log) >> service_of(backend)
    assert run_virtual(stack("req")) == "reply<b<a"
    assert log == ["a in", "b in", "service got req>a>b", "b out", "a out"]


def test_and_then_groups_either_way() -> None:
    async def backend(request: str) -> str:
        return request

    log: list[str] = []
    a, b, c = (Recording(n, log) for n in "abc")
    left = a.and_then(b).and_then(c).and_then(service_of(backend))
    right = a.and_then(b.and_then(c.and_then(service_of(backend))))
    assert run_virtual(left("x")) == run_virtual(right("x")) == "x>a>b>c<c<b<a"


def test_a_filter_may_change_request_and_reply_types() -> None:
    async def double(n: int) -> int:
        return 2 * n

    stack: Service[str, str] = Parse() >> service_of(double)
    assert run_virtual(stack("21")) == "42"


def test_status_and_close_go_through_filters() -> None:
    closed: list[str] = []

    class Backend(Service[str, str]):
        async def __call__(self, request: str) -> str:
            return request

        async def close(self) -> None:
            closed.append("backend")

    stack = Recording("a", []) >> Backend()
    assert stack.status is Status.OPEN
    run_virtual(stack.close())
    assert closed == ["backend"]


# --- TimeoutFilter and ExceptionFilter --------------------------------------------------------
async def _slow(request: Request) -> Response:
    await asyncio.sleep(10.0)
    return OK


def test_timeout_filter_raises_timeout_after_its_deadline() -> None:
    async def main() -> float:
        stack = TimeoutFilter[Request, Response](2.0) >> service_of(_slow)
        with pytest.raises(TimeoutError):
            await stack(get("/slow"))
        return asyncio.get_running_loop().time()

    assert run_virtual(main()) == 2.0


def test_exception_filter_maps_failures_to_responses(caplog: pytest.LogCaptureFixture) -> None:
    def failing(exc: Exception) -> Service[Request, Response]:
        async def call(request: Request) -> Response:
            raise exc

        return ExceptionFilter() >> service_of(call)

    async def main() -> list[int]:
        return [
            (await failing(error)(get("/x"))).status
            for error in (OverloadedError(), TimeoutError(), ConnectionRefusedError(), KeyError())
        ]

    with caplog.at_level(logging.WARNING, logger="impls.function"):
        assert run_virtual(main()) == [503, 504, 502, 500]
    assert [r.levelname for r in caplog.records] == ["WARNING", "ERROR"], "only the unexpected"


def test_timeout_becomes_504_and_the_stack_serves_on() -> None:
    async def main() -> list[int]:
        stack = ExceptionFilter() >> TimeoutFilter[Request, Response](1.0) >> service_of(_slow)
        return [(await stack(get("/slow"))).status, (await stack(get("/slow"))).status]

    assert run_virtual(main()) == [504, 504]


# --- ConcurrencyLimitFilter -------------------------------------------------------------------
def test_concurrency_limit_rejects_the_excess_at_once_while_admitted_complete() -> None:
    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        release = asyncio.Event()

        async def held(request: Request) -> Response:
            await release.wait()
            return OK

        limiter = ConcurrencyLimitFilter[Request, Response](2)
        stack = ExceptionFilter() >> limiter >> service_of(held)
        admitted = [start_eagerly(stack(get("/held")), loop) for _ in range(2)]
        assert all(isinstance(a, asyncio.Task) for a in admitted), "both admitted, both waiting"
        # The third is answered within the call itself: no task, no turn of the loop.
        rejected = start_eagerly(stack(get("/held")), loop)
        assert isinstance(rejected, Response)
        assert (rejected.status, dict(rejected.headers)[b"retry-after"]) == (503, b"1")
        assert stack.status is Status.BUSY
        release.set()
        done = [await a for a in admitted if isinstance(a, asyncio.Task)]
        return [r.status for r in done] + [limiter.rejected, limiter.running, stack.status]

    assert run_virtual(main()) == [200, 200, 1, 0, Status.OPEN]


def test_concurrency_limit_waiters_are_served_in_order() -> None:
    async def main() -> list[str]:
        order: list[str] = []
        gates = {name: asyncio.Event() for name in "abc"}

        async def held(request: str) -> str:
            order.append(f"{request} runs")
            await gates[request].wait()
            return request

        limiter = ConcurrencyLimitFilter[str, str](1, max_waiters=2)
        stack = limiter >> service_of(held)
        tasks = [asyncio.ensure_future(stack(name)) for name in "abc"]
        await asyncio.sleep(0)
        assert (limiter.running, limiter.waiting) == (1, 2)
        with pytest.raises(OverloadedError):
            await stack("d")  # slot taken, queue full: refused at once
        for name in "abc":
            gates[name].set()
        await asyncio.gather(*tasks)
        return order

    assert run_virtual(main()) == ["a runs", "b runs", "c runs"]


def test_a_waiter_that_times_out_gives_up_its_place() -> None:
    async def main() -> tuple[int, int, str]:
        gate = asyncio.Event()

        async def held(request: str) -> str:
            await gate.wait()
            return request

        limiter = ConcurrencyLimitFilter[str, str](1, max_waiters=1)
        limited = limiter >> service_of(held)
        first = asyncio.ensure_future(limited("first"))
        with pytest.raises(TimeoutError):
            await (TimeoutFilter[str, str](1.0) >> limited)("queued")  # waits, then gives up
        waiting = limiter.waiting
        gate.set()
        return waiting, limiter.running, await first

    assert run_virtual(main()) == (0, 1, "first")


# --- StatsFilter ------------------------------------------------------------------------------
def test_stats_filter_counts_and_times_calls() -> None:
    async def main() -> tuple[int, int, int, int]:
        counters = Counters()
        stats = StatsFilter[Request, Response](counters)

        async def maybe_fail(request: Request) -> Response:
            await asyncio.sleep(0.001)
            if request.path == "/fail":
                raise ValueError("fail")
            return OK

        stack = stats >> service_of(maybe_fail)
        task = asyncio.ensure_future(stack(get("/ok")))
        await asyncio.sleep(0)
        inflight = counters.inflight
        await task
        with pytest.raises(ValueError, match="fail"):
            await stack(get("/fail"))
        return inflight, counters.requests_total, stats.failures, stats.latency.snapshot().count

    assert run_virtual(main()) == (1, 2, 1, 2)


# --- TracingFilter ----------------------------------------------------------------------------
async def _report_trace(request: Request) -> Response:
    return Response(200, (), (current_trace_id() or "none").encode())


def test_tracing_adopts_the_callers_id_and_returns_it() -> None:
    stack = TracingFilter() >> service_of(_report_trace)
    response = run_virtual(stack(get("/", ((TRACE_HEADER, b"abc123"),))))
    assert response.body == b"abc123"
    assert (TRACE_HEADER, b"abc123") in response.headers


def test_tracing_mints_an_id_and_keeps_untraced_responses_unchanged() -> None:
    stack = TracingFilter() >> service_of(_report_trace)
    response = run_virtual(stack(get("/")))
    assert len(response.body) == 16
    assert response.headers == (), "no header added to a response nobody asked to trace"
    assert current_trace_id() is None, "the id does not leak out of the call"


def test_trace_id_is_forwarded_by_a_client_stack() -> None:
    async def upstream(request: Request) -> Response:
        return Response(200, (), request.header(TRACE_HEADER) or b"missing")

    client = TraceForwardFilter() >> service_of(upstream)

    async def proxy(request: Request) -> Response:
        return await client(get("/upstream"))

    server = TracingFilter() >> service_of(proxy)
    assert run_virtual(server(get("/", ((TRACE_HEADER, b"feed"),)))).body == b"feed"


# --- RetryFilter ------------------------------------------------------------------------------
class Flaky(Service[str, str]):
    """Fails with `error` the first `failures` calls, then answers; counts calls."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls: list[float] = []

    async def __call__(self, request: str) -> str:
        self.calls.append(asyncio.get_running_loop().time())
        if len(self.calls) <= self.failures:
            raise self.error
        return "ok"


def test_retry_retries_nacks_with_backoff() -> None:
    async def main() -> tuple[str, list[float]]:
        flaky = Flaky(2, OverloadedError())
        stack = RetryFilter[str, str](RetryBudget(), backoff=exponential_backoff(0.5, 10)) >> flaky
        return await stack("x"), flaky.calls

    assert run_virtual(main()) == ("ok", [0.0, 0.5, 1.5]), "pauses of 0.5 s, then 1 s"


def test_retry_leaves_failures_that_may_have_done_work() -> None:
    async def main() -> int:
        flaky = Flaky(1, ValueError("handler bug"))
        stack = RetryFilter[str, str](RetryBudget()) >> flaky
        with pytest.raises(ValueError, match="handler bug"):
            await stack("x")
        return len(flaky.calls)

    assert run_virtual(main()) == 1


def test_retry_stops_when_the_budget_is_exhausted() -> None:
    async def main() -> tuple[int, int, int]:
        # No reserve; each request earns half a retry: 4 requests earn 2 retries in all.
        budget = RetryBudget(
            ttl=10, min_retries_per_second=0, percent_can_retry=0.5, clock=lambda: 0
        )
        always = Flaky(10**9, StaleConnectionError())
        retry = RetryFilter[str, str](budget, backoff=lambda n: 0.0)
        stack = retry >> always
        for _ in range(4):
            with pytest.raises(StaleConnectionError):
                await stack("x")
        return len(always.calls), retry.retries, retry.exhausted

    # 4 first attempts; the 1st request may not retry yet (half a token), the 2nd may (1 token),
    # the 3rd may not (0.5 left), the 4th may (1 again) -> 2 retries; then each asks again.
    assert run_virtual(main()) == (6, 2, 4)


def test_retry_budget_deposits_expire_after_ttl() -> None:
    now = 0.0
    budget = RetryBudget(ttl=10, min_retries_per_second=0, percent_can_retry=1.0, clock=lambda: now)
    for _ in range(3):
        budget.deposit()
    assert budget.balance == 3
    assert budget.try_withdraw()
    now = 10.5  # every deposit and withdrawal is older than the window now
    assert budget.balance == 0
    assert not budget.try_withdraw()


def test_retry_budget_reserve_allows_a_quiet_client_to_retry() -> None:
    budget = RetryBudget(ttl=1, min_retries_per_second=2, percent_can_retry=0, clock=lambda: 0)
    assert [budget.try_withdraw() for _ in range(3)] == [True, True, False]


# --- the routes as services -------------------------------------------------------------------
def test_routes_stack_answers_delay_on_a_timer() -> None:
    async def main() -> tuple[bytes, float]:
        stack = OffloadFilter(None) >> ROUTES
        response = await stack(get("/delay?ms=1500"))
        return response.body, asyncio.get_running_loop().time()

    assert run_virtual(main()) == (b"slept 1500 ms", 1.5)


@pytest.mark.parametrize("pooled", [False, True], ids=["inline", "thread-pool"])
def test_routes_stack_runs_work_inline_or_in_a_pool(pooled: bool) -> None:
    with ThreadPoolExecutor(1) as pool:
        stack = OffloadFilter(pool if pooled else None) >> ROUTES
        response = asyncio.run(stack(get("/work?ms=1")))
    assert response.status == 200
    assert response.body.isdigit()


# --- interrupts -------------------------------------------------------------------------------
def test_cancellation_propagates_through_the_whole_stack() -> None:
    async def main() -> tuple[list[str], int, int]:
        log: list[str] = []
        entered = asyncio.Event()

        async def innermost(request: Request) -> Response:
            entered.set()
            try:
                await asyncio.sleep(100.0)
            finally:
                log.append("innermost cleaned up")
            return OK

        counters = Counters()
        limiter = ConcurrencyLimitFilter[Request, Response](5)
        stack = (
            StatsFilter[Request, Response](counters)
            >> TracingFilter()
            >> ExceptionFilter()
            >> TimeoutFilter[Request, Response](50.0)
            >> limiter
            >> service_of(innermost)
        )
        task = asyncio.ensure_future(stack(get("/")))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # ExceptionFilter does not turn an interrupt into a response
        return log, counters.inflight, limiter.running

    assert run_virtual(main()) == (["innermost cleaned up"], 0, 0)


def test_log_records_carry_the_trace_id(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("netmodels.function.test")
    logger.addFilter(TraceIdLogFilter())

    async def logs(request: Request) -> Response:
        logger.warning("inside the call")
        return OK

    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            run_virtual((TracingFilter() >> service_of(logs))(get("/", ((TRACE_HEADER, b"f00d"),))))
            logger.warning("outside")
    finally:
        logger.filters.clear()
    assert [getattr(r, "trace_id", None) for r in caplog.records] == ["f00d", "-"]
