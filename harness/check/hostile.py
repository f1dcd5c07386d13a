# One hostile input as data: raw bytes, the status they must get, the rule that says so, and
# what must follow the answer; with the small builders the corpus tables use.
#
# Rules of this file: sizes come from the `ServerConfig` defaults the checked server runs with,
# never typed in; a builder adds nothing the caller did not ask for but a `Host` field.
"""`Hostile`, `Kind`, the default limits, and request builders for the corpus."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from impls.config import ServerConfig

DEFAULTS = ServerConfig()
MAX_HEADER = DEFAULTS.max_header_bytes
MAX_BODY = DEFAULTS.max_body_bytes
RECEIVE_SIZE = DEFAULTS.receive_size

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
"""A second request hidden behind a refused one: the server must never answer it."""


class Kind(enum.Enum):
    """What must follow the answer."""

    REFUSED = "refused"  # a broken rule: Connection: close, a text/plain reason, FIN, nothing more
    ANSWERED = "answered"  # a route's own answer: the connection stays usable (a /ping on it works)
    CLOSED = "closed"  # served, then the connection ends: FIN, and nothing after the answer


@dataclass(frozen=True, slots=True)
class Hostile:
    """One hostile input.

    name: the row of the table. group: its section. raw: the bytes sent, as they are.
    status: the one status it must get. why: the rule (spec row or RFC section).
    kind: what must follow. allow: the `Allow` value a 405 must carry.
    """

    name: str
    group: str
    raw: bytes
    status: int
    why: str
    kind: Kind = Kind.REFUSED
    allow: str | None = None


def post(head: bytes, body: bytes = b"") -> bytes:
    """`POST /echo` with `head` as its field lines after Host (CRLF-joined by the caller)."""
    return b"POST /echo HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n\r\n" + body


def get(target: str, method: str = "GET") -> bytes:
    """`method target HTTP/1.1` with a Host and nothing else."""
    return f"{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1")


TE_CHUNKED = b"Transfer-Encoding: chunked"
