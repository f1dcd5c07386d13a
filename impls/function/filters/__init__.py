# The filters netmodels ships: each one concern, each usable on a server or a client stack.
"""Filters: timeout, concurrency limit, stats, exceptions, tracing, retry, offload."""

from .concurrency import ConcurrencyLimitFilter
from .exception import ExceptionFilter, response_for
from .offload import OffloadFilter
from .retry import RetryBudget, RetryFilter, exponential_backoff, retry_when_not_processed
from .stats import LatencyHistogram, LatencySnapshot, StatsFilter
from .timeout import TimeoutFilter
from .tracing import (
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
