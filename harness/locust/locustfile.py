# The netmodels workloads as Locust users - the lecture's "same load, another tool": an HTTP user
# on Locust's FastHttpUser, and a TCP echo user on a plain (gevent) socket that reports through
# Locust's `request` event, as Locust's docs describe for protocols it does not know.
#
# Rules of this file: each user is a closed loop of one request at a time on one connection,
# like a netmodels driver connection at pipeline 1; every answer is checked as the driver checks
# it (`plan.verdict`), and a wrong one is a failure named by its kind, never a latency. It runs
# on gevent (Locust monkey-patches the interpreter): no asyncio, no uvloop, no threads.
# `netmodels locust` picks the class with --protocol; a worker runs whichever its master names.
"""Locust users: `HttpWorkload` (FastHttpUser) and `EchoStream` (TCP echo, RFC 862)."""

from __future__ import annotations

import itertools
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from locust import User, constant, task
from locust.contrib.fasthttp import FastHttpUser

from harness.locust import plan
from harness.locust.plugin import WrongAnswerError

CONNECT_TIMEOUT = 10.0
"""Seconds a TCP echo user waits for a connection (Locust's FastHttpUser has its own)."""

_users = itertools.count()
"""Numbers the users of this process: each starts at its own place in a mix's cycle."""


def _options(user: User) -> Any:
    return user.environment.parsed_options


class HttpWorkload(FastHttpUser):
    """GET /ping, POST /echo, GET /bytes, /delay, /work - or a mix - one request at a time."""

    wait_time = constant(0)
    concurrency = 1  # one connection per user, as a netmodels driver connection

    def on_start(self) -> None:
        """Take this user's place in the request cycle."""
        options = _options(self)
        self.cycle = plan.http_cycle(
            options.netmodels_workload, options.netmodels_payload, options.netmodels_seed
        )
        self.index = next(_users) * 7 % len(self.cycle)

    @task
    def request(self) -> None:
        """Send the next request of the cycle and check its answer."""
        call = self.cycle[self.index]
        self.index = (self.index + 1) % len(self.cycle)
        with self.client.request(
            call.method,
            call.path,
            # geventhttpclient sends bytes as they are; Locust's annotation is narrower
            data=call.body or None,  # type: ignore[arg-type]
            name=call.label,
            catch_response=True,
        ) as response:
            if not response.status_code:  # no answer: the connection failed
                response.failure(response.request_meta["exception"] or "no_answer")
                return
            kind = plan.verdict(call, response.status_code, response.content or b"")
            if kind is None:
                response.success()
            else:
                response.failure(kind)


class EchoStream(User):
    """TCP echo: send a message of `--netmodels-payload` bytes, read it back whole, compare."""

    wait_time = constant(0)

    def on_start(self) -> None:
        """Build this user's message; the connection opens with the first request."""
        self.message = plan.stream_message(_options(self).netmodels_payload)
        self.sock: socket.socket | None = None
        url = urlsplit(self.host or "")
        self.address = (url.hostname or "127.0.0.1", url.port or 7)

    def on_stop(self) -> None:
        """Close the connection."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    @task
    def stream(self) -> None:
        """One message out, one echo back; the latency runs from the send."""
        received = b""
        exception: BaseException | None = None
        start = time.perf_counter()
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=CONNECT_TIMEOUT)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                start = time.perf_counter()  # the connect is not the answer's latency
            self.sock.sendall(self.message)
            while len(received) < len(self.message):
                chunk = self.sock.recv(len(self.message) - len(received))
                if not chunk:
                    raise ConnectionResetError("closed by the server")
                received += chunk
            kind = plan.echo_verdict(self.message, received)
            if kind is not None:
                exception = WrongAnswerError(kind)
        except OSError as exc:
            exception = exc
            self.on_stop()  # the next request reconnects
        self.environment.events.request.fire(
            request_type="TCP",
            name="stream",
            response_time=(time.perf_counter() - start) * 1000,
            response_length=len(received),
            exception=exception,
            context={},
        )
