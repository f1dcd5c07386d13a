# Clients that leave in every rude way, and a crowd beyond --max-connections: what a server on
# the open internet meets every minute.
#
# Rules of this file: each scenario does one thing to the shared server and judges what the wire
# shows; the runner then checks the server is healthy and back to idle (no scenario repeats
# that). "In flight" is never assumed from elapsed time: it is the server's own gauge, or its CPU
# time growing while it computes an inline /work.
"""Fault scenarios: resets, half-closes, abandoned /delay and /work, a connection flood."""

from __future__ import annotations

from collections.abc import Callable

from harness.check.live import Footprint, Live, poll
from harness.check.verdict import PING, SETTLE, Verdict, failed, no_reply, passed
from harness.check.wire import Ending, Reply, Wire, request, shorten

FLOOD_LIMIT = 8
"""`--max-connections` of the shared server (the flood scenario refuses beyond it)."""

SHARED_OPTIONS = (("max_connections", str(FLOOD_LIMIT)),)
"""Options of the server most scenarios share (besides the target's own)."""

SPINNING = 0.05
"""CPU seconds a server must burn to count as computing a /work: an idle one burns ~1 ms/s."""


def _accepted(live: Live, before: Footprint | None) -> bool:
    """Wait until the server holds one more descriptor than `before`: it accepted ours."""
    if before is None:
        return False
    now = poll(live.footprint, lambda f: f is None or f.fds > before.fds, SETTLE)
    return now is not None and now.fds > before.fds


def reset_mid_head(live: Live) -> Verdict:
    """RST after half a request head."""
    before = live.footprint()
    with Wire(live.address) as wire:
        wire.send(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Half: ")
        accepted = _accepted(live, before)
        wire.reset()
    return passed("RST") if accepted else failed("RST", "the server never accepted")


def reset_mid_body(live: Live) -> Verdict:
    """RST after 1000 of 100000 declared body bytes."""
    before = live.footprint()
    with Wire(live.address) as wire:
        wire.send(request("POST", "/echo", ("Content-Length", "100000")) + b"b" * 1000)
        accepted = _accepted(live, before)
        wire.reset()
    return passed("RST") if accepted else failed("RST", "the server never accepted")


def reset_mid_response(live: Live) -> Verdict:
    """RST while the server is sending a 16 MiB answer."""
    with Wire(live.address) as wire:
        wire.send(request("GET", "/bytes?n=16777216"))
        first = wire.read_some()
        wire.reset()
    if not first.startswith(b"HTTP/1.1 200"):
        return failed("RST", f"the answer did not start: {shorten(first)}")
    return passed("200, RST")


def reset_with_pipeline(live: Live) -> Verdict:
    """RST behind 50 pipelined /delay?ms=50 requests: the server drops the queue it holds."""
    with Wire(live.address) as wire:
        wire.send(request("GET", "/delay?ms=50") * 50)
        busy = live.wait_inflight(1, SETTLE)
        wire.reset()
    if busy != 1:
        return failed("RST", f"the first /delay never showed as in flight (gauge {busy})")
    return passed("RST", "left with the first in flight and 49 queued")


def connect_and_close(live: Live) -> Verdict:
    """Connect, send nothing, close (FIN): the server closes too."""
    with Wire(live.address) as wire:
        wire.shutdown_write()
        rest, ending = wire.read_to_end()
    if rest or ending is not Ending.EOF:
        return failed(ending.value, f"expected a quiet FIN, got {shorten(rest)}")
    return passed(ending.value)


def connect_and_reset(live: Live) -> Verdict:
    """Connect, then RST at once."""
    before = live.footprint()
    with Wire(live.address) as wire:
        accepted = _accepted(live, before)
        wire.reset()
    return passed("RST") if accepted else failed("RST", "the server never accepted")


def half_close(live: Live, raw: bytes, answers: int, body: bytes) -> Verdict:
    """Send `raw`, shut the write side: `answers` answers still come (the last with `body`),
    then a clean close."""
    with Wire(live.address) as wire:
        wire.send(raw)
        wire.shutdown_write()
        replies: list[Reply] = []
        for _ in range(answers):
            reply = wire.read_reply()
            if reply is None:
                return no_reply(wire, f"answer {len(replies) + 1} of {answers} after EOF")
            replies.append(reply)
        rest, ending = wire.read_to_end()
    seen = ", ".join(str(r.status) for r in replies) + f", {ending.value}"
    if any(r.status != 200 for r in replies) or replies[-1].body != body:
        return failed(seen, f"expected {answers} x 200 ending with {body!r}")
    if rest or ending is not Ending.EOF:
        return failed(seen, f"expected a clean close after the answers, got {shorten(rest)}")
    return passed(seen)


def abandon(live: Live, target: str, leave: Callable[[Wire], None], how: str) -> Verdict:
    """Leave (`leave`) while `target` is in flight; then a new client must be served."""
    cpu = live.cpu_seconds() or 0.0
    with Wire(live.address) as wire:
        wire.send(request("GET", target))
        busy = poll(lambda: _in_flight(live, cpu), bool, SETTLE)
        leave(wire)
    if not busy:
        return failed(how, f"{target} was never seen in flight")
    with Wire(live.address) as other:
        other.send(PING)
        reply = other.read_reply(SETTLE)
    if reply is None or reply.status != 200:
        return no_reply(other, "a /ping after the abandoned request")
    return passed(f"{how}; 200", f"left while {busy}")  # 200: the other client's /ping


def _in_flight(live: Live, cpu_before: float) -> str:
    """How the request shows as in flight ("" while it does not): the server's gauge, or - for
    a /work computed inline, which not every impl counts as in flight - the server's CPU time
    growing by `SPINNING` seconds (an idle server uses next to none)."""
    if live.inflight() == 1:
        return "inflight_requests == 1"
    used = (live.cpu_seconds() or 0.0) - cpu_before
    return f"spinning (cpu +{used:.2f} s)" if used >= SPINNING else ""


def leave_fin(wire: Wire) -> None:
    """Leave politely: close (FIN), which the server reads as a half-close."""
    wire.close()


def leave_rst(wire: Wire) -> None:
    """Vanish: close with an RST."""
    wire.reset()


# --- admission: a connection flood ---------------------------------------------------------------


def flood(live: Live) -> Verdict:
    """3 x `--max-connections` connections at once: exactly the excess is closed at accept, and
    an admitted client keeps being served throughout."""
    with Wire(live.address) as admitted:
        admitted.send(PING)
        if admitted.read_reply() is None:
            return no_reply(admitted, "the admitted client's first /ping")
        crowd: list[Wire] = []
        try:
            crowd += (Wire(live.address) for _ in range(3 * FLOOD_LIMIT))
            expected = len(crowd) - (FLOOD_LIMIT - 1)
            closed = poll(
                lambda: [wire for wire in crowd if _ended(wire)],
                lambda gone: len(gone) >= expected,
                SETTLE,
            )
            answers = []
            for body in (b"during", b"the flood"):
                admitted.send(request("POST", "/echo", body=body))
                reply = admitted.read_reply()
                if reply is None or reply.body != body:
                    return no_reply(admitted, "the admitted client's /echo during the flood")
                answers.append(str(reply.status))
            closed = [wire for wire in crowd if _ended(wire)]  # none more since, or too many
        finally:
            for wire in crowd:
                wire.close()
    endings = "+".join(sorted({wire.ending.value for wire in closed if wire.ending}))
    seen = f"{len(closed)}/{len(crowd)} {endings}, {'+'.join(answers)}"
    if len(closed) != expected:
        return failed(seen, f"expected exactly {expected} closed at accept")
    # Until the server has seen every client leave, they count against the limit (and the
    # next client could be refused for that alone): wait for its own count to reach zero.
    still = poll(lambda: live.gauge("connections_open"), lambda n: n == 0, SETTLE)
    if still != 0:
        return failed(seen, f"connections_open still {still} after every client left")
    return passed(seen)


def _ended(wire: Wire) -> bool:
    """True once `wire` has ended (a look that does not wait)."""
    wire.take()
    return wire.ending is not None
