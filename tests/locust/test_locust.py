# `netmodels locust` end to end, through the real command (`python -m harness.cli locust`) in
# child processes: this test process never imports locust (importing it monkey-patches the
# interpreter with gevent). Loopback only; every wait is bounded; the pure parts (request plan,
# verdicts, Locust's JSON) are checked from tables without starting anything.
"""Locust as a netmodels driver: runs, results, no orphans, bad input."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness.analysis.run import Run
from harness.driver import histogram
from harness.experiments import BY_KEY
from harness.locust import convert, plan
from harness.results import load


def _locust_installed() -> bool:
    """True when Locust itself is importable - not just this folder, which a test run that has
    `tests/` on sys.path would find as a namespace package named `locust`."""
    spec = importlib.util.find_spec("locust")
    return spec is not None and spec.origin is not None


pytestmark = pytest.mark.skipif(
    not _locust_installed(),
    reason="locust is not installed (pip install 'netmodels[locust]')",
)

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 60.0
"""Seconds any one command, or any wait for processes to appear or vanish, may take."""

COMMAND = [sys.executable, "-m", "harness.cli", "locust"]


def netmodels_locust(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `netmodels locust ARGS` to its end (bounded)."""
    return subprocess.run(
        [*COMMAND, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=DEADLINE * 2,
        check=False,
    )


# --- the request plan and the verdicts: the driver's requests, the driver's error names ---

CALL_CASES = [
    ("ping", 0, "GET", "/ping", b"", b"PONG"),
    ("echo", 5, "POST", "/echo", b"01234", b"01234"),
    ("bytes", 20, "GET", "/bytes?n=20", b"", b"0123456789abcdef0123"),
    ("delay:3", 0, "GET", "/delay?ms=3", b"", b"slept 3 ms"),
    ("work:1", 0, "GET", "/work?ms=1", b"", None),
]


@pytest.mark.parametrize("case", CALL_CASES, ids=[c[0] for c in CALL_CASES])
def test_http_cycle_sends_what_the_driver_sends(
    case: tuple[str, int, str, str, bytes, bytes | None],
) -> None:
    workload, payload, *expected = case
    (call,) = plan.http_cycle(workload, payload, 0)
    assert [call.method, call.path, call.body, call.expect] == expected
    assert call.status == 200


def test_mix_keeps_its_weights() -> None:
    cycle = plan.http_cycle("ping@95+work:1@5", 0, 0)
    labels = [c.label for c in cycle]
    assert labels.count("work:1") == len(cycle) // 20
    assert labels[:50] != sorted(labels[:50])  # shuffled: the rare kind is spread out


VERDICTS = [
    (plan.HttpCall("ping", "GET", "/ping", b"", 200, b"PONG"), 200, b"PONG", None),
    (plan.HttpCall("ping", "GET", "/ping", b"", 200, b"PONG"), 503, b"busy", "status_503"),
    (plan.HttpCall("ping", "GET", "/ping", b"", 200, b"PONG"), 200, b"PONK", "wrong_body"),
    (plan.HttpCall("ping", "GET", "/ping", b"", 200, b"PONG"), 200, b"PON", "wrong_length"),
    (plan.HttpCall("work:1", "GET", "/work?ms=1", b"", 200, None), 200, b"1234", None),
    (plan.HttpCall("work:1", "GET", "/work?ms=1", b"", 200, None), 200, b"12a", "wrong_body"),
]


@pytest.mark.parametrize(("call", "status", "body", "kind"), VERDICTS)
def test_verdict(call: plan.HttpCall, status: int, body: bytes, kind: str | None) -> None:
    assert plan.verdict(call, status, body) == kind


def test_echo_verdict() -> None:
    message = plan.stream_message(8)
    assert plan.echo_verdict(message, message) is None
    assert plan.echo_verdict(message, message[:7]) == "wrong_length"
    assert plan.echo_verdict(message, message[::-1]) == "wrong_body"


LOCUST_JSON = [
    {
        "name": "ping",
        "start_time": 100.0,
        "last_request_timestamp": 110.0,
        "num_requests": 1000,
        "num_failures": 10,
        "total_content_length": 4000,
        "response_times": {"0": 600, "1": 390, "2": 10},
    },
    {
        "name": "work:1",
        "start_time": 100.0,
        "last_request_timestamp": 109.5,
        "num_requests": 50,
        "num_failures": 0,
        "total_content_length": 200,
        "response_times": {"2": 50},
    },
]


def test_locust_json_is_summed() -> None:
    stats = convert.LocustStats.parse(LOCUST_JSON)
    assert (stats.requests, stats.failures, stats.duration) == (1050, 10, 10.0)
    assert stats.response_times == {0: 600, 1: 390, 2: 60}
    rounded = convert.rounded_latency(stats.response_times)
    assert rounded["p50"] == 0.0  # Locust's whole milliseconds: what the plugin is there for
    assert rounded["max"] == 2000.0


def test_cpu_warning_is_found_in_the_log() -> None:
    assert convert.cpu_warned("... vm/WARNING/root: CPU usage above 90%! This may ...")
    assert convert.cpu_warned("CPU usage was too high at some point during the test!")
    assert not convert.cpu_warned("Starting Locust 2.47.0")


# --- a master and two workers on loopback, through the real command ---


@pytest.mark.parametrize("protocol", ["http", "echo"])
def test_master_and_two_workers_store_a_run(protocol: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = netmodels_locust(
        "--impl", "eventloop", "--protocol", protocol, "--workers", "2", "--users", "2",
        "--duration", "6", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    trials = load(out)
    manifest = trials.attrs["manifest"]
    assert manifest["complete"] is True
    assert manifest["locust"]["latency_resolution"] == convert.HDR_RESOLUTION
    assert manifest["locust"]["version"]
    (row,) = trials.to_dict("records")
    assert row["driver"] == "locust"
    assert row["driver_procs"] == 2
    assert row["protocol"] == protocol
    assert row["errors"] == 0, row["error_kinds"]
    assert row["requests"] > 100
    assert row["server_cpu_us_per_req"] > 0
    # The latencies keep microseconds (the plugin's histogram), not Locust's whole milliseconds:
    # the stored histogram holds many distinct values, most of them not whole milliseconds, and
    # the row's percentiles are that histogram's.
    recorded = histogram.decode((out / row["histogram"]).read_text().strip())
    values = {v.value_iterated_to for v in recorded.get_recorded_iterator()}
    assert len(values) > 10, values
    assert sum(v % 1000 != 0 for v in values) > len(values) / 2, sorted(values)
    assert row["p50_us"] == histogram.summary(recorded)["p50"]


# --- the drivers comparison (E10): one sweep, one server, every driver ---

DRIVERS_PROFILE = """
name = "drivers-test"
duration = 2.0
warmup = 0.5
repetitions = 1
impls = []

[[matrix]]
experiment = "E10"
impls = ["bare"]
connections = [4]
drivers = ["netmodels", "wrk", "locust:1", "locust:2"]
"""


def test_a_sweep_compares_the_drivers_in_its_report(tmp_path: Path) -> None:
    profile = tmp_path / "drivers.toml"
    profile.write_text(DRIVERS_PROFILE)
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "sweep", str(profile), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=DEADLINE * 4,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = BY_KEY["E10"].table(Run.load(out))
    rows = {r["driver"]: r for r in table.to_dict("records")}
    assert set(rows) == {"netmodels", "wrk", "locust:1", "locust:2"}
    ran = ["netmodels", "locust:1", "locust:2"] + (["wrk"] if shutil.which("wrk") else [])
    for driver in ran:
        assert rows[driver]["missing"] == "", rows[driver]
        assert rows[driver]["rps"] > 0, rows[driver]
        assert rows[driver]["driver_us_per_req"] > 0, rows[driver]
    assert rows["locust:2"]["procs"] == 2
    if not shutil.which("wrk"):
        assert "wrk is not on PATH" in rows["wrk"]["missing"]
    assert "E10. The instrument" in (out / "report.md").read_text()


# --- nothing outlives `netmodels locust`, however it ends ---


def ended(process: psutil.Process) -> bool:
    """Exited, or a zombie nobody has reaped yet."""
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def wait_for(condition: object, what: str) -> None:
    """Poll `condition()` until true, failing after the deadline."""
    deadline = time.monotonic() + DEADLINE
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # polling pace; the condition itself is what is waited for


def established(pid: int) -> int:
    """TCP connections the server process has established (its users' connections)."""
    try:
        conns = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return 0
    return sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED)


@contextlib.contextmanager
def running_fleet(out: Path) -> Iterator[tuple[subprocess.Popen[bytes], list[psutil.Process]]]:
    """`netmodels locust` with a master and a worker, mid-run: yields it and its descendants."""
    process = subprocess.Popen(
        [*COMMAND, "--impl", "eventloop", "--workers", "1", "--users", "4", "--duration", "60",
         "--out", str(out)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    parent = psutil.Process(process.pid)
    children: list[psutil.Process] = []
    try:

        def started() -> bool:
            nonlocal children
            children = parent.children(recursive=True)
            lines = [" ".join(_cmdline(c)) for c in children]
            servers = [c for c, line in zip(children, lines, strict=True) if " serve " in line]
            locusts = [line for line in lines if "-m locust" in line]
            return len(locusts) == 2 and bool(servers) and established(servers[0].pid) >= 4

        wait_for(started, "a server, a master and a worker driving it")
        yield process, children
    finally:
        process.kill()
        process.communicate(timeout=DEADLINE)
        for child in children:  # cleanup of a failed test: nothing may outlive it
            with contextlib.suppress(psutil.Error):
                child.kill()


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_no_process_outlives_the_command(sig: signal.Signals, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with running_fleet(out) as (process, children):
        os.kill(process.pid, sig)
        status = process.wait(timeout=DEADLINE)
        deadline = time.monotonic() + DEADLINE
        alive = [c for c in children if not ended(c)]
        while alive and time.monotonic() < deadline:
            psutil.wait_procs(alive, timeout=0.1)  # a bounded wait for a change, then look again
            alive = [c for c in alive if not ended(c)]
        assert alive == [], [" ".join(_cmdline(c)) for c in alive]
    if sig == signal.SIGINT:
        assert status == 130
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["complete"] is False
        assert manifest["interrupted"]


# --- bad input: one line, exit 2, nothing started, no run directory ---


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


NOT_INSTALLED = (
    "import sys; sys.modules['locust'] = None; from harness.cli import main; "
    "sys.exit(main(sys.argv[1:]))"
)

BAD_INPUT = {
    "target not listening": ["--target", f"127.0.0.1:{_free_port()}"],
    "master not reachable": ["--worker", "127.0.0.1", "--master-port", str(_free_port()),
                             "--wait-workers", "1"],
    "no workers": ["--workers", "0"],
    "missing locustfile": ["--locustfile", "/nonexistent/locustfile.py"],
    "unknown impl": ["--impl", "no-such-impl"],
    "locust not installed": [],
}  # fmt: skip


@pytest.fixture(scope="module")
def bad_input_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    """Every bad-input case at once (each spends its time waiting, not computing)."""
    base = tmp_path_factory.mktemp("bad")
    started = {}
    for name, args in BAD_INPUT.items():
        out = base / name.replace(" ", "-")
        argv = [*args, "--out", str(out)]
        if name == "locust not installed":
            command = [sys.executable, "-c", NOT_INSTALLED, "locust", *argv]
        else:
            command = [*COMMAND, *argv]
        started[name] = (
            subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE),
            out,
        )
    results = {}
    for name, (process, out) in started.items():
        _, err = process.communicate(timeout=DEADLINE)
        results[name] = (process.returncode, err.decode(), out)
    return results


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_and_exit_2(
    case: str, bad_input_runs: dict[str, tuple[int, str, Path]]
) -> None:
    status, err, out = bad_input_runs[case]
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("netmodels locust: error: ")
    assert not out.exists()
