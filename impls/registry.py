# The impls netmodels knows. An impl joins - the CLI, the conformance suite, the harness - by
# adding one `ImplSpec` here and nothing else.
"""Registry of server implementations: name -> entry point and facts about the model."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from impls.contract import ServeFunction


@dataclass(frozen=True, slots=True)
class ImplSpec:
    """One registered impl.

    entry: "module:function" of its `ServeFunction`.
    model: the programming model it teaches ("event loop", "threads", "actors", "function").
    buffers_output: True if it queues output in user space, so `--backpressure off` can let that
        queue grow (the threads baseline blocks in send() instead, and has nothing to lift).
    variants: option sets the conformance suite runs it under besides the defaults.
    """

    name: str
    entry: str
    model: str
    summary: str
    buffers_output: bool = True
    variants: tuple[Mapping[str, str], ...] = field(default_factory=tuple)

    def load(self) -> ServeFunction:
        """Import and return the entry point."""
        module, _, attr = self.entry.partition(":")
        serve: ServeFunction = getattr(importlib.import_module(module), attr)
        return serve


IMPLS: dict[str, ImplSpec] = {
    spec.name: spec
    for spec in (
        ImplSpec(
            "eventloop",
            "impls.eventloop.dispatch:serve",
            "event loop",
            "one thread, a selector, explicit dispatch with match (mio style)",
        ),
        ImplSpec(
            "eventloop-callbacks",
            "impls.eventloop.callbacks:serve",
            "event loop",
            "asyncio Protocol/Transport callbacks on uvloop or the stock loop (libuv style)",
            variants=({"loop": "asyncio"},),
        ),
        ImplSpec(
            "threads",
            "impls.threads.server:serve",
            "threads",
            "a thread per connection with blocking sockets (the baseline)",
            buffers_output=False,
        ),
        ImplSpec(
            "actor",
            "impls.actor.server:serve",
            "actors",
            "actors with mailboxes and become; a receiving and a sending thread (Akka IO style)",
            variants=({"actor_threads": "2"},),
        ),
        ImplSpec(
            "function",
            "impls.function.server:serve",
            "function",
            "Services and Filters composed with and_then, on asyncio (Finagle style)",
            variants=({"loop": "asyncio"},),
        ),
    )
}


def get(name: str) -> ImplSpec:
    """The spec registered as `name`; KeyError lists the known names."""
    try:
        return IMPLS[name]
    except KeyError:
        raise KeyError(f"unknown impl {name!r}; known: {', '.join(IMPLS)}") from None
