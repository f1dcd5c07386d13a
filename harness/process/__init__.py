# Generic process helpers, on neither side of a trial: pinning a process to CPUs, making a child
# die with its parent, raising the open-file limit, and the `with` -> `close` mixin. The runner
# (the server side) and the driver (the client side) both import them; this package imports no
# other stage of the harness.
"""CPU pinning, child lifetime, open-file limits and `Closing`."""

from harness.process.closing import Closing
from harness.process.lifetime import die_with_parent
from harness.process.limits import FDS_RESERVED, check_connections, raise_open_file_limit
from harness.process.pinning import CpuPlan, parse_cpus, pin_process, pin_threads

__all__ = [
    "FDS_RESERVED",
    "Closing",
    "CpuPlan",
    "check_connections",
    "die_with_parent",
    "parse_cpus",
    "pin_process",
    "pin_threads",
    "raise_open_file_limit",
]
