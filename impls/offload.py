# Where /work runs when it is not inline: the pools of `--offload thread|process`.
"""Executor pools for `--offload`, created and warmed the same way for every impl."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import ParamSpec, TypeVar

from impls.config import ServerConfig
from impls.protocol.work import iterations_for, spin

P = ParamSpec("P")
T = TypeVar("T")


def _ignore_sigint() -> None:
    # Ctrl-C in a terminal signals the whole process group; the server shuts its pool down in
    # order, so the workers must not die first with a KeyboardInterrupt traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_pool(config: ServerConfig) -> Executor | None:
    """The executor for `config.offload` with `config.workers` workers, or None for inline.

    Worker processes are started with forkserver (forking a process that runs an event loop
    or threads copies their state half-way) and warmed up here, so the first request is not
    charged with process start-up. The /work calibration runs here too, for the same reason.
    """
    iterations_for(1)
    if config.offload == "none":
        return None
    pool: Executor
    if config.offload == "thread":
        pool = ThreadPoolExecutor(config.workers, thread_name_prefix="offload")
    else:
        ctx = multiprocessing.get_context("forkserver")
        pool = ProcessPoolExecutor(config.workers, mp_context=ctx, initializer=_ignore_sigint)
    wait([pool.submit(spin, 1) for _ in range(config.workers)])
    return pool


class CountedPool(Executor):
    """`pool`, counting the jobs submitted to it and not finished: the `offload` queue of
    docs/metrics.md, for an impl that submits through a library (asyncio's `run_in_executor`)
    rather than by hand. Its jobs finish on pool threads, hence the lock."""

    def __init__(self, pool: Executor) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        """Jobs submitted and not finished."""
        return self._pending

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future = self._pool.submit(fn, *args, **kwargs)
        with self._lock:
            self._pending += 1
        future.add_done_callback(self._finished)  # at once, if it is done already
        return future

    def _finished(self, _future: Future[T]) -> None:
        with self._lock:
            self._pending -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
