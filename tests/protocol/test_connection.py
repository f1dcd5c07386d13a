# The connection state machines, driven step by step as an impl drives them
# (docs/service-spec.md, "How an impl drives the shared layer").
#
# Rules of this file: no clock and no socket. Timers are data: a test asks `timer()` which one
# should be armed and calls `expire(token)` as if it fired, so every timeout is tested without
# waiting for one.
"""HttpConnection and EchoConnection: pipelining order, closing, EOF, timers, encoding."""

from __future__ import annotations

import re

import pytest

from impls.config import ServerConfig
from impls.protocol import (
    EchoConnection,
    EchoData,
    HttpConnection,
    Phase,
    Request,
    RequestError,
    Response,
    ResponseEncoder,
    new_connection,
)
from impls.protocol.routes import error_response

PING = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
CONFIG = ServerConfig(header_timeout=1.0, body_timeout=2.0, keepalive_timeout=3.0)
OK = Response(200, ((b"content-type", b"text/plain"),), b"ok")


def request(path: str, *fields: str, version: str = "1.1", body: bytes = b"") -> bytes:
    head = [f"GET {path} HTTP/{version}", "Host: x", *fields]
    if body:
        head[0] = head[0].replace("GET", "POST", 1)
        head.append(f"Content-Length: {len(body)}")
    return "\r\n".join(head).encode("ascii") + b"\r\n\r\n" + body


def http(parser: str, **changes: object) -> HttpConnection:
    config = CONFIG.replace(parser=parser, **changes)
    return HttpConnection(config, ResponseEncoder(config.server_name))


def next_request(conn: HttpConnection) -> Request:
    event = conn.next_event()
    assert isinstance(event, Request), event
    return event


def status_of(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


def fields_of(data: bytes) -> dict[bytes, bytes]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])


# --- one request at a time --------------------------------------------------------------------


def test_pipelined_requests_come_one_at_a_time_in_order(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(request("/a") + request("/b") + request("/c"))
    first = next_request(conn)
    assert first.target == "/a"
    assert conn.next_event() is None  # /b waits until /a is answered
    assert conn.pending == 2
    conn.send(OK)
    assert next_request(conn).target == "/b"
    conn.send(OK)
    assert next_request(conn).target == "/c"
    assert conn.pending == 0
    conn.send(OK)
    assert conn.next_event() is None
    assert not conn.done


def test_nothing_before_a_request_is_complete(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(PING[:-1])
    assert conn.next_event() is None
    conn.receive_data(PING[-1:])
    assert next_request(conn).target == "/ping"


@pytest.mark.parametrize(
    "closing",
    [request("/a", "Connection: close"), request("/a", version="1.0")],
    ids=["connection-close", "http10"],
)
def test_send_closes_after_a_final_request(parser: str, closing: bytes) -> None:
    conn = http(parser)
    conn.receive_data(closing + request("/b"))
    next_request(conn)
    data = conn.send(OK)
    assert fields_of(data)[b"connection"] == b"close"
    assert conn.done
    assert conn.next_event() is None  # /b is never handed out
    conn.receive_data(request("/c"))  # nor anything received later
    assert conn.next_event() is None


def test_send_closes_after_a_request_error(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(request("/a") + b"GARBAGE\r\n\r\n")
    next_request(conn)
    assert b"connection" not in fields_of(conn.send(OK))
    error = conn.next_event()
    assert isinstance(error, RequestError)
    assert error.status == 400
    data = conn.send(error_response(error))
    assert status_of(data) == 400
    assert fields_of(data)[b"connection"] == b"close"
    assert conn.done


def test_a_response_can_close_a_keep_alive_connection(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(request("/a") + request("/b"))
    next_request(conn)
    conn.send(Response(503, body=b"busy", close=True))
    assert conn.done
    assert conn.next_event() is None


# --- end of input -----------------------------------------------------------------------------


def test_eof_after_pipelined_requests_serves_them_then_closes(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(request("/a") + request("/b"))
    conn.receive_data(b"")
    assert not conn.done  # two requests still to answer
    next_request(conn)
    conn.send(OK)
    assert not conn.done
    assert next_request(conn).target == "/b"
    conn.send(OK)
    assert conn.done


def test_eof_mid_request_abandons_it(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(PING[:10])
    conn.receive_data(b"")
    assert conn.next_event() is None
    assert conn.done
    assert conn.phase() is Phase.CLOSING
    assert conn.timer() is None


def test_eof_while_serving_waits_for_the_answer(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(PING)
    next_request(conn)
    conn.receive_data(b"")
    assert not conn.done
    conn.send(OK)
    assert conn.done


# --- phases and timers ------------------------------------------------------------------------


def test_timer_phases_through_a_keep_alive_connection(parser: str) -> None:
    conn = http(parser)
    fresh = conn.timer()
    assert fresh is not None
    assert (fresh.phase, fresh.seconds) == (Phase.HEAD, CONFIG.header_timeout)

    conn.receive_data(request("/a", body=b"hello")[:-2])  # the head and part of the body
    body = conn.timer()
    assert body is not None
    assert (body.phase, body.seconds) == (Phase.BODY, CONFIG.body_timeout)
    assert body.token != fresh.token

    conn.receive_data(b"lo")
    assert next_request(conn).body == b"hello"
    assert conn.phase() is Phase.BUSY
    assert conn.timer() is None  # serving: no timeout of the connection's own

    conn.send(OK)
    idle = conn.timer()
    assert idle is not None
    assert (idle.phase, idle.seconds) == (Phase.IDLE, CONFIG.keepalive_timeout)

    conn.receive_data(PING[:5])
    head = conn.timer()
    assert head is not None
    assert head.phase is Phase.HEAD
    assert head.token not in {fresh.token, body.token, idle.token}


def test_same_phase_same_token(parser: str) -> None:
    conn = http(parser)
    first = conn.timer()
    conn.receive_data(PING[:5])  # a partial head is still the same wait for a head
    assert conn.timer() == first
    conn.receive_data(PING[5:10])
    assert conn.timer() == first


def test_each_pipelined_request_gets_a_new_head_timer(parser: str) -> None:
    conn = http(parser)
    first = conn.timer()
    conn.receive_data(PING + PING[:8])  # one request and the start of the next
    next_request(conn)
    assert conn.phase() is Phase.BUSY
    conn.send(OK)
    second = conn.timer()
    assert second is not None
    assert first is not None
    assert second.phase is Phase.HEAD
    assert second.token != first.token  # a fresh header_timeout for the next head
    conn.receive_data(PING[8:] + PING[:8])
    next_request(conn)
    conn.send(OK)
    third = conn.timer()
    assert third is not None
    assert third.phase is Phase.HEAD
    assert third.token not in {first.token, second.token}


def test_expire_on_head_answers_408_and_closes(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(PING[:10])
    timer = conn.timer()
    assert timer is not None
    data = conn.expire(timer.token)
    assert data is not None
    assert status_of(data) == 408
    assert fields_of(data)[b"connection"] == b"close"
    assert conn.done
    assert conn.timer() is None


def test_expire_on_a_fresh_connection_answers_408(parser: str) -> None:
    conn = http(parser)
    timer = conn.timer()
    assert timer is not None
    data = conn.expire(timer.token)
    assert data is not None
    assert status_of(data) == 408


def test_expire_on_body_answers_408(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(request("/a", body=b"hello")[:-1])
    timer = conn.timer()
    assert timer is not None
    assert timer.phase is Phase.BODY
    data = conn.expire(timer.token)
    assert data is not None
    assert status_of(data) == 408
    assert conn.done


def test_expire_on_idle_closes_quietly(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(PING)
    next_request(conn)
    conn.send(OK)
    timer = conn.timer()
    assert timer is not None
    assert timer.phase is Phase.IDLE
    assert conn.expire(timer.token) == b""
    assert conn.done


def test_expire_of_a_stale_token_is_ignored(parser: str) -> None:
    conn = http(parser)
    stale = conn.timer()
    assert stale is not None
    conn.receive_data(PING)
    next_request(conn)
    conn.send(OK)
    current = conn.timer()
    assert current is not None
    assert conn.expire(stale.token) is None
    assert conn.expire(current.token + 1000) is None
    assert not conn.done
    assert conn.expire(current.token) == b""


def test_expire_of_a_phase_already_left_is_ignored(parser: str) -> None:
    # The impl armed the head timer, then the request completed; the timer fires before the
    # impl asked for the new one: a request being served is not timed out.
    conn = http(parser)
    timer = conn.timer()
    assert timer is not None
    conn.receive_data(PING)
    assert conn.expire(timer.token) is None
    assert next_request(conn).target == "/ping"


def test_expire_clears_pending_requests(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(PING)
    next_request(conn)
    conn.send(OK)
    conn.receive_data(PING[:3])
    timer = conn.timer()
    assert timer is not None
    assert conn.expire(timer.token) is not None
    conn.receive_data(PING[3:])
    assert conn.next_event() is None


# --- the encoder ------------------------------------------------------------------------------


def test_encoded_response_carries_the_common_fields(parser: str) -> None:
    conn = http(parser, impl="threads")
    conn.receive_data(PING)
    next_request(conn)
    data = conn.send(OK)
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    fields = fields_of(data)
    assert fields[b"content-length"] == b"2"
    assert fields[b"server"] == b"netmodels-threads"
    assert re.fullmatch(
        rb"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", fields[b"date"]
    )
    assert fields[b"content-type"] == b"text/plain"
    assert b"connection" not in fields  # HTTP/1.1 keep-alive is the default
    assert body == b"ok"


def test_http10_keep_alive_is_confirmed(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(request("/a", "Connection: keep-alive", version="1.0"))
    next_request(conn)
    assert fields_of(conn.send(OK))[b"connection"] == b"keep-alive"
    assert not conn.done


def test_head_answer_has_no_content_but_its_length(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(b"HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\n" + PING)
    assert next_request(conn).method == "HEAD"
    data = conn.send(Response(200, body=b"PONG"))
    assert data.endswith(b"\r\n\r\n")
    assert fields_of(data)[b"content-length"] == b"4"
    next_request(conn)
    assert conn.send(Response(200, body=b"PONG")).endswith(b"\r\n\r\nPONG")


def test_unknown_status_gets_a_status_line(parser: str) -> None:
    conn = http(parser)
    conn.receive_data(PING)
    next_request(conn)
    assert conn.send(Response(599)).startswith(b"HTTP/1.1 599 ")


# --- echo -------------------------------------------------------------------------------------


def echo() -> EchoConnection:
    return EchoConnection(CONFIG.replace(protocol="echo"))


def test_echo_returns_everything_in_order() -> None:
    conn = echo()
    assert conn.next_event() is None
    conn.receive_data(b"abc")
    conn.receive_data(b"def")
    assert conn.pending == 2
    event = conn.next_event()
    assert event == EchoData(b"abcdef")
    assert conn.send(event) == b"abcdef"
    assert conn.next_event() is None


def test_echo_eof_echoes_the_rest_then_closes() -> None:
    conn = echo()
    conn.receive_data(b"tail")
    conn.receive_data(b"")
    assert not conn.done
    assert conn.next_event() == EchoData(b"tail")
    assert conn.done


def test_echo_idle_timer_restarts_with_every_receive() -> None:
    conn = echo()
    first = conn.timer()
    assert first is not None
    assert (first.phase, first.seconds) == (Phase.IDLE, CONFIG.keepalive_timeout)
    assert conn.timer() == first
    conn.receive_data(b"x")
    second = conn.timer()
    assert second is not None
    assert second.token != first.token
    assert conn.expire(first.token) is None
    assert conn.expire(second.token) == b""
    assert conn.done
    assert conn.timer() is None


def test_echo_timer_from_before_a_receive_is_stale() -> None:
    conn = echo()
    timer = conn.timer()
    assert timer is not None
    conn.receive_data(b"x")  # the impl has not asked for the new timer yet
    assert conn.expire(timer.token) is None
    assert not conn.done


def test_new_connection_follows_the_protocol(parser: str) -> None:
    encoder = ResponseEncoder("x")
    assert isinstance(new_connection(CONFIG.replace(parser=parser), encoder), HttpConnection)
    assert isinstance(new_connection(CONFIG.replace(protocol="echo"), encoder), EchoConnection)
