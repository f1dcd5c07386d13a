# The TCP echo protocol (RFC 862) of `--protocol echo`: every byte back, in order, then EOF.
"""Conformance: --protocol echo."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from tests.conformance._client import ConnectFactory, pump
from tests.conformance._matrix import per_variant
from tests.conformance._server import ServeFactory, Server, Target

MIB = 1024 * 1024

pytestmark = per_variant


@pytest.fixture(scope="module")
def echo_server(target: Target) -> Iterator[Server]:
    """`target` speaking echo (one per module and variant)."""
    s = Server.start(target, "--protocol", "echo")
    yield s
    s.stop()


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_ready_line_says_echo(echo_server: Server) -> None:
    assert echo_server.ready["protocol"] == "echo"


def test_one_mebibyte_comes_back_intact(echo_server: Server, connect: ConnectFactory) -> None:
    data = _payload(MIB, seed=1)
    client = connect(echo_server)
    assert pump(client.sock, data, expect=len(data)) == data


def test_half_close_gets_everything_then_eof(echo_server: Server, connect: ConnectFactory) -> None:
    data = _payload(300_000, seed=2)
    client = connect(echo_server)
    assert pump(client.sock, data, half_close=True) == data


def test_small_writes_come_back_in_order(echo_server: Server, connect: ConnectFactory) -> None:
    client = connect(echo_server)
    for i in range(20):
        message = b"message %d\n" % i
        client.send(message)
        assert pump(client.sock, b"", expect=len(message)) == message


def test_half_close_without_data_gets_eof(echo_server: Server, connect: ConnectFactory) -> None:
    client = connect(echo_server)
    client.shutdown_write()
    assert client.read_until_eof() == b""


def test_idle_echo_connection_closes(serve: ServeFactory, connect: ConnectFactory) -> None:
    s = serve("--protocol", "echo", "--keepalive-timeout", "0.5")
    client = connect(s)
    assert pump(client.sock, b"ping", expect=4) == b"ping"
    assert client.read_until_eof() == b""
