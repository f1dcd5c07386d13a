# Filters: what every service needs and no service should contain.
#
# Rules of this file: a Filter sees a request and the service after it, and decides what to do
# with both - change the request, wrap the call (time it, bound it, retry it), change the reply.
# It is application-agnostic and composes with `and_then` (or `>>`) into a stack, innermost last:
#
#     stack = StatsFilter(...) >> TimeoutFilter(...) >> routes      # a Service
#
# The four type parameters say what a filter converts, so mypy checks that a stack fits together:
#
#     a Service[ReqIn, RepOut]:                 ReqIn -> Future[RepOut]
#     a Filter[ReqIn, RepOut, ReqOut, RepIn]:   (ReqIn, Service[ReqOut, RepIn]) -> Future[RepOut]
#
# (Eriksen, "Your Server as a Function", PLOS'13, s.1: application-agnostic concerns "are
# encapsulated by filters which compose to build services from multiple independent modules".)
"""`Filter`, `SimpleFilter` and their composition with `and_then`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar, overload

from impls.function._service import Service, Status

ReqIn = TypeVar("ReqIn")
RepOut = TypeVar("RepOut")
ReqOut = TypeVar("ReqOut")
RepIn = TypeVar("RepIn")
Req = TypeVar("Req")
Rep = TypeVar("Rep")
Req2 = TypeVar("Req2")
Rep2 = TypeVar("Rep2")


class Filter(ABC, Generic[ReqIn, RepOut, ReqOut, RepIn]):
    """Turns a `Service[ReqOut, RepIn]` into a `Service[ReqIn, RepOut]`."""

    __slots__ = ()

    @abstractmethod
    async def apply(self, request: ReqIn, service: Service[ReqOut, RepIn]) -> RepOut:
        """Serve `request`, calling `service` as many times as the filter needs (often once)."""

    def status(self, service: Service[ReqOut, RepIn]) -> Status:
        """The status of `service` seen through this filter; by default, the service's own."""
        return service.status

    @overload
    def and_then(
        self, next: Filter[ReqOut, RepIn, Req2, Rep2]
    ) -> Filter[ReqIn, RepOut, Req2, Rep2]: ...

    @overload
    def and_then(self, next: Service[ReqOut, RepIn]) -> Service[ReqIn, RepOut]: ...

    def and_then(
        self, next: Filter[ReqOut, RepIn, Req2, Rep2] | Service[ReqOut, RepIn]
    ) -> Filter[ReqIn, RepOut, Req2, Rep2] | Service[ReqIn, RepOut]:
        """This filter, then `next`: a longer filter, or (with a service) a service."""
        if isinstance(next, Filter):
            return _AndThen(self, next)
        return self._bind(next)

    __rshift__ = and_then

    def _bind(self, service: Service[ReqOut, RepIn]) -> Service[ReqIn, RepOut]:
        return _Filtered(self, service)


class SimpleFilter(Filter[Req, Rep, Req, Rep]):
    """A filter that keeps the request and reply types (timeouts, retries, stats...)."""

    __slots__ = ()


class _Filtered(Service[ReqIn, RepOut], Generic[ReqIn, RepOut, ReqOut, RepIn]):
    """`filter.and_then(service)`: the service with the filter in front."""

    __slots__ = ("_apply", "_filter", "_service")

    def __init__(
        self, outer: Filter[ReqIn, RepOut, ReqOut, RepIn], service: Service[ReqOut, RepIn]
    ) -> None:
        self._filter = outer
        self._service = service
        self._apply = outer.apply  # bound once, not on every call

    def __call__(self, request: ReqIn) -> Coroutine[Any, Any, RepOut]:
        # Not `async def`: the filter's coroutine is the call, one frame per layer instead of two.
        return self._apply(request, self._service)

    @property
    def status(self) -> Status:
        return self._filter.status(self._service)

    async def close(self) -> None:
        await self._service.close()

    def __repr__(self) -> str:
        return f"{self._filter!r} >> {self._service!r}"


class _AndThen(Filter[ReqIn, RepOut, Req2, Rep2]):
    """`first.and_then(second)`: a filter made of two."""

    __slots__ = ("_first", "_second")

    def __init__(
        self,
        first: Filter[ReqIn, RepOut, ReqOut, RepIn],
        second: Filter[ReqOut, RepIn, Req2, Rep2],
    ) -> None:
        self._first = first
        self._second = second

    async def apply(self, request: ReqIn, service: Service[Req2, Rep2]) -> RepOut:
        return await self._first.apply(request, _Filtered(self._second, service))

    def status(self, service: Service[Req2, Rep2]) -> Status:
        return self._first.status(_Filtered(self._second, service))

    def _bind(self, service: Service[Req2, Rep2]) -> Service[ReqIn, RepOut]:
        # Innermost first, so a finished stack is a chain of `_Filtered` services built once,
        # not a filter that builds one per request.
        return self._first.and_then(self._second.and_then(service))

    def __repr__(self) -> str:
        return f"{self._first!r} >> {self._second!r}"
