# The shared, sans-I/O protocol layer: what every impl uses and no impl re-implements.
#
# Rules of this package: no sockets, selectors, asyncio or threads (tests/protocol/test_sans_io.py
# fails if one is imported here). Bytes in, typed events out; typed answers in, bytes out.
"""Shared protocol layer: typed messages, HTTP/echo connection state machines, routes."""

from impls.protocol._connection import (
    Connection,
    EchoConnection,
    HttpConnection,
    Phase,
    Timer,
    new_connection,
)
from impls.protocol._encode import ResponseEncoder
from impls.protocol._errors import ProtocolError
from impls.protocol._events import EchoData, Headers, HttpEvent, Request, RequestError, Response
from impls.protocol.routes import Action, Delay, Work, dispatch, overloaded, work_response
from impls.protocol.work import spin

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
