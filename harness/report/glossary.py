# What every column of trials.csv and every flag means, written once: the report's glossary,
# its table headers and the docs all read these words (docs/harness.md is where they come from).
#
# Rules of this file: plain data; a column of `harness.results.TRIAL_COLUMNS` without an entry
# here fails a test, so a new column cannot reach a report unexplained.
"""`COLUMNS`, `FLAGS` and `TERMS`: the meanings the report's glossary prints."""

from __future__ import annotations

COLUMNS: dict[str, str] = {
    "trial_id": "the trial's id in the run (its histogram is histograms/<trial_id>.hdr)",
    "repetition": "which repetition of its cell the trial is (1, 2, ...; interleaved)",
    "role": "measure (a result), capacity (sizes open-loop rates) or probe (calibrate)",
    "experiment": "the experiment the trial belongs to (E1 ... E10), empty for none",
    "impl": "the server: a registered impl or a reference point (bare, nginx, uvicorn, ...)",
    "options": "`netmodels serve` options of the server, key=value;key=value (empty: defaults)",
    "protocol": "http (HTTP/1.1) or echo (TCP echo, RFC 862)",
    "workload": "ping, echo, bytes, delay:MS, work:MS, or a weighted mix like ping@95+work:1@5",
    "mode": "closed (each connection waits for its answers) or open (requests on a schedule)",
    "connections": "busy connections, across all driver processes",
    "pipeline": "closed mode: requests outstanding per connection",
    "payload": "bytes of /echo bodies, /bytes answers and echo messages",
    "idle_connections": "connections opened and held idle beside the measured ones",
    "read_rate": "slow readers: bytes/s each connection reads (empty: as fast as it can)",
    "rate": "open mode: requests per second scheduled, all driver processes together",
    "rate_fraction": "open mode: the rate as a fraction of the capacity measured first",
    "arrivals": "open mode: constant (evenly spaced) or poisson (exponential gaps)",
    "duration_s": "measured seconds",
    "warmup_s": "seconds of load before the measurement, discarded",
    "requests": "right answers to requests meant for the measurement window",
    "errors": "wrong or missing answers in the measurement window",
    "error_kinds": "errors by kind (status_503, wrong_body, connection_reset, unfinished, ...)",
    "rps": "right answers per second",
    "mb_s": "megabytes per second received, headers included",
    "p50_us": "median latency, microseconds (open mode: from the intended send time)",
    "p90_us": "90th percentile latency, microseconds",
    "p99_us": "99th percentile latency, microseconds",
    "p999_us": "99.9th percentile latency, microseconds",
    "p9999_us": "99.99th percentile latency, microseconds",
    "max_us": "largest latency, microseconds",
    "mean_us": "mean latency, microseconds (never shown alone: tails matter more)",
    "achieved_rate": "open mode: requests sent over requests scheduled",
    "slip_p99_us": "open mode: how late the driver sent, 99th percentile, microseconds",
    "idle_open": "idle connections actually held open (refused ones are counted, not hidden)",
    "server_cpu_us_per_req": "the server's CPU time over the measurement per right answer, "
    "microseconds: the driver-independent efficiency figure",
    "server_cpu_util": "the server's CPU seconds per second (100 % = one core)",
    "server_rss_peak_kib": "the server's peak resident memory, KiB",
    "server_fds_peak": "the server's peak count of open file descriptors",
    "server_threads_peak": "the server's peak thread count",
    "server_rss_growth_kib_s": "least-squares slope of the server's memory over the "
    "measurement, KiB per second",
    "server_buffered_peak": "peak of the server's buffered output, bytes (admin gauge)",
    "driver": "the load generator: netmodels, wrk or locust",
    "driver_procs": "driver processes (wrk: threads; locust: workers)",
    "driver_cpu": "the busiest driver process's CPU share over the measurement",
    "driver_wait": "the largest share of the measurement a driver process waited for a CPU "
    "held by another process",
    "server_cpus": "CPUs the server was pinned to",
    "driver_cpus": "CPUs the driver was pinned to",
    "flags": "why the trial's numbers cannot be trusted as they stand (see Flags)",
    "started_at": "when the trial started, UTC",
    "histogram": "the trial's latency histogram file, relative to the run directory",
}
"""trials.csv columns (docs/harness.md, "The result format")."""

FLAGS: dict[str, str] = {
    "errors": "any error in the measurement window",
    "driver_bound": "a driver process used more than 90 % of a CPU: the driver may be the "
    "bottleneck",
    "invalid": "open mode: fewer than 99 % of the scheduled requests were sent, or the "
    "schedule slip p99 exceeded 1 ms",
    "contended": "a driver process spent more than 10 % of the measurement runnable but waiting "
    "for a CPU held by another process: the machine was not quiet",
    "server_died": "the server exited during the trial",
    "failed": "the trial could not run (server did not start, driver failed); error_kinds says why",
    "idle_refused": "fewer idle connections were held open than asked for (refused or closed by "
    "the server: idle_open and error_kinds say how many and why)",
}
"""Trial flags (docs/harness.md, "Self-check")."""

TERMS: dict[str, str] = {
    "cell": "one server under one load (impl, options, protocol, workload, mode, connections, "
    "...); its repetitions are trials",
    "median [low - high]": "the median over a cell's repetitions and its bootstrap 95 % interval",
    "spread": "half the interval's width over the median (with 2 repetitions: (max - min) / "
    "median); above 10 % the cell is named in the validity banner",
    "no measurable difference": "two intervals overlap: the data does not rank them",
    "driver ceiling": "req/s the driver could reach at 100 % of its CPU (req/s over its CPU "
    "share), from `netmodels calibrate` or the run's `bare` trials",
}
"""Words of the report itself."""
