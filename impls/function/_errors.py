# Failures that mean something to filters, not just to people.
#
# Rules of this file: each exception here tells a filter what it may do next. `OverloadedError` is
# Finagle's NACK - the request was refused before any work, so retrying it elsewhere or later is
# safe. `StaleConnectionError` is the client's version of the same: a reused keep-alive connection
# was already closed, nothing reached the server. A timeout is the builtin `TimeoutError`.
"""`OverloadedError`, `StaleConnectionError`, `ServiceClosedError`."""

from __future__ import annotations


class OverloadedError(Exception):
    """Refused without being processed (admission control); safe to retry later."""


class StaleConnectionError(ConnectionError):
    """A pooled connection had closed before the request reached the peer; safe to retry."""


class ServiceClosedError(Exception):
    """The service was closed; it takes no more requests."""
