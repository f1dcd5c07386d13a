# RetryFilter: try again - but only when it is safe, and only as much as the budget allows.
#
# Rules of this file: a retry is made only for a failure that the policy calls retryable (by
# default the ones where the request provably did no work: a NACK, a refused or stale
# connection), only while the `RetryBudget` has a token, and after a backoff pause. The budget is
# what stops retries from multiplying load on a struggling backend: every first attempt deposits a
# fraction of a token (`percent_can_retry`), every retry withdraws one, and a small reserve
# (`min_retries_per_second` over `ttl`) lets a quiet client still retry. Finagle's RetryBudget
# and tower's TpsBudget work this way; their defaults are used here.
"""`RetryFilter`, `RetryBudget` and backoff schedules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from impls.function._errors import OverloadedError, StaleConnectionError
from impls.function._filter import SimpleFilter
from impls.function._service import Service

Req = TypeVar("Req")
Rep = TypeVar("Rep")

DEFAULT_TTL = 10.0  # Finagle's RetryBudget defaults: a 10 s window,
DEFAULT_MIN_RETRIES_PER_SECOND = 10  # at least 10 retries a second,
DEFAULT_PERCENT_CAN_RETRY = 0.2  # and otherwise retries up to 20% of requests
DEFAULT_MAX_RETRIES = 3  # per request, whatever the budget says
DEFAULT_BACKOFF_FIRST = 0.005  # seconds before the first retry, doubling up to
DEFAULT_BACKOFF_CAP = 0.2  # this many


class RetryBudget:
    """A sliding window of deposits and withdrawals that decides whether a retry may happen.

    Args:
        ttl: seconds a deposit or withdrawal counts for.
        min_retries_per_second: retries always allowed, whatever the traffic (a reserve).
        percent_can_retry: retries allowed per request, as a fraction (0.2 = one in five).
        slots: the window is kept in this many buckets (memory is O(slots), not O(requests)).
        clock: seconds, monotonic; injectable so tests run on virtual time.
    """

    __slots__ = ("_clock", "_percent", "_reserve", "_slot_seconds", "_slots", "_window")

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        min_retries_per_second: float = DEFAULT_MIN_RETRIES_PER_SECOND,
        percent_can_retry: float = DEFAULT_PERCENT_CAN_RETRY,
        *,
        slots: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0 or min_retries_per_second < 0 or percent_can_retry < 0 or slots < 1:
            raise ValueError("need ttl > 0, slots >= 1 and non-negative rates")
        self._window = slots
        self._reserve = min_retries_per_second * ttl
        self._percent = percent_can_retry
        self._slot_seconds = ttl / slots
        self._clock = clock
        # slot index -> [deposits, withdrawals]; a slot index is a time / slot_seconds.
        self._slots: dict[int, list[int]] = {}

    def _current(self) -> list[int]:
        now = int(self._clock() // self._slot_seconds)
        oldest = now - self._window + 1
        for index in [i for i in self._slots if i < oldest]:
            del self._slots[index]
        return self._slots.setdefault(now, [0, 0])

    def deposit(self) -> None:
        """Record a first attempt (it earns `percent_can_retry` of a retry)."""
        self._current()[0] += 1

    def try_withdraw(self) -> bool:
        """Take one retry from the budget if it has one; False means do not retry."""
        slot = self._current()
        if self.balance < 1:
            return False
        slot[1] += 1
        return True

    @property
    def balance(self) -> float:
        """Retries the budget would allow now."""
        self._current()
        deposits = sum(d for d, _ in self._slots.values())
        withdrawals = sum(w for _, w in self._slots.values())
        return self._reserve + self._percent * deposits - withdrawals


def exponential_backoff(
    first: float = DEFAULT_BACKOFF_FIRST, cap: float = DEFAULT_BACKOFF_CAP
) -> Callable[[int], float]:
    """Seconds to wait before retry number `n` (1, 2, ...): first, 2*first, ... at most `cap`."""

    def backoff(n: int) -> float:
        return min(cap, first * 2.0 ** (n - 1))

    return backoff


def retry_when_not_processed(outcome: object) -> bool:
    """The default policy: retry only failures that prove the request did no work."""
    return isinstance(outcome, OverloadedError | StaleConnectionError | ConnectionRefusedError)


class RetryFilter(SimpleFilter[Req, Rep]):
    """Retries a failed call per `policy`, within `budget`, pausing per `backoff`.

    Args:
        budget: shared by every call through this filter (a per-client budget).
        policy: given the reply or the exception of an attempt, whether to try again.
        backoff: seconds to pause before retry n (1-based).
        max_retries: a per-request cap on top of the budget.
    """

    __slots__ = ("backoff", "budget", "max_retries", "policy", "retries", "exhausted")

    def __init__(
        self,
        budget: RetryBudget,
        *,
        policy: Callable[[object], bool] = retry_when_not_processed,
        backoff: Callable[[int], float] | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        self.budget = budget
        self.policy = policy
        self.backoff = backoff if backoff is not None else exponential_backoff()
        self.max_retries = max_retries
        self.retries = 0  # retries made
        self.exhausted = 0  # retries wanted but refused by the budget

    async def apply(self, request: Req, service: Service[Req, Rep]) -> Rep:
        self.budget.deposit()
        attempt = 0
        while True:
            try:
                reply = await service(request)
            except Exception as exc:
                if not self._may_retry(exc, attempt):
                    raise
            else:
                if not self._may_retry(reply, attempt):
                    return reply
            attempt += 1
            self.retries += 1
            await asyncio.sleep(self.backoff(attempt))

    def _may_retry(self, outcome: object, attempt: int) -> bool:
        if attempt >= self.max_retries or not self.policy(outcome):
            return False
        if not self.budget.try_withdraw():
            self.exhausted += 1
            return False
        return True

    def __repr__(self) -> str:
        return f"RetryFilter(max_retries={self.max_retries})"
