# Server as a function (Eriksen, "Your Server as a Function", PLOS'13), on asyncio.
#
# A server is a Service - an asynchronous function from a request to a reply; application-
# agnostic concerns are Filters composed in front of it with `and_then` (`>>`); asyncio's
# coroutines are the futures, cancellation is the interrupt. Clients are Services too. Read in
# this order: _service.py, _filter.py, _futures.py, filters/, _routes.py, _server.py (the binding
# to sockets), _client.py, server.py (the stack `netmodels serve --impl function` runs).
"""Services, Filters and future combinators: Finagle's model on asyncio."""

from ._client import EchoClient, HttpClient, parse_address
from ._errors import OverloadedError, ServiceClosedError, StaleConnectionError
from ._filter import Filter, SimpleFilter
from ._futures import collect, rescue, select, within
from ._routes import ECHO, ROUTES
from ._server import Codec, FunctionServer, serve
from ._service import Service, Status, service_of

__all__ = [
    "ECHO",
    "ROUTES",
    "Codec",
    "EchoClient",
    "Filter",
    "FunctionServer",
    "HttpClient",
    "OverloadedError",
    "Service",
    "ServiceClosedError",
    "SimpleFilter",
    "StaleConnectionError",
    "Status",
    "collect",
    "parse_address",
    "rescue",
    "select",
    "serve",
    "service_of",
    "within",
]
