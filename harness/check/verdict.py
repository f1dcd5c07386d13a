# What a scenario returns and what the runner needs to know about it, apart from the scenarios
# themselves so that each family of them (faults, signals, the corpus) is a small file.
#
# Rules of this file: records are frozen; a verdict carries its evidence as text (`seen` for the
# table, `detail` for the list of failures), never a live object.
"""`Verdict`, `Scenario`, and what every answer must carry (`spec_problems`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.check.live import Live
from harness.check.wire import Reply, Wire, request

SETTLE = 5.0
"""Seconds the server may take to be back to its idle descriptors and threads after a scenario:
beyond the 2 s `--linger-timeout` drain a refused connection may be held, plus a loaded box."""

PING = request("GET", "/ping")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a scenario concluded. `seen`: the status lines and endings it saw, short, for the
    table; `detail`: why it failed (or more evidence), for the list under the table."""

    ok: bool
    seen: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One row of the table.

    check: the scenario itself. settle: seconds the server may take afterwards to return to
    idle. own_server: options for a server of its own (it is stopped by the scenario), or None
    to run on the shared server.
    """

    name: str
    group: str
    check: Callable[[Live], Verdict]
    settle: float = SETTLE
    own_server: tuple[tuple[str, str], ...] | None = None


def passed(seen: str, detail: str = "") -> Verdict:
    return Verdict(True, seen, detail)


def failed(seen: str, detail: str) -> Verdict:
    return Verdict(False, seen, detail)


def spec_problems(reply: Reply, impl: str) -> list[str]:
    """What every response must carry (docs/service-spec.md, "HTTP routes")."""
    problems = []
    if reply.count("content-length") != 1 or reply.header("content-length") != str(len(reply.body)):
        problems.append(f"Content-Length {reply.header('content-length')!r} != body")
    if reply.header("server") != f"netmodels-{impl}":
        problems.append(f"Server {reply.header('server')!r}")
    if not reply.header("date"):
        problems.append("no Date")
    return problems


def no_reply(wire: Wire, what: str) -> Verdict:
    ending = wire.ending.value if wire.ending else "no answer in time"
    return failed(ending, f"no complete answer to {what}; received {wire.seen()}")
