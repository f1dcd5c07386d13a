# One driver process. It runs in a fresh process (multiprocessing's forkserver: no threads or
# sockets of the harness are inherited), pins itself, opens its connections (measured, then
# idle), reports ready, waits for the parent's start time, runs, and sends back one `Report`.
#
# Rules of this file: the parent decides when a worker stops. SIGINT is ignored here, because a
# Ctrl-C at the terminal reaches every process of the foreground group, and the parent's cleanup
# (terminate, then kill) must be the one thing that ends a worker. A worker whose parent vanished
# still ends: on Linux the kernel sends it SIGTERM when its parent - the forkserver, which dies
# with the harness (`preload`) - dies; elsewhere its run is bounded by the plan's times, and a
# closed pipe ends the wait for "go".
"""Entry point of a driver process."""

from __future__ import annotations

import asyncio
import signal
from multiprocessing.connection import Connection

import uvloop

from harness.driver.load import Load
from harness.driver.messages import Plan, Times
from harness.process.lifetime import die_with_parent
from harness.process.limits import check_connections
from harness.process.pinning import pin_process


def main(plan: Plan, pipe: Connection) -> None:
    """Run one driver process: ("ready", n, errors) -> ("go", Times) -> ("report", Report)."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pin_process(0, plan.cpus)
    try:
        check_connections(plan.connections, plan.idle)
    except OSError as exc:
        pipe.send(("error", str(exc)))
        return
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        load = Load(plan, loop)
        connected = loop.run_until_complete(load.connect())
        pipe.send(("ready", connected, dict(load.connect_errors)))
        try:
            message = pipe.recv()
        except EOFError:
            return
        if message[0] != "go":
            return
        times: Times = message[1]
        report = loop.run_until_complete(load.run(times))
        pipe.send(("report", report))
    finally:
        loop.close()
