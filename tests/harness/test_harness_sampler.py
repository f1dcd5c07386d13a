"""The server sampler gives way to the driver: its thread runs in the idle scheduling class."""

from __future__ import annotations

import os
import threading
import time

import pytest

from harness.runner import ServerSampler


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE on this platform")
def test_sampler_thread_is_idle_class_and_the_caller_is_not() -> None:
    sampler = ServerSampler(os.getpid(), None, time.monotonic_ns())
    sampler.start()
    try:
        thread = next(t for t in threading.enumerate() if t.name == "server-sampler")
        assert thread.native_id is not None
        deadline = time.monotonic() + 5.0
        policy = os.sched_getscheduler(thread.native_id)
        while policy != os.SCHED_IDLE and time.monotonic() < deadline:
            policy = os.sched_getscheduler(thread.native_id)
        assert policy == os.SCHED_IDLE
        assert os.sched_getscheduler(0) != os.SCHED_IDLE
    finally:
        samples = sampler.stop()
    assert samples
    assert samples[0].cpu_s is not None
