# The server as a function: a Service is an asynchronous function from a request to a reply.
#
# Rules of this file: a Service is only a callable with a lifetime (`close`) and a health
# (`status`); it knows nothing of sockets or codecs. Calling it returns a coroutine - Python's
# spelling of the paper's Future: in progress while suspended, then a value (success) or an
# exception (failure). The same abstraction stands for servers and clients (Eriksen, PLOS'13, s.1).
"""`Service`, `Status` and `service_of`: Finagle's Service on asyncio."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

Req_contra = TypeVar("Req_contra", contravariant=True)
Rep_co = TypeVar("Rep_co", covariant=True)
ReqT = TypeVar("ReqT")
RepT = TypeVar("RepT")


class Status(enum.Enum):
    """A service's health, as Finagle's `Status`: may it be called now?"""

    OPEN = "open"  # ready for requests
    BUSY = "busy"  # alive but unable to take more now (e.g. at its concurrency limit)
    CLOSED = "closed"  # released; every further call fails


class Service(ABC, Generic[Req_contra, Rep_co]):
    """An asynchronous function `Req -> Rep` with a lifetime.

    `service(request)` returns a coroutine: await it for the reply, or cancel the task awaiting
    it to interrupt the work (cancellation travels inward through every filter).
    """

    __slots__ = ()

    @abstractmethod
    def __call__(self, request: Req_contra) -> Coroutine[Any, Any, Rep_co]:
        """Start serving `request`; the coroutine completes with the reply or raises."""

    @property
    def status(self) -> Status:
        """OPEN unless the service says otherwise."""
        return Status.OPEN

    async def close(self) -> None:
        """Release what the service holds (connections, pools). The default holds nothing."""


class _FunctionService(Service[ReqT, RepT]):
    __slots__ = ("_function",)

    def __init__(self, function: Callable[[ReqT], Coroutine[Any, Any, RepT]]) -> None:
        self._function = function

    def __call__(self, request: ReqT) -> Coroutine[Any, Any, RepT]:
        # Not `async def`: returning the function's own coroutine saves one frame per call.
        return self._function(request)

    def __repr__(self) -> str:
        return f"service_of({getattr(self._function, '__qualname__', self._function)!r})"


def service_of(function: Callable[[ReqT], Coroutine[Any, Any, RepT]]) -> Service[ReqT, RepT]:
    """The `async def` function `function` as a Service (Finagle's `Service.mk`)."""
    return _FunctionService(function)
