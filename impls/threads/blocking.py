# Blocking socket I/O with every wait bounded.
#
# Rules of this file: these calls block the calling thread - that is the model - but none of
# them waits forever: a socket timeout bounds each wait, and a wait that runs out is an answer
# ("the peer stopped reading"), not an error.
"""`send_all` (blocking send, bounded stalls) and `linger` (half-close, drain, give up)."""

from __future__ import annotations

import socket
import time


def send_all(sock: socket.socket, data: bytes, stall_timeout: float) -> bool:
    """Send all of `data`, blocking while the peer does not read: back-pressure for free.

    Unlike `socket.sendall`, whose timeout bounds the whole transfer, `stall_timeout` bounds each
    wait for progress, so a slow reader of a 16 MiB body is served to the end while a peer that
    stopped reading altogether is given up on.

    Returns:
        True once everything is handed to the kernel; False if for `stall_timeout` seconds not a
        byte could be sent.

    Raises:
        OSError: the peer is gone (reset, broken pipe).
    """
    sock.settimeout(stall_timeout)
    view = memoryview(data)
    sent, size = 0, len(data)
    while sent < size:
        try:
            sent += sock.send(view[sent:])
        except TimeoutError:
            return False
    return True


def linger(sock: socket.socket, seconds: float, receive_size: int) -> None:
    """Half-close, then read and discard until the peer's EOF or until `seconds` have passed.

    The last answer (a 413, a 408) is still on its way when the server is done. Closing a socket
    with unread input in it makes the kernel send a reset, and a reset can overtake that answer:
    the client would read "connection reset" instead of the status. Sending our FIN first and
    draining until theirs lets the answer arrive whole.

    Raises:
        OSError: the peer is gone (reset); nothing more is owed to it.
    """
    sock.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(receive_size):
                return
        except TimeoutError:
            return
