# The filters netmodels ships: each one concern, each usable on a server or a client stack.
"""Filters: timeout, concurrency limit, stats, exceptions, tracing, retry, offload."""

from impls.function.filters.concurrency import ConcurrencyLimitFilter
from impls.function.filters.exception import ExceptionFilter, response_for
from impls.function.filters.offload import OffloadFilter
from impls.function.filters.retry import (
    RetryBudget,
    RetryFilter,
    exponential_backoff,
    retry_when_not_processed,
)
from impls.function.filters.stats import LatencyHistogram, LatencySnapshot, StatsFilter
from impls.function.filters.timeout import TimeoutFilter
from impls.function.filters.tracing import (
    TRACE_HEADER,
    TraceForwardFilter,
    TraceIdLogFilter,
    TracingFilter,
    current_trace_id,
)

__all__ = [
    "ConcurrencyLimitFilter",
    "ExceptionFilter",
    "LatencyHistogram",
    "LatencySnapshot",
    "OffloadFilter",
    "RetryBudget",
    "RetryFilter",
    "StatsFilter",
    "TRACE_HEADER",
    "TimeoutFilter",
    "TraceForwardFilter",
    "TraceIdLogFilter",
    "TracingFilter",
    "current_trace_id",
    "exponential_backoff",
    "response_for",
    "retry_when_not_processed",
]
