"""Parsing what other programs print: the admin /metrics text and wrk's report (and a wrk
that is not there)."""

from __future__ import annotations

import pytest

from harness.runner.metrics import parse
from harness.runner.wrk import parse_wrk

METRICS = """\
# HELP netmodels_connections_open Connections open now.
# TYPE netmodels_connections_open gauge
netmodels_connections_open{impl="eventloop"} 64.0
netmodels_requests_total{impl="eventloop"} 1234.0
netmodels_queue_depth{impl="eventloop",queue="pipeline"} 3.0
netmodels_buffered_bytes{direction="out",impl="eventloop"} 512.0
netmodels_rejected_total{impl="eventloop",reason="overload"} 7.0
netmodels_loop_lag_seconds{impl="eventloop"} 0.0015
python_gc_objects_collected_total{generation="0"} 99.0
"""


def test_metrics_are_flattened() -> None:
    assert parse(METRICS) == {
        "connections_open": 64.0,
        "requests_total": 1234.0,
        "queue_depth:pipeline": 3.0,
        "buffered_bytes:out": 512.0,
        "rejected_total:overload": 7.0,
        "loop_lag_seconds": 0.0015,
    }


WRK = """\
Running 4s test @ http://127.0.0.1:18080/ping
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.09ms    1.05ms  17.90ms   93.86%
    Req/Sec    67.70k    13.59k   83.63k    80.00%
  Latency Distribution
     50%  838.00us
     75%    1.12ms
     90%    1.67ms
     99%    5.51ms
  268670 requests in 4.00s, 36.90MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  67158.33
Transfer/sec:      9.22MB
"""


def test_wrk_report_is_parsed() -> None:
    out = parse_wrk(WRK)
    assert out["requests"] == 268670
    assert out["duration_s"] == 4.0
    assert out["rps"] == 67158.33
    assert out["p50_us"] == 838.0
    assert out["p90_us"] == pytest.approx(1670.0)
    assert out["p99_us"] == pytest.approx(5510.0)
    assert out["max_us"] == pytest.approx(17900.0)
    assert out["errors"] == 3


def test_a_missing_wrk_is_a_failed_row_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import shutil

    from harness.process import CpuPlan
    from harness.profile import Cell
    from harness.sweep import run_cell
    from harness.trial import Setup

    monkeypatch.setattr(shutil, "which", lambda name: None)
    setup = Setup(cpus=CpuPlan.default(), driver_procs=1)
    outcome = run_cell("0001", Cell("bare", driver="wrk"), 2, setup, "histograms/0001.hdr")
    record = outcome.record
    assert (record.driver, record.flags, record.repetition) == ("wrk", "failed", 2)
    assert json.loads(record.error_kinds)["failed"].startswith("wrk is not on PATH")
