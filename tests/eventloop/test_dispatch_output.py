"""The explicit-dispatch loop's output buffer: partial writes, order, coalescing (fake socket)."""

from __future__ import annotations

import socket
from collections.abc import Iterable

import pytest

from impls.eventloop.dispatch.conn import OutputBuffer


class FakeSocket:
    """Takes at most `room` bytes per call, like a kernel buffer with that much space."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.received = bytearray()
        self.calls = 0

    def send(self, data: memoryview) -> int:
        return self.sendmsg([data])

    def sendmsg(self, buffers: Iterable[memoryview]) -> int:
        self.calls += 1
        if self.room == 0:
            raise BlockingIOError
        taken = 0
        for buffer in buffers:
            part = bytes(buffer[: self.room - taken])
            self.received += part
            taken += len(part)
            if taken == self.room:
                break
        return taken


def as_socket(fake: FakeSocket) -> socket.socket:
    return fake  # type: ignore[return-value]


def test_partial_writes_keep_the_tail_in_order() -> None:
    out = OutputBuffer()
    out.append(b"hello ")
    out.append(b"")
    out.append(b"world")
    assert len(out) == 11
    fake = FakeSocket(room=4)
    while out:
        out.send_to(as_socket(fake))
    assert bytes(fake.received) == b"hello world"
    assert len(out) == 0


def test_pipelined_answers_leave_in_one_call() -> None:
    out = OutputBuffer()
    for i in range(10):
        out.append(b"response %d;" % i)
    fake = FakeSocket(room=1 << 20)
    sent = out.send_to(as_socket(fake))
    assert fake.calls == 1
    assert sent == len(fake.received)
    assert bytes(fake.received) == b"".join(b"response %d;" % i for i in range(10))
    assert not out


def test_full_kernel_buffer_keeps_everything() -> None:
    out = OutputBuffer()
    out.append(b"abc")
    with pytest.raises(BlockingIOError):
        out.send_to(as_socket(FakeSocket(room=0)))
    assert len(out) == 3


def test_clear_drops_unsent_output() -> None:
    out = OutputBuffer()
    out.append(b"x" * 1000)
    out.clear()
    assert len(out) == 0
    assert not out
