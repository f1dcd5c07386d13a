# Slow readers: connections that send as fast as the server takes requests but read its answers
# at a fixed byte rate, so unread answers pile up - in the kernel first, then in the server's own
# output buffers, where back-pressure bounds them or lets them grow.
#
# Rules of this file: the client never grows without bound itself - it writes only while its own
# transport buffer is below `WRITE_HIGH` (asyncio's pause_writing/resume_writing), and its
# socket's receive buffer is small (`RECEIVE_BUFFER`), so the kernel cannot absorb what the reader
# is meant to leave with the server. Reading is a token bucket on received bytes: over budget,
# reading pauses until the bytes are earned back. Answers are verified and timed exactly as on a
# full-speed connection (the mixed-in `HttpClient`/`EchoClient` do it); their latency runs from
# their send, so it is large - which is the honest figure. The full-speed clients pay nothing
# for any of this: these are separate classes, chosen per run.
"""`SlowHttpClient`, `SlowEchoClient`: slow readers that write as fast as the server takes."""

from __future__ import annotations

import asyncio

from harness.driver.clients import Client, EchoClient, HttpClient

WRITE_HIGH = 256 * 1024
"""Bytes a slow reader's transport may hold unsent before it stops writing requests."""

RECEIVE_BUFFER = 64 * 1024
"""Largest SO_RCVBUF of a slow reader's socket (set before connecting, so the TCP window is sized
by it): a default buffer autotunes to megabytes and would hide the server's pile-up in the
kernel."""

RECEIVE_BUFFER_MIN = 4 * 1024

BURST_S = 0.1
"""Seconds of reading a slow reader may save up while it has nothing to read; also the reading
its receive buffer holds (`receive_buffer`)."""


class SlowReader(Client):
    """Mixed in before `HttpClient`/`EchoClient`: flow-controlled writes, rate-limited reads."""

    rate = 1
    """Bytes per second this connection reads: the cell's `read_rate`."""

    writable = False
    """The transport takes more requests (below `WRITE_HIGH`, not closing)."""

    tokens = 0.0
    stamp = 0.0
    _resume_at: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert self.transport is not None
        self.transport.set_write_buffer_limits(high=WRITE_HIGH)
        self.rate = self.load.cell.read_rate
        self.tokens = self.rate * BURST_S
        self.stamp = self.load.loop.time()
        self.writable = True

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        self.writable = True
        self.load.feed(self)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # verified and counted as on any connection
        loop = self.load.loop
        now = loop.time()
        self.tokens = min(self.rate * BURST_S, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= len(data)
        transport = self.transport
        if self.tokens < 0 and transport is not None and not transport.is_closing():
            transport.pause_reading()
            self._resume_at = loop.call_at(now - self.tokens / self.rate, self._resume)

    def _resume(self) -> None:
        self._resume_at = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable = False
        if self._resume_at is not None:
            self._resume_at.cancel()
            self._resume_at = None
        super().connection_lost(exc)


class SlowHttpClient(SlowReader, HttpClient):
    """An HTTP/1.1 connection that pipelines requests freely and reads `rate` bytes/s."""


class SlowEchoClient(SlowReader, EchoClient):
    """A TCP echo connection that sends messages freely and reads `rate` bytes/s."""


def receive_buffer(rate: int) -> int:
    """SO_RCVBUF of a reader of `rate` bytes/s: `BURST_S` of its reading, between 4 and 64 KiB.

    One read takes what the kernel holds, so the buffer sets how coarse the reading is: at
    64 KiB/s a 64 KiB buffer is read in one gulp a second; 6.4 KiB, ten times a second.
    """
    return max(RECEIVE_BUFFER_MIN, min(RECEIVE_BUFFER, round(rate * BURST_S)))
