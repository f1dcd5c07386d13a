# The command line as a new user meets it, through the real console script in a child process:
# every bad input is one line naming the option as typed, exit 2, no traceback, no usage block,
# nothing started and no run directory; `--debug` adds the traceback; runs go under the current
# directory. Loopback only; every command is bounded by a timeout.
"""`netmodels` bad input and where results go, end to end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.results import RESULTS_ENV, load
from impls.registry import IMPLS

NETMODELS = str(Path(sys.executable).with_name("netmodels"))
DEADLINE = 60.0


def netmodels(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`netmodels ARGS` from `cwd`, to its end (bounded)."""
    return subprocess.run(
        [NETMODELS, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def taken() -> Iterator[int]:
    """A port something already listens on (127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def cases(port: int) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments, the one line's start after `netmodels X: error: `)."""
    return {
        "serve port in use": (
            ["serve", "--impl", "eventloop", "--port", str(port)],
            f"--port {port}: cannot listen on 127.0.0.1:{port}: address already in use",
        ),
        "serve admin port in use": (
            ["serve", "--impl", "threads", "--port", "0", "--admin-port", str(port)],
            f"--admin-port {port}: cannot listen on 127.0.0.1:{port}: address already in use",
        ),
        "serve host not here": (
            ["serve", "--impl", "actor", "--host", "192.0.2.1"],
            "--host 192.0.2.1: no such address on this machine",
        ),
        "serve bad value": (
            ["serve", "--impl", "eventloop", "--port", "eighty"],
            "argument --port: invalid int value: 'eighty'",
        ),
        "serve setting conflict": (
            ["serve", "--impl", "function", "--write-low-water", "999999999"],
            "--write-low-water must not exceed --write-high-water",
        ),
        "bench unknown impl": (
            ["bench", "--impl", "nosuch", "--duration", "1"],
            "--impl nosuch: no such impl or target",
        ),
        "bench selector not here": (
            ["bench", "--server-opt", "selector=kqueue", "--duration", "1"],
            "--server-opt selector=kqueue: invalid choice: 'kqueue'",
        ),
        "bench unknown server option": (
            ["bench", "--server-opt", "bogus=1", "--duration", "1"],
            "--server-opt bogus=1: no such server option",
        ),
        "bench bad count": (
            ["bench", "--connections", "many"],
            "argument --connections/-c: invalid int value: 'many'",
        ),
        "sweep unknown profile": (["sweep", "nosuch"], "no profile 'nosuch'"),
        "sweep resume missing": (
            ["sweep", "--resume", "missing"],
            "--resume missing: not a run directory (no such directory)",
        ),
        "report missing": (["report", "missing"], "missing: no such directory"),
        "unknown command": (["benchh"], "argument COMMAND: invalid choice: 'benchh'"),
    }


CASES = list(cases(0))


@pytest.fixture(scope="module")
def outcomes(
    taken: int, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[subprocess.CompletedProcess[str], Path, str]]:
    """Every case at once, each from a fresh empty directory."""
    started = {}
    for name, (args, expected) in cases(taken).items():
        cwd = tmp_path_factory.mktemp(name.replace(" ", "-"))
        process = subprocess.Popen(
            [NETMODELS, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started[name] = (process, cwd, expected)
    done = {}
    for name, (process, cwd, expected) in started.items():
        try:
            out, err = process.communicate(timeout=DEADLINE)
        finally:
            process.kill()
        result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        done[name] = (result, cwd, expected)
    return done


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_exit_2(
    case: str, outcomes: dict[str, tuple[subprocess.CompletedProcess[str], Path, str]]
) -> None:
    done, cwd, expected = outcomes[case]
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    command = "netmodels" if case == "unknown command" else f"netmodels {done.args[1]}"
    assert lines[0].startswith(f"{command}: error: {expected}"), lines[0]
    assert "Traceback" not in done.stderr
    assert "usage:" not in done.stderr
    assert done.stdout == ""  # no ready line, no results path
    assert list(cwd.iterdir()) == []  # no run directory, nothing written


def test_debug_shows_the_traceback(taken: int, tmp_path: Path) -> None:
    done = netmodels("serve", "--impl", "eventloop", "--port", str(taken), "--debug", cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "address already in use" in done.stderr.lower()


def test_results_load_of_nothing_says_so_in_one_line() -> None:
    with pytest.raises(FileNotFoundError) as caught:
        load("no-such-run-here")
    assert str(caught.value) == "no-such-run-here: not a run directory (no such directory)"


BENCH = ["bench", "--impl", "eventloop", "--connections", "2", "--duration", "0.5", "--warmup", "0"]


def test_bench_writes_under_the_current_directory(tmp_path: Path) -> None:
    done = netmodels(*BENCH, cwd=tmp_path, env={RESULTS_ENV: ""})
    assert done.returncode == 0, done.stderr
    (run,) = (tmp_path / "results").iterdir()
    assert (run / "manifest.json").is_file()
    assert f"results: {Path('results') / run.name}" in done.stdout or str(run) in done.stdout
    assert len(load(run)) == 1


def test_the_environment_moves_the_results(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    done = netmodels(*BENCH, cwd=tmp_path, env={RESULTS_ENV: str(elsewhere)})
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "results").exists()
    (run,) = elsewhere.iterdir()
    assert (run / "manifest.json").is_file()


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("which", ["--port", "--admin-port"])
def test_every_impl_reports_a_taken_port_in_one_line(
    impl: str, which: str, taken: int, tmp_path: Path
) -> None:
    ports = ["--port", str(taken)] if which == "--port" else ["--port", "0", which, str(taken)]
    done = netmodels("serve", "--impl", impl, *ports, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"netmodels serve: error: {which} {taken}: cannot listen on 127.0.0.1:{taken}: "
        "address already in use (another process listens there; choose another port, or 0 "
        "for a free one)"
    ]
