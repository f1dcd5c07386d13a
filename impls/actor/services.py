# What the server's actors share: settings, the two I/O threads, the /work pool, the tallies.
#
# Rules of this file: `Services` is handed to each actor's constructor (so it survives restarts)
# and is never mutated after start-up. `Tally` is the one shared mutable object: several actors
# on possibly several dispatcher threads update the same counters, so it takes a lock (Counters'
# plain `+=` is only safe with one writer).
"""`Services` (what actors are given) and `Tally` (thread-safe counters)."""

from __future__ import annotations

import threading
from concurrent.futures import Executor
from dataclasses import dataclass

from impls.actor.link import Link
from impls.actor.receiver import ReceivingThread
from impls.actor.sender import SendingThread
from impls.config import ServerConfig
from impls.protocol import ResponseEncoder
from impls.stats import Counters


class Tally:
    """The server's `Counters`, updated under a lock."""

    def __init__(self, max_inflight: int) -> None:
        self.counters = Counters(("overload", "max_connections", "fd_limit"))
        self._lock = threading.Lock()
        self._limit = max_inflight

    def admit(self) -> bool:
        """Count a request in flight, unless `--max-inflight` are already (then: overload)."""
        with self._lock:
            counters = self.counters
            if self._limit and counters.inflight >= self._limit:
                counters.rejected["overload"] += 1
                return False
            counters.inflight += 1
            return True

    def answered(self, *, was_inflight: bool) -> None:
        """One answer written (a request, an error answer, an echo chunk)."""
        with self._lock:
            self.counters.requests_total += 1
            if was_inflight:
                self.counters.inflight -= 1

    def abandoned(self) -> None:
        """A request in flight will never be answered (its connection closed)."""
        with self._lock:
            self.counters.inflight -= 1

    offloaded = 0  # /work jobs in the pool (one writer each way: +1 by actors, -1 by the pool)

    def offload_started(self) -> None:
        with self._lock:
            self.offloaded += 1

    def offload_finished(self) -> None:
        with self._lock:
            self.offloaded -= 1

    def rejected(self, reason: str) -> None:
        with self._lock:
            self.counters.rejected[reason] += 1

    def opened(self, delta: int) -> None:
        with self._lock:
            self.counters.connections_open += delta


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a Listener or Connection actor needs besides its own state."""

    config: ServerConfig
    encoder: ResponseEncoder
    receiver: ReceivingThread
    sender: SendingThread
    pool: Executor | None
    tally: Tally
    links: set[Link]  # every open connection, for metrics (set.add/discard are atomic)
