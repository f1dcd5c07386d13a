# Where /work's CPU time is spent in the threads impl.
#
# Rules of this file: the calling connection thread always waits for the result - inline it
# computes itself (holding the GIL, so every other thread gets only its switch-interval turns),
# offloaded it blocks on the pool's future, which releases the GIL while it waits. Waiting on a
# future is this model's idiom for offload: no callback, no loop, just a blocked thread.
"""`Compute`: runs `spin` inline or in the `--offload` pool and counts the pool's jobs."""

from __future__ import annotations

import threading

from impls.config import ServerConfig
from impls.offload import make_pool
from impls.protocol import spin


class Compute:
    """Runs /work for connection threads, per `config.offload`."""

    def __init__(self, config: ServerConfig) -> None:
        self._pool = make_pool(config)
        self._lock = threading.Lock()
        self._pending = 0

    def run(self, iterations: int) -> int:
        """`spin(iterations)`, computed here or in the pool; blocks the caller until done."""
        pool = self._pool
        if pool is None:
            return spin(iterations)
        with self._lock:
            self._pending += 1
        try:
            return pool.submit(spin, iterations).result()
        finally:
            with self._lock:
                self._pending -= 1

    @property
    def pending(self) -> int:
        """Jobs submitted to the pool and not finished (queued or running)."""
        return self._pending

    def shutdown(self) -> None:
        """Stop the pool: queued jobs are cancelled, running ones (at most 1 s each) finish."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
