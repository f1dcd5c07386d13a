# What an impl implements and what it hands back: the whole contract between a server and the
# rest of netmodels (the CLI, the conformance suite, the harness).
#
# Rules of this file: types only, no behaviour, and no import of any impl, so that every impl can
# import it without importing the others. The table of impls is `impls/registry.py`; an impl never
# needs it.
"""`ServeFunction`, the entry point every impl provides, and `Listening`, what it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from impls.config import ServerConfig
from impls.stats import ServerStatistics


@dataclass(frozen=True, slots=True)
class Listening:
    """What an impl reports once it accepts connections."""

    host: str
    port: int
    statistics: Callable[[], ServerStatistics]


class ServeFunction(Protocol):
    def __call__(self, config: ServerConfig, ready: Callable[[Listening], None]) -> None:
        """Serve `config` until SIGINT/SIGTERM; call `ready` once, when listening.

        On the first signal: stop accepting, let in-flight responses finish for up to
        `config.grace` seconds, close every connection and return. On a second signal during
        that grace: close every connection at once and return (the process exits 0 either way).
        """
