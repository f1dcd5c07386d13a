# The dispatcher: which thread runs which actor, and for how long.
#
# Rules of this file: actors with mail wait in one run queue; each dispatcher thread takes one,
# lets it process up to `throughput` messages (one turn), and puts it back at the end of the
# queue if it still has mail. A high throughput saves scheduling work per message; a low one
# keeps one busy actor from holding a thread while others wait (Akka's dispatcher setting).
#
# Why one thread is the default: under the GIL only one thread runs Python code at a time, so a
# second dispatcher thread adds no parallelism to actor code (all of it is Python); it only adds
# GIL hand-offs between the dispatcher threads and the I/O threads. Measured on GET /ping
# (benchmarks/ping.py, docs/actor.md): 2 threads cost 19% more server CPU per request than 1
# (26.6 vs 22.3 us). `--actor-threads 2` exists to show exactly that. The throughput K made no
# measurable difference on /ping (1, 5 and 20 all about 21.5 us/request: a keep-alive connection
# rarely has more than two messages waiting); 5 is Akka's default. With zero threads nothing runs
# until the caller calls `run_pending`: the deterministic mode the runtime's unit tests use.
"""`Dispatcher`: a pool of threads running actor turns from one run queue."""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from impls.actor.runtime.cell import ActorCell

log = logging.getLogger(__name__)


class Dispatcher:
    """Runs actors on `threads` threads (0: on the caller's, see `run_pending`)."""

    def __init__(self, threads: int, throughput: int) -> None:
        if threads < 0 or throughput < 1:
            raise ValueError("threads must be >= 0 and throughput >= 1")
        self.throughput = throughput
        # SimpleQueue: put/get in C, and get() sleeps without holding the GIL.
        self._ready: queue.SimpleQueue[ActorCell | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._threads = [
            threading.Thread(target=self._work, name=f"actor-dispatcher-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def __len__(self) -> int:
        """Actors waiting for a thread."""
        return self._ready.qsize()

    def schedule(self, cell: ActorCell) -> None:
        """Queue `cell` for a turn (its mailbox has just become non-empty)."""
        self._ready.put(cell)

    def off_dispatcher_thread(self) -> bool:
        """False if the calling thread runs actor turns (so must never wait for a mailbox)."""
        return not getattr(self._local, "active", False)

    def _work(self) -> None:
        self._local.active = True
        ready = self._ready
        throughput = self.throughput
        while (cell := ready.get()) is not None:
            try:
                more = cell.run(throughput)
            except Exception:  # a runtime bug: keep the thread, lose the actor's turn
                log.exception("dispatcher: turn of %r failed", cell.ref)
                continue
            if more:
                ready.put(cell)

    def run_pending(self) -> int:
        """Run turns on the calling thread until no actor has mail; return how many ran.

        For tests with `threads=0`: every effect of the messages told so far has happened when
        this returns (timers and other threads aside).
        """
        self._local.active = True
        turns = 0
        try:
            while True:
                try:
                    cell = self._ready.get_nowait()
                except queue.Empty:
                    return turns
                if cell is None:
                    continue
                turns += 1
                if cell.run(self.throughput):
                    self._ready.put(cell)
        finally:
            self._local.active = False

    def close(self) -> None:
        """Stop the threads after their current turn (actors with mail are abandoned)."""
        for _ in self._threads:
            self._ready.put(None)
        for thread in self._threads:
            thread.join()
