# The shared route table as services.
#
# Rules of this file: the routes stay the shared, pure ones (`impls/protocol/routes.py`): a
# request in, an `Action` out. Here they become a Service, and waiting becomes what it is in this
# model - an `await`: a `Delay` is an asyncio timer (`asyncio.sleep`), which suspends this one
# call while the loop serves everyone else. CPU work (`Work`) is left to the `OffloadFilter` in
# front, so where it runs is a filter's choice, per `--offload`:
#
#     OffloadFilter(pool) >> ROUTES        # Service[Request, Response]
#
# and the types say so: ROUTES answers `Response | Work`; the filter turns that into `Response`.
"""`ROUTES` (the route table as a Service) and `ECHO` (the echo protocol's service)."""

from __future__ import annotations

import asyncio

from impls.function._service import Service, service_of
from impls.protocol import Delay, EchoData, Request, Response, Work, routes


async def _route(request: Request) -> Response | Work:
    action = routes.handle(request)
    if isinstance(action, Delay):
        await asyncio.sleep(action.seconds)
        return action.response
    return action


ROUTES: Service[Request, Response | Work] = service_of(_route)
"""Every route of the service contract (404/405 included); `/work` comes back as `Work`."""


async def _echo(data: EchoData) -> EchoData:
    return data  # RFC 862: every byte goes back unchanged


ECHO: Service[EchoData, EchoData] = service_of(_echo)
"""The echo protocol's whole service."""
