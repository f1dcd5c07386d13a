# Every setting of every server lives here, once.
#
# Benchmarks of other suites were skewed by servers that quietly used different receive sizes or
# buffer limits; in netmodels an impl reads every number it needs from this record and hard-codes
# none. `netmodels serve` builds its options from these fields (see harness/serve.py), so a new
# field is a new command-line option with no further work.
"""The one `ServerConfig` shared by every impl."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

Protocol = Literal["http", "echo"]
Parser = Literal["httptools", "h11"]
Offload = Literal["none", "thread", "process"]
Loop = Literal["uvloop", "asyncio"]
Selector = Literal["epoll", "poll", "select"]
Overflow = Literal["block", "drop"]

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Every setting a netmodels server has.

    Field metadata carries the command-line help; `harness.cli` turns each field into a
    `--kebab-case` option of `netmodels serve`.
    """

    impl: str = field(default="eventloop", metadata={"help": "which registered impl to run"})
    protocol: Protocol = field(default="http", metadata={"help": "http or echo (RFC 862)"})
    host: str = field(default="127.0.0.1", metadata={"help": "address to listen on"})
    port: int = field(default=0, metadata={"help": "port to listen on (0 = ephemeral)"})
    backlog: int = field(default=1024, metadata={"help": "listen() backlog"})
    tcp_nodelay: bool = field(default=True, metadata={"help": "set TCP_NODELAY on connections"})
    receive_size: int = field(default=64 * KIB, metadata={"help": "bytes asked of one recv()"})
    write_high_water: int = field(
        default=256 * KIB, metadata={"help": "stop reading a connection above this unsent output"}
    )
    write_low_water: int = field(
        default=64 * KIB, metadata={"help": "resume reading a connection below this unsent output"}
    )
    max_connections: int = field(
        default=10_000, metadata={"help": "connections open at once; excess is closed at accept"}
    )
    max_header_bytes: int = field(
        default=16 * KIB, metadata={"help": "request line + header fields, above it 431"}
    )
    max_body_bytes: int = field(default=1 * MIB, metadata={"help": "request body, above it 413"})
    header_timeout: float = field(
        default=10.0,
        metadata={"help": "seconds to receive a whole request head (then 408 and close)"},
    )
    body_timeout: float = field(
        default=30.0,
        metadata={"help": "seconds to receive a whole request body (then 408 and close)"},
    )
    keepalive_timeout: float = field(
        default=15.0, metadata={"help": "seconds an idle keep-alive connection stays open"}
    )
    send_timeout: float = field(
        default=30.0,
        metadata={"help": "seconds a blocked send may make no progress before the close (threads)"},
    )
    linger_timeout: float = field(
        default=2.0,
        metadata={"help": "seconds to drain input after a final response, before closing"},
    )
    grace: float = field(
        default=5.0, metadata={"help": "seconds in-flight work may finish on SIGTERM/SIGINT"}
    )
    parser: Parser = field(default="httptools", metadata={"help": "HTTP parser backend"})
    offload: Offload = field(default="none", metadata={"help": "where /work runs"})
    workers: int = field(default=2, metadata={"help": "threads or processes for --offload"})
    backpressure: bool = field(
        default=True, metadata={"help": "on: bounded buffers and paused reads; off: unbounded"}
    )
    max_inflight: int = field(
        default=0,
        metadata={"help": "requests in flight server-wide before 503 (0 = unlimited)"},
    )
    max_waiters: int = field(
        default=0,
        metadata={
            "help": "requests that may queue for a --max-inflight slot before 503 (function)"
        },
    )
    timeout_ms: int = field(
        default=0,
        metadata={"help": "milliseconds a request may take before 504 (0 = no timeout; function)"},
    )
    upstream: str | None = field(
        default=None,
        metadata={"help": "HOST:PORT to proxy every request to (function; unset = serve routes)"},
    )
    actor_threads: int = field(
        default=1, metadata={"help": "dispatcher threads that run actors (actor)"}
    )
    actor_throughput: int = field(
        default=5,
        metadata={"help": "messages an actor handles per turn before yielding its thread (actor)"},
    )
    mailbox_capacity: int = field(
        default=1000,
        metadata={
            "help": "messages a mailbox holds, and parsed requests a connection keeps waiting, "
            "with --backpressure on (actor)"
        },
    )
    mailbox_overflow: Overflow = field(
        default="block",
        metadata={"help": "a full mailbox makes the sender wait (block) or drops (actor)"},
    )
    loop: Loop = field(default="uvloop", metadata={"help": "asyncio event loop implementation"})
    selector: Selector = field(default="epoll", metadata={"help": "selector of the eventloop impl"})
    admin_host: str = field(default="127.0.0.1", metadata={"help": "address of /metrics"})
    admin_port: int | None = field(
        default=None, metadata={"help": "port of /metrics (0 = ephemeral; unset = off)"}
    )

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise ValueError("; ".join(problems))

    def _problems(self) -> list[str]:
        at_least_one = (
            "backlog",
            "receive_size",
            "write_high_water",
            "max_connections",
            "max_header_bytes",
            "workers",
            "actor_threads",
            "actor_throughput",
            "mailbox_capacity",
        )
        out = [f"{name} must be >= 1" for name in at_least_one if getattr(self, name) < 1]
        non_negative = (
            "max_body_bytes",
            "write_low_water",
            "max_inflight",
            "max_waiters",
            "timeout_ms",
        )
        out.extend(f"{name} must be >= 0" for name in non_negative if getattr(self, name) < 0)
        durations = (
            "header_timeout",
            "body_timeout",
            "keepalive_timeout",
            "linger_timeout",
            "grace",
        )
        out.extend(f"{name} must be > 0" for name in durations if not getattr(self, name) > 0)
        if self.write_low_water > self.write_high_water:
            out.append("write_low_water must not exceed write_high_water")
        if not 0 <= self.port <= 65535:
            out.append("port must be in 0..65535")
        if self.admin_port is not None and not 0 <= self.admin_port <= 65535:
            out.append("admin_port must be in 0..65535")
        if self.upstream is not None:
            host, sep, port = self.upstream.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
                out.append("upstream must be HOST:PORT")
        return out

    def replace(self, **changes: object) -> ServerConfig:
        """A copy with `changes` applied (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def server_name(self) -> str:
        """The `Server` header value: `netmodels-<impl>`."""
        return f"netmodels-{self.impl}"
