# The driver's connections: raw asyncio Protocols on uvloop, with httptools parsing HTTP answers
# and plain length framing for TCP echo. This is the driver's hot path; every line here runs once
# per answer, so it keeps to list appends and integer arithmetic, and reads the clock once per
# chunk of bytes received (answers that arrive together arrived at the same moment).
#
# Rules of this file: every answer is verified before its latency counts - status, then the
# body (exact bytes, or decimal digits for /work), then for echo the stream byte for byte; a wrong
# answer is an error of its kind, never a latency. A connection knows only its `Load`
# (driver/load.py), which decides what to send next.
"""`HttpClient` and `EchoClient`: one connection each, sending and verifying."""

from __future__ import annotations

import asyncio
from collections import deque
from time import monotonic_ns
from typing import TYPE_CHECKING, cast

import httptools

from harness.driver.requests import Request

if TYPE_CHECKING:
    from harness.driver.load import Load

Pending = tuple[int, int, Request]
"""An outstanding request: (start of its latency in ns, its tally slot, what was sent)."""


class Client(asyncio.Protocol):
    """What both protocols share: the outstanding queue and the link to the `Load`."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.pending: deque[Pending] = deque()
        self.transport: asyncio.Transport | None = None
        self.next_request = 0  # position in the workload's request cycle
        self.idle = False  # in the open-loop load's idle list

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, requests: list[Request] | Request, start_ns: int, slot: int, count: int) -> None:
        """Send `count` requests (one `Request` repeated, or a list of them)."""
        assert self.transport is not None
        if isinstance(requests, Request):
            self.pending.extend([(start_ns, slot, requests)] * count)
            self.transport.write(requests.wire * count if count > 1 else requests.wire)
        else:
            self.pending.extend([(start_ns, slot, r) for r in requests])
            self.transport.write(b"".join(r.wire for r in requests))

    def connection_lost(self, exc: Exception | None) -> None:
        self.load.lost(self, "reset" if exc is not None else "closed")

    def abort(self, kind: str) -> None:
        """A broken answer: count `kind`, drop the connection (it is out of sync now)."""
        if self.pending:
            _, slot, request = self.pending.popleft()
            self.load.tally.fail(slot, kind, request=request)
            self.load.outstanding -= 1
        if self.transport is not None:
            self.transport.abort()


class HttpClient(Client):
    """One HTTP/1.1 keep-alive connection; answers parsed by httptools (llhttp)."""

    def __init__(self, load: Load) -> None:
        super().__init__(load)
        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.now = 0
        self.done = 0

    def data_received(self, data: bytes) -> None:
        self.now = monotonic_ns()
        load = self.load
        load.tally.bytes_in += len(data)
        self.done = 0
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.abort("upgrade")
        except httptools.HttpParserError:
            self.abort("parse_error")
        if self.done:
            load.completed(self, self.done)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.pending:
            self.load.tally.fail(self.load.tally.slot(self.now), "unexpected_answer")
            return
        start, slot, request = self.pending.popleft()
        body = b"".join(self.body)
        self.body.clear()
        status = self.parser.get_status_code()
        tally = self.load.tally
        if status != request.status:
            tally.fail(slot, f"status_{status}", request=request)
        elif request.body is not None and body != request.body:
            kind = "wrong_length" if len(body) != len(request.body) else "wrong_body"
            tally.fail(slot, kind, request=request)
        elif request.body is None and not body.isdigit():
            tally.fail(slot, "wrong_body", request=request)
        else:
            latency = self.now - start
            tally.latencies[slot].append(latency)
            if tally.by_kind is not None and slot:  # a mix: file it under its kind as well
                tally.by_kind[request.kind].append(latency)
        self.done += 1


class EchoClient(Client):
    """One TCP echo connection (RFC 862): each message is answered by the same bytes."""

    def __init__(self, load: Load, message: bytes) -> None:
        super().__init__(load)
        self.message = message
        self.size = len(message)
        self.offset = 0  # bytes of the oldest outstanding message received so far

    def data_received(self, data: bytes) -> None:
        now = monotonic_ns()
        load = self.load
        load.tally.bytes_in += len(data)
        message, size, pending = self.message, self.size, self.pending
        done = 0
        i, n = 0, len(data)
        while i < n:
            if not pending:
                self.abort("unexpected_data")
                break
            if self.offset == 0 and n - i >= size:
                whole = min((n - i) // size, len(pending))
                if data[i : i + whole * size] != message * whole:
                    self.abort("wrong_body")
                    break
                i += whole * size
            else:
                take = min(size - self.offset, n - i)
                if data[i : i + take] != message[self.offset : self.offset + take]:
                    self.abort("wrong_body")
                    break
                i += take
                self.offset += take
                if self.offset < size:
                    continue
                self.offset = 0
                whole = 1
            latencies = load.tally.latencies
            for _ in range(whole):
                start, slot, _ = pending.popleft()
                latencies[slot].append(now - start)
            done += whole
        if done:
            load.completed(self, done)
