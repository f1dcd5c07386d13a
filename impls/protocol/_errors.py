# Protocol errors carry the HTTP status they map to, so no impl decides what a broken request means.
"""`ProtocolError`: a violation of the request rules and its HTTP status."""

from __future__ import annotations


class ProtocolError(Exception):
    """A request broke a rule of the service contract.

    Args:
        status: the 4xx/5xx status that answers it (400, 408, 413, 417, 431, 501, 505).
        reason: a short human-readable explanation, sent as the response body.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
