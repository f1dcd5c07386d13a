"""`send_all` and `linger` over a real socket pair: bounded stalls, lingering close."""

from __future__ import annotations

import socket
import threading

from impls.threads.blocking import linger, send_all

STALL = 0.05  # seconds; short so that the give-up case ends quickly
BIG = 8 << 20  # more than any socket pair buffers, so a non-reading peer stalls the sender


def test_send_all_delivers_everything_to_a_reader() -> None:
    data = bytes(range(256)) * (BIG // 256)
    left, right = socket.socketpair()
    with left, right:
        received = bytearray()

        def read() -> None:
            while len(received) < len(data):
                received.extend(right.recv(1 << 16))

        reader = threading.Thread(target=read)
        reader.start()
        assert send_all(left, data, stall_timeout=10.0)
        reader.join()
        assert received == data


def test_send_all_gives_up_on_a_peer_that_does_not_read() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert not send_all(left, b"x" * BIG, stall_timeout=STALL)


def test_linger_half_closes_and_returns_at_the_peers_eof() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"answer")
        right.sendall(b"unread input")
        right.shutdown(socket.SHUT_WR)
        linger(left, seconds=10.0, receive_size=4)
        right.settimeout(10.0)
        assert right.recv(100) == b"answer"
        assert right.recv(100) == b""  # our FIN follows the answer


def test_linger_gives_up_after_its_time_on_a_silent_peer() -> None:
    left, right = socket.socketpair()
    with left, right:
        linger(left, seconds=STALL, receive_size=4)  # returns: the peer never sends EOF
        right.settimeout(10.0)
        assert right.recv(100) == b""
