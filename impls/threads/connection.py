# One connection, one thread: the whole model is the loop in `ConnectionThread._serve`.
#
# Rules of this file: everything here may block, because it blocks only this connection - the
# others have threads of their own. recv() waits for bytes until the deadline of the connection's
# current timer (a socket timeout is this model's timer); /delay sleeps this thread; /work runs
# inline or waits on a pool future; send() blocks while the peer does not read, and meanwhile
# this thread reads nothing more (back-pressure for free), but a send that makes no progress for
# `config.send_timeout` seconds gives the connection up. Shared state is touched only through
# the `Tally`; a failure here closes this connection and nothing else.
"""`ConnectionThread`: serves one accepted socket from its first byte to its close."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import assert_never

from impls.config import ServerConfig
from impls.protocol import (
    Delay,
    EchoData,
    HttpEvent,
    Request,
    Response,
    ResponseEncoder,
    Work,
    dispatch,
    new_connection,
    overloaded,
    work_response,
)
from impls.threads.blocking import linger, send_all
from impls.threads.compute import Compute
from impls.threads.tally import Tally

log = logging.getLogger(__name__)


class ConnectionThread(threading.Thread):
    """The thread that owns one connection: reads, answers, times out and closes it.

    A daemon thread, so that one stuck in a long /delay can never keep the process alive after
    the server has given up waiting for it.
    """

    def __init__(
        self,
        sock: socket.socket,
        config: ServerConfig,
        tally: Tally,
        compute: Compute,
        *,
        name: str,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.sock = sock
        self._config = config
        self._tally = tally
        self._compute = compute
        # One encoder per connection, not per server: it caches its Date line without a lock.
        self._conn = new_connection(config, ResponseEncoder(config.server_name))
        self._token = 0  # the Timer token whose deadline is armed; real tokens start at 1
        self._deadline = 0.0

    @property
    def pending(self) -> int:
        """Complete requests waiting behind the one being answered (read by the admin thread)."""
        return self._conn.pending

    def run(self) -> None:
        try:
            self._serve()
        except OSError as exc:
            log.debug("%s: connection lost: %s", self.name, exc)
        except Exception:
            log.exception("%s failed; closing its connection", self.name)
        finally:
            self._tally.close(self)

    def _serve(self) -> None:
        conn = self._conn
        while True:
            while (event := conn.next_event()) is not None:
                if not self._answer(event):
                    return  # the peer stopped reading; nothing more can reach it
            if conn.done:
                linger(self.sock, self._config.linger_timeout, self._config.receive_size)
                return
            data = self._receive()
            if data is not None:
                interim = conn.receive_data(data)  # b"" is EOF: what is pending is still answered
                if interim and not self._send(interim):  # a 100 Continue
                    return
                continue
            farewell = conn.expire(self._token)  # None: stale timer; else a 408 or b""
            if farewell and not self._send(farewell):
                return

    def _receive(self) -> bytes | None:
        """The next bytes (b"" at EOF), or None if the connection's timer ran out first."""
        timer = self._conn.timer()
        if timer is None:
            raise RuntimeError("a connection waiting for input must have a timer running")
        now = time.monotonic()
        if timer.token != self._token:  # a new phase or a new request: restart the clock
            self._token, self._deadline = timer.token, now + timer.seconds
        remaining = self._deadline - now
        if remaining <= 0:
            return None
        self.sock.settimeout(remaining)
        try:
            return self.sock.recv(self._config.receive_size)
        except TimeoutError:
            return None

    def _answer(self, event: HttpEvent | EchoData) -> bool:
        """Serve one event and send its answer; False if the peer stopped reading."""
        admitted = self._tally.admit(limited=isinstance(event, Request))
        answered = False
        try:
            reply = self._reply(event) if admitted else overloaded()
            answered = self._send(self._conn.send(reply))
        finally:
            self._tally.finish(admitted=admitted, answered=answered)
        return answered

    def _reply(self, event: HttpEvent | EchoData) -> Response | EchoData:
        match dispatch(event):
            case Response() | EchoData() as reply:
                return reply
            case Delay(seconds, response):
                # This model's timer: sleep in the connection's own thread. It blocks this
                # connection only; every other connection is served by a thread of its own.
                time.sleep(seconds)
                return response
            case Work(iterations, _):
                return work_response(self._compute.run(iterations))
            case other:
                assert_never(other)

    def _send(self, data: bytes) -> bool:
        """Send `data`; False (counted as rejected "send_timeout") if the peer stopped reading."""
        if send_all(self.sock, data, self._config.send_timeout):
            return True
        self._tally.reject("send_timeout")
        log.debug("%s: peer stopped reading for %s s", self.name, self._config.send_timeout)
        return False
