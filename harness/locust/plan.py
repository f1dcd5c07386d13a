# What a Locust user sends and what must come back - taken from the netmodels driver's own
# request cycle (`harness.driver.requests`), so both drivers send the same requests in the same
# seeded order and check the answers against the same spec.
#
# Rules of this file: pure functions and frozen records, no Locust, no sockets; the locustfile
# asks it "what next?" and "was that answer right?". An answer is either right or an error kind
# named as the netmodels driver names it (`status_503`, `wrong_body`, `wrong_length`, ...).
"""`HttpCall` (one HTTP request kind as Locust sends it) and the verdict on an answer."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from harness.driver import requests
from harness.profile import Workload

HOST = "locust"
"""The Host header of the wire bytes the cycle is built from; Locust sends its own."""


@dataclass(frozen=True, slots=True)
class HttpCall:
    """One request of a workload, in the terms of an HTTP client.

    label: the request's name in Locust's statistics (`ping`, `work:1`, ...).
    expect: the exact body of a right answer; None for `/work` (any decimal digits).
    """

    label: str
    method: str
    path: str
    body: bytes
    status: int
    expect: bytes | None


def call_of(request: requests.Request) -> HttpCall:
    """The `HttpCall` of one of the driver's prepared requests (its wire bytes, split)."""
    head, _, body = request.wire.partition(b"\r\n\r\n")
    method, path, _ = head.split(b"\r\n", 1)[0].decode("ascii").split(" ")
    return HttpCall(request.label, method, path, body, request.status, request.body)


@functools.cache
def http_cycle(workload: str, payload: int, seed: int) -> tuple[HttpCall, ...]:
    """The HTTP requests of `workload` in the driver's seeded order (repeating).

    Raises:
        ValueError: an unknown workload, or `stream` (the echo protocol's workload).
    """
    parsed = Workload.parse(workload)
    if parsed.is_stream:
        raise ValueError("`stream` is the echo protocol's workload")
    return tuple(call_of(r) for r in requests.cycle(parsed, payload, HOST, seed))


def stream_message(payload: int) -> bytes:
    """The TCP echo message of `payload` bytes (the driver's, byte for byte)."""
    if payload < 1:
        raise ValueError("an echo message needs payload >= 1")
    return requests.pattern(payload)


def verdict(call: HttpCall, status: int, body: bytes) -> str | None:
    """None for a right answer, else its error kind (the driver's names)."""
    if status != call.status:
        return f"status_{status}"
    if call.expect is None:
        return None if requests.is_digits(body) else "wrong_body"
    if body == call.expect:
        return None
    return "wrong_length" if len(body) != len(call.expect) else "wrong_body"


def echo_verdict(sent: bytes, received: bytes) -> str | None:
    """None if the echoed message is the one sent, else its error kind."""
    if received == sent:
        return None
    return "wrong_length" if len(received) != len(sent) else "wrong_body"
