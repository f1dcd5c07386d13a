# TimeoutFilter: a deadline on everything behind it.
#
# Rules of this file: the filter only bounds time; it neither knows the protocol nor picks the
# answer. On expiry the call behind it is interrupted (cancelled where it waits, so its clean-up
# runs) and the caller gets `TimeoutError`; `ExceptionFilter` turns that into a 504.
"""`TimeoutFilter`: `within` as a filter."""

from __future__ import annotations

from typing import TypeVar

from impls.function._filter import SimpleFilter
from impls.function._futures import within
from impls.function._service import Service

Req = TypeVar("Req")
Rep = TypeVar("Rep")


class TimeoutFilter(SimpleFilter[Req, Rep]):
    """Fails a call with `TimeoutError` if it takes longer than `seconds`."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("a timeout must be > 0 seconds")
        self.seconds = seconds

    async def apply(self, request: Req, service: Service[Req, Rep]) -> Rep:
        return await within(service(request), self.seconds)

    def __repr__(self) -> str:
        return f"TimeoutFilter({self.seconds})"
