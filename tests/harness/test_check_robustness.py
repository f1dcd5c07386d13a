# `netmodels check robustness`: the whole table against real servers, scenarios that must fail
# (a server that answers 200 to everything, a deliberately wrong expectation injected into the
# table, a server killed mid-table), and bad input.
#
# Rules of this file: servers are real `netmodels serve` processes or the in-process test servers
# of _harness_servers.py, on 127.0.0.1 only; every wait in the check has a deadline of its own;
# nothing here sleeps or asserts a duration.
"""Tests of `harness.check`: exit status 0, 1 and 2, and what the report shows."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from _harness_servers import Behaviour, TestServer

from harness.check import add_check_options, run
from harness.check import scenarios as scenarios_module
from harness.check.corpus import CORPUS
from harness.check.hostile import Hostile, Kind, get
from harness.check.live import Live
from harness.check.scenarios import SCENARIOS, check_hostile, corpus_scenario
from harness.check.verdict import Scenario, Verdict
from impls.registry import IMPLS


def parse(*argv: str) -> argparse.Namespace:
    """The options of `netmodels check robustness ARGV`, as the CLI will parse them."""
    parser = argparse.ArgumentParser(prog="netmodels check")
    add_check_options(parser)
    return parser.parse_args(["robustness", *argv])


def test_every_impl_passes_with_both_parsers_through_the_command() -> None:
    """The issue's bar: `netmodels check robustness` passes for every impl with both parsers,
    run as a user runs it (the console script, a child process)."""
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("netmodels")),
            "check",
            "robustness",
            "--parser",
            "all",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    out = done.stdout
    assert "robustness, parser httptools" in out
    assert "robustness, parser h11" in out
    for scenario in SCENARIOS:  # every row, under its (possibly shortened) name
        assert scenario.name[:24] in out
    targets = 2 * len(IMPLS)
    assert f"{len(SCENARIOS)} scenarios x {targets} targets" in out
    assert "all pass" in out
    assert not [line for line in out.splitlines() if line.startswith("FAIL")]


def test_an_injected_failing_scenario_exits_1_with_its_evidence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = Hostile(
        "GET /ping wants 418", "injected", get("/ping"), 418, "deliberately wrong", Kind.ANSWERED
    )
    table = (corpus_scenario(wrong), *(s for s in SCENARIOS if s.name == "garbage"))
    monkeypatch.setattr(scenarios_module, "SCENARIOS", table)

    status = run(parse("--impl", "eventloop"))

    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL eventloop/httptools · GET /ping wants 418 (injected)" in out
    assert "expected 418 (deliberately wrong)" in out
    assert "2 scenarios x 1 targets: 1 pass, 1 FAIL" in out


def _kill(live: Live) -> Verdict:
    live.signal(signal.SIGKILL)
    live.wait_exit(10.0)
    return Verdict(True, "killed")


def test_a_server_that_dies_fails_its_row_and_is_replaced_for_the_next(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = next(s for s in SCENARIOS if s.name == "garbage")
    monkeypatch.setattr(
        scenarios_module, "SCENARIOS", (Scenario("kill -9", "injected", _kill), garbage)
    )

    status = run(parse("--impl", "threads"))

    out = capsys.readouterr().out
    assert status == 1
    assert "the server died (exit status -9)" in out
    assert "1 pass, 1 FAIL" in out  # the next row ran on a fresh server


LIAR_CASES = [
    next(case for case in CORPUS if case.name == "cl + te"),
    next(case for case in CORPUS if case.name == "GET /bytes?n=-1"),
]


@pytest.mark.parametrize("case", LIAR_CASES, ids=lambda case: case.name)
def test_a_server_that_answers_200_to_everything_fails(case: Hostile) -> None:
    with TestServer(Behaviour(status=200, body=b"PONG")) as liar:
        verdict = check_hostile((liar.host, liar.port), "eventloop", case)

    assert not verdict.ok
    assert verdict.seen.startswith("200")
    assert f"expected {case.status}" in verdict.detail
    assert "Server None" in verdict.detail  # nor does it carry the spec's headers
    if case.kind is Kind.REFUSED:
        assert "no Connection: close" in verdict.detail
        assert "expected a clean close (FIN), got open" in verdict.detail


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        pytest.param(["--impl", "nginx-but-faster"], "--impl", id="unknown-impl"),
        pytest.param(["--impl", "eventloop", "--impl", "nope"], "--impl", id="one-unknown-impl"),
        pytest.param(["--parser", "regex"], "--parser", id="unknown-parser"),
        pytest.param(["--only", "no such scenario"], "--only", id="pattern-matches-nothing"),
    ],
)
def test_bad_input_is_one_line_naming_the_option_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    status = run(parse(*argv))

    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"netmodels check robustness: error: {option}:")
    assert captured.out == ""


def test_list_names_every_scenario_and_starts_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse("--list", "--only", "smuggling", "--only", "*RST*")) == 0

    out = capsys.readouterr().out
    chosen = [s for s in SCENARIOS if s.group == "smuggling" or "RST" in s.name]
    assert len(out.strip().splitlines()) == len(chosen)
    for scenario in chosen:
        assert scenario.name in out
