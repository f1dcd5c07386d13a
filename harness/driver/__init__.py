# The driver: load generation. Third stage of the pipeline (profile -> runner -> driver ->
# results -> analysis); it imports `harness.profile` and `harness.runner`, never a later stage.
"""Load generation: closed and open loops over raw uvloop protocols, in P processes."""

from .pool import DriverError, DriverPool, run_load
from .result import LoadResult, Window

__all__ = ["DriverError", "DriverPool", "LoadResult", "Window", "run_load"]
