# The shared-layer cost benchmark: every registered impl against a bare uvloop + httptools server
# on GET /ping, with the same external load tool, in one run.
#
# Rules of this benchmark (it measures; it asserts nothing, and no test runs it):
# - one load tool for every target: wrk, started as a separate process;
# - the server is pinned to one CPU and wrk to another, so they do not share a core;
# - the targets are interleaved (A B C A B C ...), so slow drift of a shared machine spreads over
#   all of them instead of landing on one; compare ratios within a run, not figures across runs;
# - server CPU time (user + system, from /proc via psutil) is measured across each wrk run, and
#   reported per request: throughput shows the ratio only while the server is the bottleneck,
#   CPU per request shows it even when it is not (the "server CPU" column says which).
"""Run `python benchmarks/ping.py --help`. Prints a table; `--json FILE` writes the record."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

FORMAT_VERSION = 1
"""Version of the --json record. History: 1 - first version."""

BARE = "bare"
ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0  # seconds a server may take to print its ready line (pool warm-up included)
STOP_TIMEOUT = 15.0  # seconds a server may take to exit after SIGTERM (its grace is 5 s)
SATURATED = 0.8  # server CPU share above which the server, not wrk, limits the throughput


@dataclass(frozen=True, slots=True)
class Run:
    """One wrk run against one target."""

    target: str
    round: int
    requests: int
    seconds: float
    requests_per_second: float
    server_cpu_seconds: float
    cpu_us_per_request: float
    user_us_per_request: float  # the server's own code (Python, the loop, the parser)
    system_us_per_request: float  # the kernel on its behalf (syscalls, TCP over loopback)
    server_cpu_utilisation: float  # server CPU seconds / wall seconds (1.0 = one core busy)
    latency_p50_ms: float
    latency_p99_ms: float
    errors: int  # socket errors plus non-2xx/3xx answers, as wrk counts them


def _pinned(cpu: int) -> Callable[[], None]:
    def pin() -> None:
        os.sched_setaffinity(0, {cpu})

    return pin


def _server_command(target: str) -> list[str]:
    """The command of a target: `bare`, `IMPL`, or `IMPL:option=value,...` (serve options)."""
    if target == BARE:
        return [sys.executable, "-m", "harness.yardstick"]
    impl, _, options = target.partition(":")
    command = [sys.executable, "-m", "harness.cli", "serve", "--impl", impl]
    for option in filter(None, options.split(",")):
        name, _, value = option.partition("=")
        command += [f"--{name}", value]
    return command


def _start(target: str, cpu: int) -> tuple[subprocess.Popen[str], str]:
    """Start `target` pinned to `cpu`; return the process and its host:port."""
    proc = subprocess.Popen(
        _server_command(target),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=_pinned(cpu),  # noqa: PLW1509 - this process starts no threads
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    line = proc.stdout.readline()  # the ready line; a dead server gives ""
    if not line or time.monotonic() > deadline:
        proc.kill()
        raise RuntimeError(f"{target} did not start (exit status {proc.wait()})")
    return proc, json.loads(line)["listening"]


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def _parse_wrk(out: str) -> dict[str, float]:
    """Requests, duration, latency percentiles and errors from wrk's --latency report."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(done.group(1)),
        "seconds": _ms(done.group(2) + done.group(3)) / 1e3,
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


def _wrk(url: str, args: argparse.Namespace, seconds: float) -> str:
    command = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "--latency",
        url,
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=_pinned(args.load_cpu),
    )
    return done.stdout


def measure(target: str, round_: int, args: argparse.Namespace) -> Run:
    """Start `target`, warm it up, measure one wrk run and the server's CPU time across it."""
    proc, hostport = _start(target, args.server_cpu)
    try:
        url = f"http://{hostport}/ping"
        if args.warmup > 0:
            _wrk(url, args, args.warmup)
        server = psutil.Process(proc.pid)
        before = server.cpu_times()
        out = _wrk(url, args, args.duration)
        after = server.cpu_times()
    finally:
        _stop(proc)
    wrk = _parse_wrk(out)
    user, system = after.user - before.user, after.system - before.system
    cpu = user + system
    requests = int(wrk["requests"])
    per_request = 1e6 / requests if requests else float("nan")
    return Run(
        target=target,
        round=round_,
        requests=requests,
        seconds=wrk["seconds"],
        requests_per_second=requests / wrk["seconds"],
        server_cpu_seconds=cpu,
        cpu_us_per_request=cpu * per_request,
        user_us_per_request=user * per_request,
        system_us_per_request=system * per_request,
        server_cpu_utilisation=cpu / wrk["seconds"],
        latency_p50_ms=wrk["p50"],
        latency_p99_ms=wrk["p99"],
        errors=int(wrk["errors"]),
    )


def summarise(runs: Sequence[Run], targets: Sequence[str]) -> list[dict[str, Any]]:
    """Medians per target, and ratios to the bare server's medians."""
    rows: list[dict[str, Any]] = []
    for target in targets:
        mine = [r for r in runs if r.target == target]
        rows.append(
            {
                "target": target,
                "requests_per_second": statistics.median(r.requests_per_second for r in mine),
                "requests_per_second_min": min(r.requests_per_second for r in mine),
                "requests_per_second_max": max(r.requests_per_second for r in mine),
                "cpu_us_per_request": statistics.median(r.cpu_us_per_request for r in mine),
                "user_us_per_request": statistics.median(r.user_us_per_request for r in mine),
                "system_us_per_request": statistics.median(r.system_us_per_request for r in mine),
                "server_cpu_utilisation": statistics.median(r.server_cpu_utilisation for r in mine),
                "latency_p50_ms": statistics.median(r.latency_p50_ms for r in mine),
                "latency_p99_ms": statistics.median(r.latency_p99_ms for r in mine),
                "errors": sum(r.errors for r in mine),
            }
        )
    bare = next((row for row in rows if row["target"] == BARE), None)
    for row in rows:
        row["throughput_ratio"] = row["cpu_ratio"] = None
        if bare is not None:
            row["throughput_ratio"] = row["requests_per_second"] / bare["requests_per_second"]
            row["cpu_ratio"] = row["cpu_us_per_request"] / bare["cpu_us_per_request"]
    return rows


def machine_info(args: argparse.Namespace) -> dict[str, Any]:
    """What the figures depend on: machine, software, pinning, load at the start."""
    cpu_model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.*)", cpuinfo.read_text())
        cpu_model = found.group(1) if found else ""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    if commit and dirty:
        commit += "-dirty"
    wrk_version = subprocess.run(
        [args.wrk, "--version"], capture_output=True, text=True, check=False
    )
    versions = {}
    for module in ("uvloop", "httptools"):
        try:
            versions[module] = __import__(module).__version__
        except ImportError:
            versions[module] = None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "affinity_available": sorted(os.sched_getaffinity(0)),
        "server_cpu": args.server_cpu,
        "load_cpu": args.load_cpu,
        "load_average_at_start": os.getloadavg(),
        "wrk": (wrk_version.stdout + wrk_version.stderr).splitlines()[0],
        "commit": commit or None,
        **versions,
    }


def table(rows: Sequence[dict[str, Any]], title: str) -> Table:
    """The summary as a rich table."""
    out = Table(title=title)
    for name in (
        "target",
        "req/s (median)",
        "min..max",
        "ratio to bare",
        "server CPU µs/req",
        "CPU ratio",
        "user + sys µs",
        "server CPU",
        "p50 ms",
        "p99 ms",
        "errors",
    ):
        out.add_column(
            name,
            justify="left" if name == "target" else "right",
            overflow="fold",  # a target with options is long; its name must stay whole
        )
    for row in rows:
        ratio, cpu_ratio = row["throughput_ratio"], row["cpu_ratio"]
        out.add_row(
            row["target"],
            f"{row['requests_per_second']:,.0f}",
            f"{row['requests_per_second_min']:,.0f}..{row['requests_per_second_max']:,.0f}",
            "-" if ratio is None else f"{ratio:.2f}x",
            f"{row['cpu_us_per_request']:.1f}",
            "-" if cpu_ratio is None else f"{cpu_ratio:.2f}x",
            f"{row['user_us_per_request']:.1f} + {row['system_us_per_request']:.1f}",
            f"{row['server_cpu_utilisation']:.0%}",
            f"{row['latency_p50_ms']:.2f}",
            f"{row['latency_p99_ms']:.2f}",
            str(row["errors"]),
        )
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--impls",
        default=None,
        help="targets to compare with the bare server, separated by spaces: IMPL or "
        "IMPL:option=value,... with `netmodels serve` options, e.g. "
        "'actor actor:actor-threads=2 function:timeout-ms=1000,max-inflight=10000' "
        "(default: every registered impl)",
    )
    parser.add_argument("--no-bare", action="store_true", help="leave the bare server out")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of wrk before each")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each target, interleaved")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU the server is pinned to")
    parser.add_argument("--load-cpu", type=int, default=1, help="CPU wrk is pinned to")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk", help="wrk executable")
    parser.add_argument("--json", type=Path, default=None, help="write the run record here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every target `--repeat` times, interleaved; print the table; write the record."""
    sys.path.insert(0, str(ROOT))
    from impls.registry import IMPLS

    args = parse_args(argv)
    impls = list(IMPLS) if args.impls is None else args.impls.split()
    if len(impls) == 1 and ":" not in impls[0]:
        impls = impls[0].split(",")  # the plain list form: "actor,eventloop"
    unknown = [n for n in impls if n.partition(":")[0] not in IMPLS]
    if unknown:
        print(f"unknown impl(s): {', '.join(unknown)}; known: {', '.join(IMPLS)}", file=sys.stderr)
        return 2
    targets = ([] if args.no_bare else [BARE]) + impls
    console = Console(stderr=True, width=160)
    info = machine_info(args)
    console.print(
        f"server on CPU {args.server_cpu}, wrk on CPU {args.load_cpu}; "
        f"load average {info['load_average_at_start'][0]:.2f}; "
        f"{len(targets)} targets x {args.repeat} rounds x {args.warmup:g}+{args.duration:g} s"
    )
    runs: list[Run] = []
    for round_ in range(args.repeat):
        for target in targets:
            try:
                run = measure(target, round_, args)
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                console.print(f"[red]{target} round {round_}: {exc}")
                continue
            runs.append(run)
            console.print(
                f"round {round_} {target:24} {run.requests_per_second:>10,.0f} req/s "
                f"{run.cpu_us_per_request:6.1f} µs/req (user {run.user_us_per_request:.1f}) "
                f"CPU {run.server_cpu_utilisation:.0%}"
            )
    measured = [t for t in targets if any(r.target == t for r in runs)]
    rows = summarise(runs, measured)
    info["load_average_at_end"] = os.getloadavg()
    title = (
        f"GET /ping, wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
        f"median of {args.repeat}; server CPU {args.server_cpu}, wrk CPU {args.load_cpu}"
    )
    out = Console(width=160)
    out.print(table(rows, title))
    starved = [row["target"] for row in rows if row["server_cpu_utilisation"] < SATURATED]
    if starved:
        out.print(
            f"Server CPU below {SATURATED:.0%} for {', '.join(starved)}: the server was not the "
            "bottleneck (wrk, or other processes on its CPU), so req/s understates it; the CPU "
            f"ratio still holds. Load average {info['load_average_at_start'][0]:.2f} at start, "
            f"{info['load_average_at_end'][0]:.2f} at end."
        )
    if args.json is not None:
        record = {
            "format": FORMAT_VERSION,
            "benchmark": "ping",
            "argv": sys.argv,
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "machine": info,
            "summary": rows,
            "runs": [asdict(r) for r in runs],
        }
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
