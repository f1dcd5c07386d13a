"""`impls.osutil`: StopSignals wakes the main thread for SIGINT/SIGTERM whichever thread the kernel
picks; WakeupPair wakes a selector; SpareDescriptor turns a client away at EMFILE."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import threading

from impls.osutil import SpareDescriptor, StopSignals, WakeupPair


def test_a_signal_to_the_process_wakes_wait() -> None:
    with StopSignals() as signals:
        os.kill(os.getpid(), signal.SIGTERM)
        assert signals.wait() is signal.SIGTERM


def test_a_signal_caught_by_another_thread_still_wakes_the_main_thread() -> None:
    parked = threading.Event()
    worker = threading.Thread(target=parked.wait)
    worker.start()
    try:
        with StopSignals() as signals:
            assert worker.ident is not None
            signal.pthread_kill(worker.ident, signal.SIGINT)
            assert signals.wait() is signal.SIGINT
    finally:
        parked.set()
        worker.join()


def test_the_previous_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with StopSignals():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_wake_ends_wait_or_wake_without_a_signal() -> None:
    with StopSignals() as signals:
        waker = threading.Thread(target=signals.wake)
        waker.start()
        assert signals.wait_or_wake(None) is None
        waker.join()


def test_wait_or_wake_returns_a_signal_and_gives_up_after_its_timeout() -> None:
    with StopSignals() as signals:
        assert signals.wait_or_wake(0) is None  # nothing yet
        os.kill(os.getpid(), signal.SIGINT)
        assert signals.wait_or_wake(None) is signal.SIGINT


def test_wait_skips_a_stale_wake() -> None:
    with StopSignals() as signals:
        signals.wake()
        os.kill(os.getpid(), signal.SIGTERM)
        assert signals.wait() is signal.SIGTERM


def test_wake_after_the_context_is_a_no_op() -> None:
    with StopSignals() as signals:
        pass
    signals.wake()  # a connection thread outliving the server: no write to a reused descriptor


def test_a_ring_wakes_a_selector_and_drain_quiets_it() -> None:
    pair = WakeupPair()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(pair.socket, selectors.EVENT_READ)
            assert selector.select(0) == []
            pair.ring()
            pair.ring()
            assert len(selector.select(0)) == 1
            pair.drain()
            assert selector.select(0) == []
    finally:
        pair.close()
    pair.ring()  # closed: ignored, not raised


def test_shed_turns_away_the_waiting_client_and_keeps_a_spare() -> None:
    spare = SpareDescriptor()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        assert spare.shed(listener) is False  # nobody waiting: nothing turned away
        with socket.create_connection(listener.getsockname()[:2], timeout=5) as client:
            assert spare.shed(listener) is True
            assert client.recv(1) == b""  # closed by the server: the client is told at once
        assert spare.shed(listener) is False  # the spare was reopened, the backlog is empty
    spare.close()
    spare.close()  # idempotent
