# The driver: load generation. Third stage of the pipeline (profile -> runner -> driver ->
# results -> analysis); it imports `harness.profile` and the generic process helpers
# (`harness.process`), never the runner (the server side) nor a later stage.
"""Load generation: closed and open loops over raw uvloop protocols, in P processes."""

from harness.driver.pool import DriverError, DriverPool
from harness.driver.result import LoadResult, Window

__all__ = ["DriverError", "DriverPool", "LoadResult", "Window"]
