# The part of netmodels that runs inside a Locust process (imported by the locustfile): the
# workload options, and latency kept at the netmodels driver's resolution.
#
# Locust keeps response times rounded to about two significant digits - whole milliseconds below
# 100 ms - which erases every sub-millisecond latency of these servers. So every process that
# runs users also records each right answer's latency, in microseconds, into an HdrHistogram
# (3 significant digits, `harness.driver.histogram`). A worker sends what it recorded since its
# last report with each of Locust's own worker reports (`report_to_master`); the master merges
# them (`worker_report`) and, as Locust quits, writes the merged histogram, the error kinds and
# the workers' CPU shares to the `--netmodels-summary` file. A standalone Locust (no workers)
# writes its own.
#
# Rules of this file: it runs on gevent - nothing here may block (no asyncio, no threads); the
# request listener only appends an integer to a list (a batch moves into the histogram with each
# report, one numpy call, as the driver does it); the window measured is Locust's own: everything
# recorded before the statistics are reset at the end of spawning (`--reset-stats`) is dropped.
"""Locust event listeners: workload options, HDR latency, error kinds, worker CPU, summary."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from harness.driver import histogram

REPORT_KEY = "netmodels"
"""The key of netmodels' part of a worker report (Locust's own keys stay untouched)."""

ERROR_KINDS = {
    ConnectionRefusedError: "connect_refused",
    ConnectionResetError: "connection_reset",
    BrokenPipeError: "connection_reset",
    TimeoutError: "timeout",
}


class WrongAnswerError(Exception):
    """An answer that came back but is not the right one; its message is the error kind."""


def error_kind(exception: BaseException | str) -> str:
    """The netmodels name of a failed request's cause (`wrong_body`, `connect_refused`, ...)."""
    if isinstance(exception, str):
        return exception
    for cls, kind in ERROR_KINDS.items():
        if isinstance(exception, cls):
            return kind
    if isinstance(exception, WrongAnswerError) or type(exception).__name__ == "CatchResponseError":
        return str(exception)  # the kind the locustfile passed to `failure()`
    return type(exception).__name__


class Recorder:
    """What one Locust process measured since its last report (a worker) or in all (else)."""

    def __init__(self) -> None:
        self.pending_ns: list[int] = []
        self.latency = histogram.new()
        self.errors: Counter[str] = Counter()
        self.cpu_start = time.process_time()
        self.wall_start = time.monotonic()

    def reset(self) -> None:
        """Forget everything: the measurement starts now."""
        self.pending_ns = []
        self.latency = histogram.new()
        self.errors = Counter()
        self.cpu_start = time.process_time()
        self.wall_start = time.monotonic()

    def flush(self) -> None:
        """Move the pending latencies into the histogram, in one batch."""
        histogram.record_ns(self.latency, self.pending_ns)
        self.pending_ns = []

    def cpu_share(self) -> float:
        """This process's CPU time over wall time since the measurement started."""
        wall = time.monotonic() - self.wall_start
        return (time.process_time() - self.cpu_start) / wall if wall > 0 else 0.0

    def report(self) -> dict[str, Any]:
        """What goes into a worker report: the latencies and errors since the last one."""
        self.flush()
        out = {
            "hdr": histogram.encode(self.latency) if self.latency.get_total_count() else "",
            "errors": dict(self.errors),
            "cpu": self.cpu_share(),
        }
        self.latency = histogram.new()
        self.errors = Counter()
        return out


class Merged:
    """The master's (or a standalone process's) totals."""

    def __init__(self) -> None:
        self.latency = histogram.new()
        self.errors: Counter[str] = Counter()
        self.cpu: dict[str, float] = {}

    def reset(self) -> None:
        """Forget everything: the measurement starts now."""
        self.latency = histogram.new()
        self.errors = Counter()
        self.cpu = {}

    def add(self, client_id: str, part: dict[str, Any]) -> None:
        """Merge one worker report's netmodels part."""
        if part.get("hdr"):
            self.latency.add(histogram.decode(part["hdr"]))
        self.errors.update(part.get("errors", {}))
        self.cpu[client_id] = float(part.get("cpu", 0.0))

    def summary(self, environment: Environment) -> dict[str, Any]:
        """The summary file's content."""
        runner = environment.runner
        return {
            "histogram": histogram.encode(self.latency) if self.latency.get_total_count() else "",
            "latency_count": self.latency.get_total_count(),
            "errors": dict(self.errors),
            "worker_cpu": self.cpu,
            "cpu_warning": bool(
                runner is not None
                and (runner.cpu_warning_emitted or getattr(runner, "worker_cpu_warning_emitted", 0))
            ),
        }


recorder = Recorder()
merged = Merged()


def add_options(parser: Any) -> None:
    """The workload options; Locust passes a master's custom options on to its workers."""
    # Read from the environment too: `netmodels locust` sets them there, so that a locustfile
    # of your own that does not import this module is not given options it does not know.
    parser.add_argument(
        "--netmodels-workload", env_var="NETMODELS_WORKLOAD", default="ping", help="workload"
    )
    parser.add_argument(
        "--netmodels-payload", env_var="NETMODELS_PAYLOAD", type=int, default=0, help="bytes"
    )
    parser.add_argument(
        "--netmodels-seed", env_var="NETMODELS_SEED", type=int, default=0, help="seed of mixes"
    )
    parser.add_argument(
        "--netmodels-summary",
        env_var="NETMODELS_SUMMARY",
        default="",
        include_in_web_ui=False,
        help="where the master writes the netmodels summary (JSON)",
    )


def on_request(
    response_time: float | None, exception: BaseException | str | None, **_: Any
) -> None:
    """Keep a right answer's latency (ms, float) in nanoseconds; count a wrong one's kind."""
    if exception is not None:
        recorder.errors[error_kind(exception)] += 1
    elif response_time is not None:
        recorder.pending_ns.append(int(response_time * 1e6))


def on_spawning_complete(user_count: int, **_: Any) -> None:
    """The measurement starts when Locust resets its statistics: so do we."""
    environment = _environment()
    if environment is not None and environment.reset_stats:
        recorder.reset()
        merged.reset()


def on_report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    """A worker: send what was recorded since the last report."""
    data[REPORT_KEY] = recorder.report()


def on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    """The master: merge a worker's part."""
    if REPORT_KEY in data:
        merged.add(client_id, data[REPORT_KEY])


_environments: list[Environment] = []


def on_init(environment: Environment, **_: Any) -> None:
    """Remember the environment (its options and runner are read later)."""
    _environments.append(environment)


def _environment() -> Environment | None:
    return _environments[-1] if _environments else None


def on_quit(exit_code: int, **_: Any) -> None:
    """The master or a standalone Locust: write the summary (after Locust's final stats)."""
    environment = _environment()
    if environment is None or isinstance(environment.runner, WorkerRunner):
        return
    options = environment.parsed_options
    path = getattr(options, "netmodels_summary", "") if options is not None else ""
    if not path:
        return
    if not isinstance(environment.runner, MasterRunner):
        merged.add("local", recorder.report())
    with open(path, "w", encoding="utf-8") as f:
        json.dump(merged.summary(environment), f)


# Registered at import, before Locust parses its command line (it imports the locustfile first).
for _event, _listener in (
    (events.init_command_line_parser, add_options),
    (events.request, on_request),
    (events.spawning_complete, on_spawning_complete),
    (events.report_to_master, on_report_to_master),
    (events.worker_report, on_worker_report),
    (events.init, on_init),
    (events.quit, on_quit),
):
    _event.add_listener(_listener)  # type: ignore[no-untyped-call]  # unannotated in locust
