# Server as a function (Eriksen, "Your Server as a Function", PLOS'13), on asyncio.
#
# A server is a Service - an asynchronous function from a request to a reply; application-
# agnostic concerns are Filters composed in front of it with `and_then` (`>>`); asyncio's
# coroutines are the futures, cancellation is the interrupt. Clients are Services too. Read in
# this order: _service.py, _filter.py, _futures.py, filters/, _routes.py, _server.py (the binding
# to sockets), _client.py, server.py (the stack `netmodels serve --impl function` runs).
"""Services, Filters and future combinators: Finagle's model on asyncio.

Read in this order: `_service.py`, `_filter.py`, `_futures.py`, `filters/`, `_routes.py`,
`_server.py` (the binding to sockets, on `impls.transport` and `impls.aioserver`),
`_client.py`, `server.py` (the stack `netmodels serve --impl function` runs).
"""

from impls.function._client import EchoClient, HttpClient, parse_address
from impls.function._errors import OverloadedError, ServiceClosedError, StaleConnectionError
from impls.function._filter import Filter, SimpleFilter
from impls.function._futures import collect, rescue, select, within
from impls.function._routes import ECHO, ROUTES
from impls.function._server import Codec, FunctionServer, serve
from impls.function._service import Service, Status, service_of

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
