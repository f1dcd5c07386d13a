# The runner of `netmodels check robustness`: every scenario against one target (impl variant +
# parser), one scenario at a time, each judged with the same evidence.
#
# Rules of this file: most scenarios share one server per target, started with
# `scenarios.SHARED_OPTIONS`, warmed up, and measured quiet (its idle descriptors and threads).
# After each scenario the runner checks what every scenario owes - the process still runs, a
# fresh /ping is answered, descriptors, threads and client connections are back to idle within
# the scenario's `settle` deadline - so no scenario repeats it. A failed scenario's server is
# replaced before the next one, so one failure cannot cascade down the table. Scenarios that
# signal the server get one of their own. Every server is stopped on every way out.
"""`check_target`: run scenarios against a target; `Cell`: one result with its evidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from harness.check.faults import SHARED_OPTIONS
from harness.check.live import Footprint, Live
from harness.check.options import Target
from harness.check.verdict import PING, SETTLE, Scenario, Verdict
from harness.check.wire import NotHttpError, Wire, request
from harness.runner import ServerError

IDLE_TIMEOUT = 10.0
"""Seconds a freshly warmed-up server may take to be quiet (its warm-up connections closed)."""

WARM_UP = (
    PING,
    request("POST", "/echo", body=b"warm"),
    request("GET", "/bytes?n=100000"),
    request("GET", "/delay?ms=1"),
    request("GET", "/work?ms=1"),
)
"""One request per route: what a runtime opens lazily on first use (a timer fd, a pool) is open
before the idle footprint is taken."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One scenario against one target: the verdict and its evidence.

    seen: status lines and endings, short. detail: why it failed (empty when it passed).
    before, after: the server's footprint when the scenario started and once it settled (after
    is None for a server that exited, as the signal scenarios make it).
    """

    scenario: str
    group: str
    target: Target
    ok: bool
    seen: str
    detail: str
    before: Footprint | None
    after: Footprint | None


class Observer(Protocol):
    """Told about each scenario as it starts and ends (the progress display)."""

    def starting(self, target: Target, scenario: Scenario) -> None: ...

    def finished(self, cell: Cell) -> None: ...


@dataclass(frozen=True, slots=True)
class _Shared:
    live: Live
    idle: Footprint


def check_target(target: Target, scenarios: Iterable[Scenario], observer: Observer) -> list[Cell]:
    """Run `scenarios` in order against `target`; one `Cell` each."""
    cells: list[Cell] = []
    shared: _Shared | None = None
    unstartable: Verdict | None = None  # once the shared server cannot start, it is not retried
    try:
        for scenario in scenarios:
            observer.starting(target, scenario)
            if scenario.own_server is not None:
                cell = _on_own_server(target, scenario)
            elif unstartable is not None:
                cell = _cell(target, scenario, unstartable, None, None)
            else:
                if shared is None:
                    shared, unstartable = _start_shared(target)
                if shared is None:
                    assert unstartable is not None
                    cell = _cell(target, scenario, unstartable, None, None)
                else:
                    cell = _on_shared(target, scenario, shared)
                    if not cell.ok:
                        shared.live.close()
                        shared = None
            cells.append(cell)
            observer.finished(cell)
    finally:
        if shared is not None:
            shared.live.close()
    return cells


def _cell(
    target: Target,
    scenario: Scenario,
    verdict: Verdict,
    before: Footprint | None,
    after: Footprint | None,
) -> Cell:
    return Cell(
        scenario.name,
        scenario.group,
        target,
        verdict.ok,
        verdict.seen,
        verdict.detail,
        before,
        after,
    )


def _start_shared(target: Target) -> tuple[_Shared | None, Verdict | None]:
    """Start, warm up and measure the shared server; or the verdict of why it could not be."""
    try:
        live = Live(target, SHARED_OPTIONS)
    except ServerError as exc:
        return None, Verdict(False, "no server", f"the server did not start: {exc}")
    try:
        problem = _warm_up(live)
        idle = live.quiet(IDLE_TIMEOUT)
    except (OSError, NotHttpError) as exc:
        problem, idle = f"{type(exc).__name__}: {exc}", None
    if problem is not None or idle is None:
        live.close()
        why = problem or f"never quiet after the warm-up ({IDLE_TIMEOUT:g} s)"
        return None, Verdict(False, "no server", f"warm-up failed: {why}")
    return _Shared(live, idle), None


def _warm_up(live: Live) -> str | None:
    """Every route once, a refused request, a reset and a /metrics scrape; a problem or None."""
    with Wire(live.address) as wire:
        for raw in WARM_UP:
            wire.send(raw)
            reply = wire.read_reply()
            if reply is None or reply.status != 200:
                return f"warm-up request {raw[:30]!r} got {reply.line if reply else wire.seen()}"
    with Wire(live.address) as wire:
        wire.send(b"GARBAGE\r\n\r\n")
        wire.read_to_end()
    with Wire(live.address) as wire:
        wire.reset()
    live.inflight()
    return None


def _guarded(scenario: Scenario, live: Live) -> Verdict:
    """The scenario's verdict; a socket error it did not expect is a FAIL with that error."""
    try:
        return scenario.check(live)
    except (OSError, NotHttpError) as exc:
        return Verdict(False, "error", f"{type(exc).__name__}: {exc}")


def _on_shared(target: Target, scenario: Scenario, shared: _Shared) -> Cell:
    live, idle = shared.live, shared.idle
    before = live.footprint()
    verdict = _guarded(scenario, live)
    if not live.alive():
        status = live.wait_exit(0)
        died = f"the server died (exit status {status})"
        detail = "; ".join(part for part in (died, verdict.detail) if part) + live.log_tail()
        return _cell(target, scenario, Verdict(False, verdict.seen, detail), before, None)
    problems = [] if verdict.ok else [verdict.detail]
    # Back to idle first: until the server has seen the scenario's clients leave, they count
    # against --max-connections, and a /ping now could be refused for that alone.
    after = live.settle(idle, scenario.settle)
    health = _fresh_ping(live)
    if health is not None:
        problems.append(health)
    if after is not None and after.same_as(idle):
        after = live.settle(idle, SETTLE)  # the /ping's connection closed too
    if after is None or not after.same_as(idle):
        drift = _drift(idle, after, live.connections())
        problems.append(f"not back to idle within {scenario.settle:g} s: {drift}")
    if not live.alive():
        problems.append(f"the server died after the scenario{live.log_tail()}")
    outcome = Verdict(not problems, verdict.seen, "; ".join(problems))
    return _cell(target, scenario, outcome, before, after)


def _on_own_server(target: Target, scenario: Scenario) -> Cell:
    assert scenario.own_server is not None
    try:
        live = Live(target, scenario.own_server)
    except ServerError as exc:
        verdict = Verdict(False, "no server", f"the server did not start: {exc}")
        return _cell(target, scenario, verdict, None, None)
    with live:
        before = live.footprint()
        verdict = _guarded(scenario, live)
        after = live.footprint()
    return _cell(target, scenario, verdict, before, after)


def _fresh_ping(live: Live) -> str | None:
    """A /ping on a new connection must be answered: the server keeps serving."""
    try:
        with Wire(live.address) as wire:
            wire.send(PING)
            reply = wire.read_reply()
    except (OSError, NotHttpError) as exc:
        return f"a fresh /ping failed: {type(exc).__name__}: {exc}"
    if reply is None:
        ending = wire.ending.value if wire.ending else "nothing in time"
        return f"a fresh /ping got no answer ({ending}, received {wire.seen()})"
    if reply.status != 200 or reply.body != b"PONG":
        return f"a fresh /ping got {reply.line}"
    return None


def _drift(idle: Footprint, now: Footprint | None, connections: int) -> str:
    if now is None:
        return "the process is gone"
    return (
        f"fds {idle.fds}->{now.fds}, threads {idle.threads}->{now.threads}, "
        f"{connections} TCP connection(s) open"
    )
