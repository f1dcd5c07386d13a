# SIGTERM and SIGINT against a server with work in flight: the process contract of
# docs/service-spec.md, and what an operator expects of a second Ctrl-C.
#
# Rules of this file: each scenario gets a server of its own (it ends it); every wait is for a
# condition with a deadline - the gauge showing the request in flight, connecting being refused
# (the first signal was handled), the connection ending or an answer arriving.
"""Signal scenarios: a graceful stop with a request in flight, a second signal."""

from __future__ import annotations

import signal
import time

from harness.check.live import Live, poll
from harness.check.verdict import PING, SETTLE, Verdict, failed, passed
from harness.check.wire import Ending, Wire, request

GRACE = 5.0
"""`--grace` of the servers the signal scenarios start."""


def sigterm_in_flight(live: Live) -> Verdict:
    """SIGTERM while a /delay?ms=500 is in flight: an idle keep-alive client and one halfway
    through its request head are closed, the /delay is answered, the process exits 0
    (docs/service-spec.md, "Process contract")."""
    with Wire(live.address) as idle, Wire(live.address) as partial, Wire(live.address) as busy:
        idle.send(PING)
        partial.send(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        busy.send(request("GET", "/delay?ms=500"))
        if idle.read_reply() is None or live.wait_inflight(1, SETTLE) != 1:
            return failed("-", "the /delay never showed as in flight")
        live.signal(signal.SIGTERM)
        endings = []
        for wire in (idle, partial):
            _, ending = wire.read_to_end(GRACE + SETTLE)
            wire.close()  # as a client does on FIN, so the server need not linger for it
            endings.append(ending)
        reply = busy.read_reply(GRACE + SETTLE)
        busy.close()
        status = live.wait_exit(GRACE + SETTLE)
    seen = f"{reply.status if reply else 'no answer'}, exit {status}"
    if reply is None or reply.body != b"slept 500 ms":
        return failed(seen, "the in-flight /delay was not answered before the exit")
    if status != 0:
        return failed(seen, f"exit status {status} (expected 0){live.log_tail()}")
    if Ending.OPEN in endings:
        return failed(seen, f"idle / half-sent clients: {[e.value for e in endings]}")
    return passed(seen, f"idle and half-sent clients saw {[e.value for e in endings]}")


def second_signal(live: Live) -> Verdict:
    """SIGTERM with a /delay?ms=2000 in flight, then (the server no longer accepting) SIGINT:
    the second signal ends the process at once - the /delay is cut off, not answered."""
    with Wire(live.address) as busy:
        busy.send(request("GET", "/delay?ms=2000"))
        if live.wait_inflight(1, SETTLE) != 1:
            return failed("-", "the /delay never showed as in flight")
        live.signal(signal.SIGTERM)
        if not poll(lambda: _refused(live), bool, SETTLE):
            return failed("accepting", "still accepting connections after SIGTERM")
        signalled = time.monotonic()
        live.signal(signal.SIGINT)
        # The process ending closes our connection; ignoring the signal answers the /delay.
        poll(busy.take, lambda _: busy.ending is not None or _has_head(busy), SETTLE)
        took = time.monotonic() - signalled
        reply = busy.read_reply(0) if _has_head(busy) else None
        ending = busy.ending
    status = live.wait_exit(GRACE + SETTLE)
    if reply is not None:
        return failed(
            f"{reply.status}, exit {status}",
            f"the second signal was ignored: the /delay was answered {took:.1f} s after it, "
            "as if only the first had come",
        )
    if ending is None:
        return failed("open", f"neither cut off nor answered {took:.1f} s after SIGINT")
    if status is None:
        return failed("running", "the connection ended but the process still runs")
    return passed(
        f"cut off, exit {status}",
        f"the connection ended ({ending.value}) {took:.2f} s after SIGINT",
    )


def _has_head(wire: Wire) -> bool:
    return b"\r\n\r\n" in wire.buffer


def _refused(live: Live) -> bool:
    """True once connecting is refused: the server closed its listening socket."""
    try:
        Wire(live.address).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False  # ours sat in the backlog of the listener being closed; look again
    return False
