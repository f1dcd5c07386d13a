# Where /work runs when it is not inline: the pools of `--offload thread|process`.
"""Executor pools for `--offload`, created and warmed the same way for every impl."""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait

from .config import ServerConfig
from .protocol.work import iterations_for, spin


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
