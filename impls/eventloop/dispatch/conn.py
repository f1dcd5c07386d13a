# What the explicit-dispatch loop keeps per connection: the socket, the sans-I/O protocol state
# (shared with every impl), the output not yet taken by the kernel, and the loop's own bookkeeping.
#
# Rules of this file: no decisions live here - `Conn` is a record the loop reads and updates, and
# `OutputBuffer` only queues and sends bytes. A partial write keeps its unsent tail in the buffer;
# responses are queued as memoryviews, so a 16 MiB body is never copied to be sent in pieces.
"""`Conn` (one connection's state) and `OutputBuffer` (its unsent output)."""

from __future__ import annotations

import enum
import itertools
import os
import selectors
import socket
from collections import deque
from typing import TYPE_CHECKING

from impls.eventloop.dispatch.timers import TimerHandle
from impls.protocol import Connection, Timer

if TYPE_CHECKING:
    from impls.eventloop.dispatch.kinds import Event

_MAX_IOV = min(os.sysconf("SC_IOV_MAX"), 64)
"""Buffers handed to one sendmsg(): enough to coalesce pipelined responses into one syscall."""


class OutputBuffer:
    """Bytes accepted for sending and not yet written to the kernel, in order."""

    __slots__ = ("_chunks", "_size")

    def __init__(self) -> None:
        self._chunks: deque[memoryview] = deque()
        self._size = 0

    def __len__(self) -> int:
        """Unsent bytes."""
        return self._size

    def append(self, data: bytes) -> None:
        """Queue `data` after everything queued before."""
        if data:
            self._chunks.append(memoryview(data))
            self._size += len(data)

    def send_to(self, sock: socket.socket) -> int:
        """Write as much as `sock` takes now (one syscall) and drop it from the buffer.

        Returns:
            The number of bytes written.

        Raises:
            BlockingIOError: the kernel buffer is full.
            OSError: the connection is broken.
        """
        chunks = self._chunks
        if len(chunks) == 1:
            sent = sock.send(chunks[0])
        else:
            # writev: pipelined responses leave in one syscall instead of one each
            sent = sock.sendmsg(list(itertools.islice(chunks, _MAX_IOV)))
        self._size -= sent
        left = sent
        while left:
            head = chunks[0]
            if left < len(head):
                chunks[0] = head[left:]  # partial write: the tail stays at the front
                break
            left -= len(head)
            chunks.popleft()
        return sent

    def clear(self) -> None:
        """Drop everything unsent (the connection is gone)."""
        self._chunks.clear()
        self._size = 0


class State(enum.Enum):
    """Where a connection is in its life, as the loop sees it."""

    OPEN = "open"  # reading requests and writing answers
    LINGERING = "lingering"  # final answer flushed, write side shut: drain input until EOF/deadline
    CLOSED = "closed"  # socket closed; events still queued for it are ignored


class Conn:
    """One accepted connection.

    It is also the connection's token in the selector (`SelectorKey.data`), so a ready event
    names the connection object itself and a recycled file descriptor cannot be mistaken for it.
    """

    __slots__ = (
        "sock",
        "protocol",
        "out",
        "state",
        "events",
        "eof",
        "paused",
        "serving",
        "timer",
        "timer_handle",
        "delay_handle",
        "linger_handle",
    )

    def __init__(self, sock: socket.socket, protocol: Connection) -> None:
        self.sock = sock
        self.protocol = protocol
        self.out = OutputBuffer()
        self.state = State.OPEN
        self.events = 0  # the interest registered in the selector; 0 = not registered
        self.eof = False  # the peer has half-closed: nothing more to read
        self.paused = False  # back-pressure: output above the high-water mark, reading stopped
        self.serving = False  # a request was dispatched and its answer is not queued yet
        self.timer: Timer | None = None  # the protocol timer armed now
        self.timer_handle: TimerHandle[Event] | None = None
        self.delay_handle: TimerHandle[Event] | None = None  # a /delay waiting for its timer
        self.linger_handle: TimerHandle[Event] | None = None

    def wanted_events(self) -> int:
        """The selector interest this connection needs now.

        READ while input is wanted (not after EOF, not while paused by back-pressure); WRITE only
        while something is buffered - a writable socket is almost always writable, and asking
        for it with nothing to send would wake the loop for nothing.
        """
        if self.state is State.LINGERING:
            return selectors.EVENT_READ
        events = 0
        if not self.eof and not self.paused:
            events |= selectors.EVENT_READ
        if self.out:
            events |= selectors.EVENT_WRITE
        return events

    def watch(self, selector: selectors.BaseSelector) -> None:
        """Make the selector's interest in this connection what it wants now (`wanted_events`)."""
        wanted = self.wanted_events()
        if wanted == self.events:
            return
        if not self.events:
            selector.register(self.sock, wanted, self)
        elif not wanted:
            selector.unregister(self.sock)
        else:
            selector.modify(self.sock, wanted, self)
        self.events = wanted

    def __repr__(self) -> str:
        try:
            peer = self.sock.getpeername()
        except OSError:
            peer = "?"
        return f"<Conn {peer} {self.state.value} out={len(self.out)}>"
