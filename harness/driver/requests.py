# What goes on the wire and what must come back, per request kind - written from
# docs/service-spec.md, not imported from the server's code, so the driver checks the servers
# against the spec rather than against themselves.
#
# Rules of this file: every request is built once, as bytes, before the run; a workload becomes
# a fixed, shuffled cycle of requests (seeded), so a mix costs the hot path nothing but an index.
# In a mix each request also carries the index of its kind, so the clients can file its latency
# under its kind with one list index, not a dictionary look-up of its label.
"""`Request` (wire bytes + expected answer) and the request cycle of a workload."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from harness.profile import WorkItem, Workload

PATTERN = b"0123456789abcdef"
"""`/bytes?n=N` answers N bytes of this pattern, repeated (docs/service-spec.md)."""

MIX_CYCLE = 1000
"""Requests in one cycle of a mixed workload: weights are honoured to 0.1 %."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request kind, ready to send.

    wire: the request's bytes (for the echo protocol: one message).
    status: the status a correct answer has (unused for the echo protocol).
    body: the exact body (or echoed message) a correct answer has; None to accept any body of
        decimal digits (`/work` answers its computation's result).
    kind: the index of `label` among the kinds of a mixed workload (`kinds`); 0 otherwise.
    """

    label: str
    wire: bytes
    status: int = 200
    body: bytes | None = None
    kind: int = 0


def pattern(size: int) -> bytes:
    """`size` bytes of the `/bytes` pattern."""
    return (PATTERN * (size // len(PATTERN) + 1))[:size]


def build(item: WorkItem, payload: int, host: str) -> Request:
    """The request of one workload item against `host` (the Host header)."""
    head = f"Host: {host}\r\n"
    match item.kind:
        case "stream":
            # Every message is the same bytes; the echoed stream is compared byte for byte.
            message = pattern(payload)
            return Request("stream", message, body=message)
        case "ping":
            return Request("ping", f"GET /ping HTTP/1.1\r\n{head}\r\n".encode(), body=b"PONG")
        case "echo":
            body = pattern(payload)
            wire = (
                f"POST /echo HTTP/1.1\r\n{head}Content-Type: application/octet-stream\r\n"
                f"Content-Length: {payload}\r\n\r\n"
            ).encode() + body
            return Request("echo", wire, body=body)
        case "bytes":
            wire = f"GET /bytes?n={payload} HTTP/1.1\r\n{head}\r\n".encode()
            return Request("bytes", wire, body=pattern(payload))
        case "delay":
            wire = f"GET /delay?ms={item.arg} HTTP/1.1\r\n{head}\r\n".encode()
            return Request(f"delay:{item.arg}", wire, body=f"slept {item.arg} ms".encode())
        case "work":
            wire = f"GET /work?ms={item.arg} HTTP/1.1\r\n{head}\r\n".encode()
            return Request(f"work:{item.arg}", wire, body=None)
    raise ValueError(f"unknown request kind {item.kind!r}")


def cycle(workload: Workload, payload: int, host: str, seed: int = 0) -> tuple[Request, ...]:
    """The requests of `workload` in the order connections send them (repeating).

    A single-kind workload is a cycle of one; a mix is `MIX_CYCLE` requests in the weights'
    proportions, shuffled with `seed` so the rare kind is spread out rather than bunched.
    """
    built = [build(item, payload, host) for item in workload.items]
    if len(built) == 1:
        return (built[0],)
    labels = list(dict.fromkeys(request.label for request in built))
    built = [replace(request, kind=labels.index(request.label)) for request in built]
    total = sum(item.weight for item in workload.items)
    counts = [MIX_CYCLE * item.weight // total for item in workload.items]
    counts[0] += MIX_CYCLE - sum(counts)
    order = [request for request, n in zip(built, counts, strict=True) for _ in range(n)]
    random.Random(seed).shuffle(order)
    return tuple(order)


def kinds(requests: tuple[Request, ...]) -> tuple[str, ...]:
    """The labels of a cycle's request kinds, by `Request.kind`; () for a single kind (a
    workload of one kind has no per-kind figures: they would repeat the total)."""
    by_index = {request.kind: request.label for request in requests}
    if len(by_index) < 2:
        return ()
    return tuple(by_index[i] for i in range(len(by_index)))


def is_digits(body: bytes) -> bool:
    """A `/work` answer: its computation's result, in decimal."""
    return body.isdigit()
