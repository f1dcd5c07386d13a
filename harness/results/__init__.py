# Results: versioned run directories. Fourth stage of the pipeline (profile -> runner -> driver ->
# results -> analysis); it imports the earlier stages' record types, never a later stage.
#
# Rules of this package: every column's name, type and meaning is in `schema` once; a run is
# written only through `RunDirectory` (atomically) and read only through `load`.
"""Run directories (manifest.json, trials.csv, histograms/, timeseries.csv) and their loader."""

from harness.results.load import error_kinds, load
from harness.results.records import (
    KindRecord,
    ServerFigures,
    TrialRecord,
    cell_record,
    kind_records,
    server_figures,
    timeseries_rows,
    trial_record,
)
from harness.results.run import REPO_RESULTS, RESULTS_ENV, RunDirectory, results_root
from harness.results.schema import (
    KIND_COLUMNS,
    PROBE_COLUMNS,
    SCHEMA_VERSION,
    TIMESERIES_COLUMNS,
    TRIAL_COLUMNS,
)

__all__ = [
    "KIND_COLUMNS",
    "PROBE_COLUMNS",
    "REPO_RESULTS",
    "RESULTS_ENV",
    "SCHEMA_VERSION",
    "TIMESERIES_COLUMNS",
    "TRIAL_COLUMNS",
    "KindRecord",
    "RunDirectory",
    "results_root",
    "ServerFigures",
    "TrialRecord",
    "cell_record",
    "error_kinds",
    "kind_records",
    "load",
    "server_figures",
    "timeseries_rows",
    "trial_record",
]
