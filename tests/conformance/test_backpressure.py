# A client that pipelines /bytes?n=1MiB requests and never reads (docs/service-spec.md,
# "Back-pressure").
#
# With back-pressure on, the server stops reading that connection once its unsent output is
# above the high-water mark, so its memory stays put however much the client asks for. With it
# off, an impl that queues output in user space (ImplSpec.buffers_output) grows with the unread
# answers - the failure the switch exists to show. The request volume is bounded (REQUESTS x
# 1 MiB of answers at most), and the test stops watching as soon as it has its answer.
#
# A slow reader that keeps pipelining is the other half: reading that resumes each time the
# output drains must not parse more requests than get answered, or the queue of parsed requests
# (queue_depth{queue="pipeline"}) grows round after round while the output stays bounded.
"""Conformance: slow reader, RSS and the pipeline bounded with --backpressure on (slow)."""

from __future__ import annotations

import selectors
import time

import pytest

from impls.config import ServerConfig
from tests.conformance._client import Client, ConnectFactory, request, wait_until
from tests.conformance._contract import assert_answer
from tests.conformance._matrix import per_variant
from tests.conformance._metrics import scrape
from tests.conformance._server import ServeFactory, Server, Target

MIB = 1024 * 1024
REQUESTS = 256
"""Pipelined /bytes?n=1MiB requests: at most 256 MiB of answers if nothing holds them back."""

BOUND = 64 * MIB
"""RSS growth allowed with back-pressure on (a few MiB of buffers, plus allocator slack)."""

GROWTH = 100 * MIB
"""RSS growth that shows unbounded buffering with back-pressure off."""

WATCH = 2.0
"""Seconds to keep sampling RSS of a server that blocks in send() and so has no paused-reading
gauge to wait for: an observation window, not a synchronisation."""

SMALL_ANSWER = 4096
"""Bytes of each /bytes answer the pipelining slow reader asks for: small requests, larger
answers, so one receive of requests holds far more than a drained output buffer answers."""

PIPELINED = request("GET", f"/bytes?n={SMALL_ANSWER}")
PIPELINED_COUNT = 20_000
"""Requests the pipelining slow reader sends (1.3 MB of requests, 80 MiB of answers)."""

ROUND = 256 * 1024
"""Answer bytes the slow reader takes per round, then it looks at the server's pipeline."""

ROUNDS = 80
"""Rounds to watch: enough for an unbounded pipeline to pass PIPELINE_BOUND many times over."""

PIPELINE_BOUND = 8 * ServerConfig().receive_size // len(PIPELINED)
"""Parsed, unanswered requests the server may hold for the connection: a few receives' worth
(the default --receive-size, as the server runs with it). Measured peaks: one receive's worth
(1,200) for the event loops, threads and function; up to 5,300 for actor, whose receiving
thread reads on until the actor's SuspendReading reaches it. Unbounded, the pipeline passed
17,000 in these rounds."""

pytestmark = [per_variant, pytest.mark.slow]


def _push(server: Server, connect: ConnectFactory) -> tuple[int, Client]:
    """Warm the server up, note its RSS, then pipeline REQUESTS /bytes requests, never reading."""
    warm = connect(server)
    for _ in range(3):
        assert_answer(warm.exchange(request("GET", f"/bytes?n={MIB}")), server.ready["impl"], 200)
    warm.close()
    baseline = server.rss_bytes()
    slow = connect(server)
    slow.send(request("GET", f"/bytes?n={MIB}") * REQUESTS)
    return baseline, slow


def _growth_stays_bounded(server: Server, baseline: int) -> None:
    deadline = time.monotonic() + WATCH
    while time.monotonic() < deadline:
        growth = server.rss_bytes() - baseline
        assert growth < BOUND, f"RSS grew by {growth // MIB} MiB with a reader that never reads"
        time.sleep(0.05)


def test_slow_reader_is_held_back(
    serve: ServeFactory, target: Target, connect: ConnectFactory
) -> None:
    s = serve("--backpressure", "on", "--admin-port", "0")
    admin = s.admin
    assert admin is not None
    baseline, _slow = _push(s, connect)
    if target.spec.buffers_output:
        wait_until(
            lambda: scrape(admin).value("netmodels_reading_paused_connections") >= 1,
            what="the slow reader's connection to be paused (reading_paused_connections)",
        )
        buffered = scrape(admin).value("netmodels_buffered_bytes", direction="out")
        assert buffered < 4 * MIB, f"{buffered} bytes buffered for sending despite back-pressure"
        growth = s.rss_bytes() - baseline
        assert growth < BOUND, f"RSS grew by {growth // MIB} MiB before reading paused"
    else:
        _growth_stays_bounded(s, baseline)  # no gauge to wait for: watch a while instead


def test_slow_reader_without_backpressure(
    serve: ServeFactory, target: Target, connect: ConnectFactory
) -> None:
    s = serve("--backpressure", "off")
    baseline, _slow = _push(s, connect)
    if target.spec.buffers_output:
        wait_until(
            lambda: s.rss_bytes() - baseline > GROWTH,
            timeout=60,
            what=f"RSS to grow by {GROWTH // MIB} MiB with back-pressure off",
        )
    else:
        _growth_stays_bounded(s, baseline)  # a blocking send() is its own back-pressure


def test_pipelining_slow_reader_has_a_bounded_pipeline(
    serve: ServeFactory, target: Target, connect: ConnectFactory
) -> None:
    s = serve("--backpressure", "on", "--admin-port", "0")
    admin = s.admin
    assert admin is not None
    client = connect(s)
    sock = client.sock
    sock.setblocking(False)
    pending = memoryview(PIPELINED * PIPELINED_COUNT)
    deadline = time.monotonic() + 30
    peak = 0
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        for _ in range(ROUNDS):
            taken = 0
            while taken < ROUND:  # send what the server takes, read one round of answers
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"timed out after {taken} bytes of a round"
                for _, events in selector.select(remaining):
                    if events & selectors.EVENT_WRITE:
                        pending = pending[sock.send(pending[:ROUND]) :]
                        if not pending:
                            selector.modify(sock, selectors.EVENT_READ)
                    if events & selectors.EVENT_READ:
                        chunk = sock.recv(ROUND - taken)
                        assert chunk, "the server closed the connection"
                        taken += len(chunk)
            peak = max(peak, int(scrape(admin).value("netmodels_queue_depth", queue="pipeline")))
            assert peak <= PIPELINE_BOUND, (
                f"{peak} parsed requests wait unanswered (bound {PIPELINE_BOUND}): reading "
                "resumed faster than the pipeline drained"
            )
