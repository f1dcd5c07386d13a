# `netmodels ping` and the launcher under it: the command writes a run `harness.results` loads,
# bad input is one line and exit 2, and the ready deadline fires for a program that never says
# it is ready (the deadline `benchmarks/ping.py` once checked only after a blocking readline).
#
# Rules of this file: load only against 127.0.0.1; no timing assertions - a deadline test uses a
# program that can never meet it, so only the deadline can end the wait.
"""Tests of `harness.ping` and `harness.runner.launch`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.ping.summary import Round, summarise
from harness.results import load
from harness.runner.launch import Launched, ServerError

NEVER_READY = "import time\nwhile True: time.sleep(60)"
"""A program that never prints its ready line."""

HALF_A_LINE = "import sys, time\nsys.stdout.write('{\"listening\"'); sys.stdout.flush()\n" + (
    "while True: time.sleep(60)"
)
"""A program that prints part of a line and then nothing: a `readline()` would block forever."""


@pytest.mark.parametrize("program", [NEVER_READY, HALF_A_LINE], ids=["silent", "half-a-line"])
def test_the_ready_deadline_fires(program: str) -> None:
    with (
        Launched([sys.executable, "-c", program]) as child,
        pytest.raises(ServerError, match="no ready line within"),
    ):
        child.launch(timeout=0.5)
    assert child.pid is None  # stopped: nothing left behind


def test_a_program_that_exits_before_its_ready_line_says_so() -> None:
    program = "import sys; sys.stderr.write('no such impl'); sys.exit(2)"
    with (
        Launched([sys.executable, "-c", program]) as child,
        pytest.raises(ServerError, match=r"exited with status 2(.|\n)*no such impl"),
    ):
        child.launch()


def test_the_ready_line_and_what_follows_it() -> None:
    program = "print('ready'); print('more', flush=True); import time; time.sleep(60)"
    with Launched([sys.executable, "-c", program]) as child:
        line = child.launch()
        assert line == b"ready"
        assert child.running
    assert not child.running


def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ping", "--impls", "no-such-impl"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("netmodels ping: error: --impls no-such-impl")
    assert "\n" not in err


def test_a_baseline_that_is_no_checkout_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ping", "--impls", "eventloop", "--baseline", str(tmp_path)]) == 2
    assert "--baseline" in capsys.readouterr().err


def test_ratios_to_the_bare_server_and_to_the_baseline() -> None:
    def round_(label: str, requests: int, cpu_s: float) -> Round:
        return Round(label, requests, 1.0, cpu_s, 0.0, 100.0, 200.0, 0)

    rounds = [
        round_("bare", 1000, 1.0),
        round_("bare@baseline", 1000, 1.0),
        round_("eventloop", 500, 1.0),
        round_("eventloop@baseline", 400, 1.0),
    ]
    labels = ["bare", "bare@baseline", "eventloop", "eventloop@baseline"]
    rows = {row["target"]: row for row in summarise(rounds, labels, "bare")}
    assert rows["eventloop"]["throughput_ratio"] == pytest.approx(0.5)
    assert rows["eventloop@baseline"]["throughput_ratio"] == pytest.approx(0.4)
    assert rows["eventloop"]["baseline_throughput_ratio"] == pytest.approx(1.25)
    assert rows["eventloop"]["baseline_cpu_ratio"] == pytest.approx(0.8)
    assert rows["eventloop@baseline"]["baseline_throughput_ratio"] is None


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_ping_writes_a_run_the_results_package_loads(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "harness.cli", "ping", "--impls", "eventloop"),
            *("--repeat", "1", "--duration", "1", "--warmup", "0", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ratio to bare" in done.stdout
    trials = load(out)
    assert sorted(trials["impl"]) == ["bare", "eventloop"]
    assert set(trials["driver"]) == {"wrk"}
    assert (trials["requests"] > 0).all()
    assert not trials["flags"].fillna("").str.contains("failed").any()
