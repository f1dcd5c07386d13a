# The codec table (cases.py) through HttpConnection, for both parser backends.
#
# Rules of this file: one table drives everything; each case is fed whole, byte by byte, and
# with a further request appended (parsed only if the case left the connection open), as
# h11's test_io does, and must give exactly the events the table lists.
"""HttpConnection, both backends: every case of cases.py, fed three ways."""

from __future__ import annotations

import pytest

from impls.config import Parser, ServerConfig

from ._drive import MODES, Err, Req, feed, pieces, run, views, with_trailing
from .cases import CASES, CONFIG, Case, head_of_size


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, mode: str, parser: str) -> None:
    config = CONFIG.replace(parser=parser)
    expected = with_trailing(case.events) if mode == "trailing" else case.events
    assert views(run(case.raw, config, mode), expected) == expected


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /ping HTTP/1.1\r\nHost: x\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ],
    ids=["in-head", "in-body", "in-chunked-body"],
)
@pytest.mark.parametrize("mode", ["whole", "bytewise"])
def test_request_cut_short_by_eof_is_abandoned(raw: bytes, mode: str, parser: str) -> None:
    config = CONFIG.replace(parser=parser)
    ping = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    events = feed(config, pieces(ping + raw, mode, config.receive_size))
    assert views(events, [Req("GET", "/ping")]) == [Req("GET", "/ping")]


def test_default_limits_at_and_over(parser: Parser) -> None:
    # The table runs at small limits; the defaults of ServerConfig behave the same.
    config = ServerConfig(parser=parser)
    at_limit = head_of_size(config.max_header_bytes)
    over = head_of_size(config.max_header_bytes + 1)
    events = feed(config, [at_limit, over])
    assert views(events, [Req("GET", "/ping")]) == [Req("GET", "/ping"), Err(431)]
