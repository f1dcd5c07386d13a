# Nothing leaks: after every client has gone - politely, rudely, mid-request, after an error -
# the server's open descriptors return to their idle count.
#
# "Idle" is measured after a first round of clients, once the server holds no TCP connection:
# runtimes open some descriptors lazily and for good (libuv's reserve fd for EMFILE, a signal
# wake-up socketpair), and those are not leaks. The second, identical round must then leave the
# count exactly where it was.
"""Conformance: file descriptors back to the idle count after clients leave."""

from __future__ import annotations

from tests.conformance._client import Client, chunked, request, wait_until
from tests.conformance._contract import assert_answer
from tests.conformance._matrix import per_variant
from tests.conformance._server import ServeFactory, Server

pytestmark = per_variant


def _visit(server: Server) -> None:
    """One round of clients that leave in every way the suite knows."""
    impl = server.ready["impl"]
    clients = [Client(server.address) for _ in range(40)]
    try:
        for client in clients[:10]:  # polite keep-alive clients
            assert_answer(client.exchange(request("GET", "/ping")), impl, 200, b"PONG")
        for client in clients[10:15]:  # broken requests: answered, then closed by the server
            client.send(b"GARBAGE\r\n\r\n")
            assert client.read_response().status == 400
            assert client.read_until_eof() == b""
        for client in clients[15:20]:  # vanish with an RST in the middle of a request head
            client.send(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
            client.reset()
        for client in clients[20:25]:  # leave while their /delay is pending
            client.send(request("GET", "/delay?ms=200"))
        for client in clients[25:30]:  # half-close after a request
            client.send(request("POST", "/echo", body=b"bye"))
            client.shutdown_write()
            assert client.read_response().body == b"bye"
            assert client.read_until_eof() == b""
        for client in clients[30:35]:  # leave with unread output
            client.send(request("GET", "/bytes?n=4000000"))
        for client in clients[35:]:  # leave in the middle of a chunked body
            client.send(
                request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")])
                + chunked(b"partial")[:-5]
            )
    finally:
        for client in clients:
            client.close()


def _diagnosis(server: Server, problem: str) -> str:
    now = server.fd_targets()
    return f"{problem}; {len(now)} descriptors open now:\n" + "\n".join(now)


def test_descriptors_return_to_idle(serve: ServeFactory) -> None:
    s = serve()
    _visit(s)
    try:
        wait_until(lambda: s.connection_fds() == 0, what="every client connection closed")
    except AssertionError as exc:
        raise AssertionError(_diagnosis(s, str(exc))) from None
    idle = s.fd_count()

    _visit(s)

    try:
        wait_until(lambda: s.fd_count() == idle, what=f"the fd count back to {idle}")
    except AssertionError as exc:
        raise AssertionError(_diagnosis(s, str(exc))) from None
