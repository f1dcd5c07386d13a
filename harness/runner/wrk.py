# wrk (C, github.com/wg/wrk), the external load tool: its command line and its report, here and
# nowhere else. `harness.wrk` runs it as a trial (calibrate, sweep cells with driver = "wrk"),
# `netmodels ping` as the one load tool of every target.
#
# Rules of this file: wrk inherits this process's CPU affinity (`netmodels` pins itself to the
# driver CPUs, never the server's); a run has a deadline (its duration plus a margin), and a wrk
# that fails raises `subprocess.CalledProcessError` with wrk's stderr; a report line that is
# missing leaves its key out, never a made-up zero - except `errors`, which is always there.
"""`run_wrk`: one wrk run against a URL; `parse_wrk`: the numbers of its report."""

from __future__ import annotations

import re
import shutil
import subprocess

WRK_TIMEOUT_MARGIN = 30.0
"""Seconds beyond its duration a wrk run may take before it is killed."""

MISSING = "wrk is not on PATH (Debian: apt-get install wrk)"
"""Why a wrk run cannot happen, when wrk is not installed."""


def find_wrk() -> str | None:
    """The path of wrk on PATH, or None."""
    return shutil.which("wrk")


def wrk_seconds(duration: float) -> int:
    """`duration` as wrk takes it: whole seconds, at least one."""
    return max(1, round(duration))


def run_wrk(wrk: str, *, threads: int, connections: int, duration: float, url: str) -> str:
    """Run `wrk --latency` against `url` for `duration` (rounded to whole seconds, >= 1).

    Returns:
        wrk's report (stdout).

    Raises:
        subprocess.CalledProcessError: wrk failed (its stderr in the exception).
        subprocess.TimeoutExpired: it ran past its duration plus `WRK_TIMEOUT_MARGIN`.
        OSError: it could not be started.
    """
    seconds = wrk_seconds(duration)
    done = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + WRK_TIMEOUT_MARGIN,
        check=True,
    )
    return done.stdout


_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}


def _us(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> dict[str, float]:
    """The numbers of a `wrk --latency` report: requests, duration_s, rps, mb_s, mean_us,
    max_us, p50_us, p90_us, p99_us, and errors (socket errors plus non-2xx/3xx answers)."""
    out: dict[str, float] = {}
    if m := re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text):
        out["requests"] = float(m.group(1))
        out["duration_s"] = _us(m.group(2) + m.group(3)) / 1e6
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        out["rps"] = float(m.group(1))
    if m := re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", text):
        scale = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[m.group(2)]
        out["mb_s"] = float(m.group(1)) * scale / 1e6
    if m := re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text):
        out["mean_us"] = _us(m.group(1))
        out["max_us"] = _us(m.group(3))
    for pct, key in (("50", "p50_us"), ("90", "p90_us"), ("99", "p99_us")):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", text, re.MULTILINE):
            out[key] = _us(m.group(1))
    errors = 0.0
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    ):
        errors += sum(float(g) for g in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors += float(m.group(1))
    out["errors"] = errors
    return out
