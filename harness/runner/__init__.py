# The runner: the server side of a trial - starting and stopping the server process (or any
# program that prints a ready line), running wrk, sampling the server. A stage of the pipeline
# (profile -> process -> runner | driver -> results -> analysis); it imports only
# `harness.profile`, the generic process helpers (`harness.process`) and the table of server
# programs it can start (`harness.targets`).
"""Server process, its launcher, the wrk runner and server sampling."""

from harness.runner.launch import Launched, ServerError
from harness.runner.sampler import ServerSample, ServerSampler
from harness.runner.server import ServerAddress, ServerProcess

__all__ = [
    "Launched",
    "ServerAddress",
    "ServerError",
    "ServerProcess",
    "ServerSample",
    "ServerSampler",
]
