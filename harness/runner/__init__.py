# The runner: the server side of a trial and the machine under it - starting and stopping the
# server process, pinning processes to CPUs, sampling the server. Second stage of the pipeline
# (profile -> runner -> driver -> results -> analysis); it imports only `harness.profile` and the
# table of server programs it can start (`harness.targets`).
"""Server process, CPU pinning, open-file limits and server sampling."""

from .limits import raise_open_file_limit
from .pinning import CpuPlan, pin_process, pin_threads
from .sampler import ServerSample, ServerSampler
from .server import ServerAddress, ServerError, ServerProcess

__all__ = [
    "CpuPlan",
    "ServerAddress",
    "ServerError",
    "ServerProcess",
    "ServerSample",
    "ServerSampler",
    "pin_process",
    "pin_threads",
    "raise_open_file_limit",
]
