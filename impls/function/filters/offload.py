# OffloadFilter: where CPU work runs, per `--offload none|thread|process`.
#
# Rules of this file: the route table only *says* that /work needs CPU (`Work`); this filter
# decides where that CPU is spent - on the event loop itself (`none`, blocking every other
# connection meanwhile, which is the lesson), or in a pool while the loop serves others.
"""`OffloadFilter`: runs `Work` inline or in an executor, answers with its response."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from impls.function._filter import Filter
from impls.function._service import Service
from impls.protocol import Request, Response, Work, spin, work_response


class OffloadFilter(Filter[Request, Response, Request, Response | Work]):
    """Runs the CPU work a route asks for (`Work`) and answers with its response.

    Args:
        pool: the executor of `--offload thread|process`, or None to compute inline.
    """

    __slots__ = ("pool",)

    def __init__(self, pool: Executor | None) -> None:
        self.pool = pool

    async def apply(self, request: Request, service: Service[Request, Response | Work]) -> Response:
        action = await service(request)
        if not isinstance(action, Work):
            return action
        if self.pool is None:
            return work_response(spin(action.iterations))
        loop = asyncio.get_running_loop()
        return work_response(await loop.run_in_executor(self.pool, spin, action.iterations))

    def __repr__(self) -> str:
        return f"OffloadFilter({type(self.pool).__name__ if self.pool else 'inline'})"
