# The shared, sans-I/O protocol layer: what every impl uses and no impl re-implements.
#
# Rules of this package: no sockets, selectors, asyncio or threads (tests/protocol/test_sans_io.py
# fails if one is imported here). Bytes in, typed events out; typed answers in, bytes out.
"""Shared protocol layer: typed messages, HTTP/echo connection state machines, routes."""

from ._connection import Connection, EchoConnection, HttpConnection, Phase, Timer, new_connection
from ._encode import ResponseEncoder
from ._errors import ProtocolError
from ._events import EchoData, Headers, HttpEvent, Request, RequestError, Response
from .routes import Action, Delay, Work, dispatch, overloaded, work_response
from .work import spin

__all__ = [
    "Action",
    "Connection",
    "Delay",
    "EchoConnection",
    "EchoData",
    "Headers",
    "HttpConnection",
    "HttpEvent",
    "Phase",
    "ProtocolError",
    "Request",
    "RequestError",
    "Response",
    "ResponseEncoder",
    "Timer",
    "Work",
    "dispatch",
    "new_connection",
    "overloaded",
    "spin",
    "work_response",
]
