# The commands as a user runs them: `netmodels bench` against a server of known behaviour, and
# a sweep interrupted with Ctrl-C (SIGINT) halfway, then finished with --resume.
"""End-to-end tests of `netmodels bench` and `netmodels sweep` (subprocesses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from _harness_servers import Behaviour, TestServer

from harness.results import load
from impls.registry import IMPLS

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 60.0


def netmodels(*args: str) -> subprocess.Popen[str]:
    """`netmodels ARGS` in a session of its own, like a command typed at a terminal."""
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_bench_against_a_target(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with TestServer(Behaviour()) as server:
        bench = netmodels(
            "bench",
            "--target",
            f"{server.host}:{server.port}",
            "--impl",
            "external",
            "-c",
            "2",
            "--duration",
            "0.5",
            "--warmup",
            "0",
            "--out",
            str(out),
        )
        stdout, stderr = bench.communicate(timeout=DEADLINE)
    assert bench.returncode == 0, stderr
    assert f"results: {out}" in stdout
    trials = load(out)
    assert trials.attrs["manifest"]["complete"] is True
    assert trials.iloc[0]["requests"] > 0
    assert trials.iloc[0]["errors"] == 0


TINY = """
name = "tiny"
duration = 0.5
warmup = 0.1
repetitions = 1
impls = ["{impl}"]

[capacity]
connections = 4
duration = 0.5
warmup = 0.1

[[matrix]]
protocols = ["http"]
connections = [4]

[[matrix]]
protocols = ["http"]
modes = ["open"]
connections = [4]
rate_fractions = [0.5]

[[matrix]]
protocols = ["echo"]
connections = [4]
payloads = [256]
"""


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling a condition with a deadline, not synchronising on time


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_sweep_leaves_no_process_and_resumes(
    sig: signal.Signals, tmp_path: Path
) -> None:
    impl = next(iter(IMPLS))
    profile = tmp_path / "tiny.toml"
    profile.write_text(TINY.format(impl=impl))
    out = tmp_path / "run"
    sweep = netmodels("sweep", str(profile), "--out", str(out))
    me = psutil.Process(sweep.pid)

    def rows() -> int:
        path = out / "trials.csv"
        return len(path.read_text().splitlines()) - 1 if path.exists() else 0

    def serving() -> bool:
        try:
            return any("serve" in " ".join(p.cmdline()) for p in me.children(recursive=True))
        except psutil.Error:
            return False

    wait_for(lambda: rows() >= 1, "the first trial")
    wait_for(serving, "the second trial's server")
    children = me.children(recursive=True)
    assert children  # server, forkserver, driver processes
    if sig == signal.SIGINT:
        os.killpg(sweep.pid, signal.SIGINT)  # Ctrl-C: the whole foreground process group
        stdout, stderr = sweep.communicate(timeout=DEADLINE)
        assert sweep.returncode == 130, stderr
        assert "--resume" in stderr
    else:  # kill -9 of the sweep alone: the kernel takes its server and drivers with it
        sweep.kill()
        sweep.communicate(timeout=DEADLINE)
        assert sweep.returncode == -signal.SIGKILL
    _, alive = psutil.wait_procs(children, timeout=DEADLINE)
    assert alive == [], [p.cmdline() for p in alive]

    partial = load(out)
    assert partial.attrs["manifest"]["complete"] is False
    assert 1 <= len(partial) < 4

    resumed = netmodels("sweep", "--resume", str(out))
    stdout, stderr = resumed.communicate(timeout=DEADLINE * 2)
    assert resumed.returncode == 0, stderr
    assert f"results: {out}" in stdout
    full = load(out)
    assert full.attrs["manifest"]["complete"] is True
    assert list(full["trial_id"]) == ["0001", "0002", "0003", "0004"]
    assert list(full["role"]) == ["capacity", "measure", "measure", "measure"]
    assert list(full["protocol"]) == ["http", "http", "http", "echo"]
    assert list(full["mode"]) == ["closed", "closed", "open", "closed"]
    capacity = full.iloc[0]["rps"]
    assert full.iloc[2]["rate"] == max(1, round(capacity * 0.5))  # from the first session
    assert (full["requests"] > 0).all()
    assert len(full.attrs["manifest"]["sessions"]) == 2
    series = load(out, "timeseries")
    assert set(series["trial_id"]) == set(full["trial_id"])
