# The table of `netmodels check robustness`: the hostile-input corpus (one row per input, all
# judged by `check_hostile`), then the faults and the signals.
#
# Rules of this file: a row is a `Scenario` - a name, a group, and a function of a live server
# returning a `Verdict`; the order here is the order of the table. What the runner checks after
# every scenario on the shared server (a fresh /ping answered, descriptors and threads back to
# idle) is not repeated by any scenario.
"""`check_hostile` (one corpus input against a server) and `SCENARIOS` (every row)."""

from __future__ import annotations

from harness.check import faults, signals
from harness.check.corpus import CORPUS
from harness.check.hostile import Hostile, Kind
from harness.check.verdict import (
    PING,
    SETTLE,
    Scenario,
    Verdict,
    failed,
    no_reply,
    passed,
    spec_problems,
)
from harness.check.wire import Ending, NotHttpError, Reply, Wire, request, shorten


def check_hostile(address: tuple[str, int], impl: str, case: Hostile) -> Verdict:
    """Send `case.raw` to the `impl` server at `address`; it must get exactly `case.status`,
    then what `case.kind` says."""
    with Wire(address) as wire:
        sent = wire.send(case.raw)
        try:
            reply = wire.read_reply()
        except NotHttpError as exc:
            return failed("not HTTP", f"{exc}; received {wire.seen()}")
        if reply is None:
            return no_reply(wire, f"{case.name} ({sent} of {len(case.raw)} bytes sent)")
        problems = spec_problems(reply, impl)
        if reply.status != case.status:
            problems.insert(0, f"expected {case.status} ({case.why})")
        if case.allow is not None and reply.header("allow") != case.allow:
            problems.append(f"Allow {reply.header('allow')!r}, expected {case.allow!r}")
        seen = str(reply.status)
        if case.kind is not Kind.ANSWERED or reply.closes:
            if case.kind is Kind.REFUSED:
                problems += _refusal_problems(reply)
            rest, ending = wire.read_to_end()
            seen += f", {ending.value}"
            if rest:
                problems.append(
                    f"bytes after the answer (a second request served?): {shorten(rest)}"
                )
            if ending is not Ending.EOF:
                problems.append(f"expected a clean close (FIN), got {ending.value}")
        else:
            wire.send(PING)
            again = wire.read_reply()
            if again is None or again.status != 200 or again.body != b"PONG":
                problems.append("the connection did not serve a /ping after the answer")
            else:
                seen += ", then 200"  # the same connection served a /ping
    return failed(seen, "; ".join(problems)) if problems else passed(seen)


def _refusal_problems(reply: Reply) -> list[str]:
    """A broken rule is answered with a short text/plain reason and `Connection: close`."""
    problems = []
    if not reply.closes:
        problems.append("no Connection: close")
    if reply.header("content-type") != "text/plain" or not reply.body:
        problems.append("no short text/plain reason")
    return problems


def corpus_scenario(case: Hostile) -> Scenario:
    """The row of one hostile input."""
    return Scenario(
        case.name, case.group, lambda live: check_hostile(live.address, live.target.impl, case)
    )


_DELAY_200 = request("GET", "/delay?ms=200")
_THREE = PING * 2 + request("POST", "/echo", body=b"3")
_OWN = (("grace", str(signals.GRACE)),)

SCENARIOS: tuple[Scenario, ...] = (
    *(corpus_scenario(case) for case in CORPUS),
    Scenario("connect, FIN", "faults", faults.connect_and_close),
    Scenario("connect, RST", "faults", faults.connect_and_reset),
    Scenario("RST mid-head", "faults", faults.reset_mid_head),
    Scenario("RST mid-body", "faults", faults.reset_mid_body),
    Scenario("RST mid-response (16 MiB)", "faults", faults.reset_mid_response),
    Scenario("RST behind 50 pipelined", "faults", faults.reset_with_pipeline),
    Scenario(
        "half-close after /ping", "faults", lambda live: faults.half_close(live, PING, 1, b"PONG")
    ),
    Scenario(
        "half-close before /delay answer",
        "faults",
        lambda live: faults.half_close(live, _DELAY_200, 1, b"slept 200 ms"),
    ),
    Scenario(
        "half-close after 3 pipelined",
        "faults",
        lambda live: faults.half_close(live, _THREE, 3, b"3"),
    ),
    Scenario(
        "/delay 1 s abandoned (RST)",
        "faults",
        lambda live: faults.abandon(live, "/delay?ms=1000", faults.leave_rst, "RST"),
        settle=SETTLE + 1,
    ),
    Scenario(
        "/delay 1 s abandoned (FIN)",
        "faults",
        lambda live: faults.abandon(live, "/delay?ms=1000", faults.leave_fin, "FIN"),
        settle=SETTLE + 1,
    ),
    Scenario(
        "/work 300 ms abandoned (RST)",
        "faults",
        lambda live: faults.abandon(live, "/work?ms=300", faults.leave_rst, "RST"),
    ),
    Scenario(
        "/work 300 ms abandoned (FIN)",
        "faults",
        lambda live: faults.abandon(live, "/work?ms=300", faults.leave_fin, "FIN"),
    ),
    Scenario(f"flood past --max-connections {faults.FLOOD_LIMIT}", "faults", faults.flood),
    Scenario("SIGTERM, /delay in flight", "signals", signals.sigterm_in_flight, own_server=_OWN),
    Scenario("second signal exits at once", "signals", signals.second_signal, own_server=_OWN),
)
"""Every row of the table, in order."""
