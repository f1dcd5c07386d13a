# The format of a run directory. Readers (the loader, the report, notebooks) check the version
# in manifest.json against this constant; a change to any file's columns or meaning gets a new
# version and a line in the history below (pyperf's habit), so old runs stay readable.
"""Schema version and history, and the columns of trials.csv and timeseries.csv."""

from __future__ import annotations

SCHEMA_VERSION = 2
# Format history:
#   1 - first format: manifest.json, trials.csv (TRIAL_COLUMNS), histograms/<trial_id>.hdr
#       (one base64 compressed HdrHistogram V2 per trial, microseconds) and timeseries.csv
#       (TIMESERIES_COLUMNS; client rows once a second, server rows at 10 Hz).
#   2 - the experiments: trials.csv gains `experiment`, `idle_connections`, `read_rate`,
#       `idle_open`, `server_rss_growth_kib_s` and `server_buffered_peak`; kinds.csv (KIND_COLUMNS:
#       one row per request kind of a mixed workload, with histograms/<trial_id>.<kind>.hdr) and
#       probes.csv (PROBE_COLUMNS: measurements that are not load trials, e.g. one selector wait)
#       are new. Version 1 runs load with the new columns empty.

TRIAL_COLUMNS = (
    # identity and shape of the trial
    "trial_id",
    "repetition",
    "role",  # measure | capacity | probe (calibrate)
    "experiment",  # the profile matrix's experiment tag (E1 ... E10), empty for none
    "impl",
    "options",  # `netmodels serve` options, "key=value;key=value" (empty: defaults)
    "protocol",
    "workload",
    "mode",
    "connections",
    "pipeline",
    "payload",
    "idle_connections",  # connections opened and held idle beside the measured ones
    "read_rate",  # slow readers: bytes/s each connection reads (empty: as fast as it can)
    "rate",  # open mode: requests/s scheduled (resolved from rate_fraction when given)
    "rate_fraction",
    "arrivals",
    "duration_s",
    "warmup_s",
    # what the driver measured
    "requests",  # right answers to requests meant for the measurement window
    "errors",
    "error_kinds",  # JSON object: kind -> count
    "rps",
    "mb_s",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "p9999_us",
    "max_us",
    "mean_us",
    "achieved_rate",  # open mode: sent / scheduled
    "slip_p99_us",  # open mode: how late the driver sent, p99
    "idle_open",  # idle connections actually held open (refused ones are not hidden)
    # what the server spent (driver-independent efficiency)
    "server_cpu_us_per_req",
    "server_cpu_util",  # CPU seconds per second over the measurement (1.0 = one core)
    "server_rss_peak_kib",
    "server_fds_peak",
    "server_threads_peak",
    "server_rss_growth_kib_s",  # least-squares slope of RSS over the measurement, KiB/s
    "server_buffered_peak",  # peak of the server's buffered output bytes (admin gauge)
    # the instrument
    "driver",  # netmodels | wrk | locust
    "driver_procs",
    "driver_cpu",  # busiest driver process's CPU share over the measurement
    "driver_wait",  # largest share a driver process waited for a CPU held by another process
    "server_cpus",
    "driver_cpus",
    "flags",  # ";"-joined: errors, driver_bound, contended, invalid, server_died, failed
    "started_at",  # UTC ISO 8601
    "histogram",  # path relative to the run directory, empty if none
)

TIMESERIES_COLUMNS = (
    "trial_id",
    "source",  # client (one row per second, by intended send time) | server (10 Hz samples)
    "t",  # seconds from the start of measurement (warm-up is negative)
    # client rows
    "sent",
    "requests",
    "errors",
    "mb_s",
    "p50_us",
    "p99_us",
    "max_us",
    "slip_max_us",
    "driver_cpu",
    # server rows
    "cpu_util",  # since the previous sample
    "rss_kib",
    "fds",
    "threads",
    "connections_open",
    "inflight",
    "queue_depth",  # all internal queues together
    "queues",  # JSON object: queue -> depth
    "buffered_out",
    "reading_paused",
    "rejected",  # cumulative, all reasons
    "requests_total",  # cumulative, as the server counts them
    "loop_lag_us",
)

KIND_COLUMNS = (
    "trial_id",
    "kind",  # the request kind of a mixed workload: ping, work:1, ...
    "requests",  # right answers of this kind in the measurement window
    "errors",
    "rps",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "p9999_us",
    "max_us",
    "mean_us",
    "histogram",  # histograms/<trial_id>.<kind>.hdr (":" written as "-")
)

PROBE_COLUMNS = (
    "probe_id",  # unique in the run, like a trial id
    "experiment",
    "probe",  # what was measured, e.g. selector_wait
    "variant",  # e.g. select | poll | epoll
    "param",  # the swept quantity, e.g. registered sockets
    "repetition",
    "value",  # the median, in `unit`; empty when the variant refused (see `note`)
    "p10",
    "p90",
    "unit",
    "count",  # observations behind the median
    "note",
    "started_at",
)
