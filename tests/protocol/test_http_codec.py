# The codec table (cases.py) through HttpConnection, for both parser backends.
#
# Rules of this file: one table drives everything; each case is fed whole, byte by byte, and
# with a further request appended (parsed only if the case left the connection open), as
# h11's test_io does, and must give exactly the events the table lists. The cases of a long
# chunk-size line or trailer field are cut at more points around that line besides: their
# verdict must not depend on where the receives split it.
"""HttpConnection, both backends: every case of cases.py, fed three ways."""

from __future__ import annotations

import pytest

from impls.config import Parser, ServerConfig
from tests.protocol._drive import MODES, PARSERS, Err, Req, feed, pieces, run, views, with_trailing
from tests.protocol.cases import CASES, CONFIG, LONG_LINE_START, Case, head_of_size


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, mode: str, parser: str) -> None:
    config = CONFIG.replace(parser=parser)
    expected = with_trailing(case.events) if mode == "trailing" else case.events
    assert views(run(case.raw, config, mode), expected) == expected


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


LINE_CAP_CASES = [c for c in CASES if c.id.endswith("-raw-line-cap")]


def cuts_around_long_line(raw: bytes, receive_size: int) -> list[list[bytes]]:
    """`raw` in receives of at most `receive_size` bytes (as recv() hands them over), one of
    them ending at each of `points_around_long_line`; and the whole in receives of a few odd
    sizes."""
    cut = [
        pieces(raw[:p], "whole", receive_size) + pieces(raw[p:], "whole", receive_size)
        for p in points_around_long_line(raw)
    ]
    return cut + [pieces(raw, "whole", size) for size in (7, 64, 500, receive_size - 1)]


def points_around_long_line(raw: bytes) -> list[int]:
    """Offsets in `raw` a byte before its long line, at its start, one and two bytes into it,
    in its middle, before its CR, between CR and LF, and after its LF."""
    start = min(i for i in map(raw.find, LONG_LINE_START) if i >= 0)
    length = raw.index(b"\n", start) + 1 - start
    return [start + d for d in (-1, 0, 1, 2, length // 2, length - 2, length - 1, length)]


@pytest.mark.parametrize("case", LINE_CAP_CASES, ids=[c.id for c in LINE_CAP_CASES])
def test_long_line_verdict_does_not_depend_on_the_cuts(case: Case, parser: str) -> None:
    config = CONFIG.replace(parser=parser)
    for chunks in cuts_around_long_line(case.raw, config.receive_size):
        assert views(feed(config, chunks), case.events) == case.events, [len(c) for c in chunks]


@pytest.mark.parametrize("case", LINE_CAP_CASES, ids=[c.id for c in LINE_CAP_CASES])
def test_long_line_in_receives_over_receive_size_gets_one_answer(case: Case) -> None:
    # More than receive_size at once, as no impl's recv() returns: a line begun and ended inside
    # one receive is not measured (it is in memory already), by either backend alike.
    raw = case.raw
    for chunks in [[raw]] + [[raw[:p], raw[p:]] for p in points_around_long_line(raw)]:
        answers = [views(feed(CONFIG.replace(parser=p), chunks), case.events) for p in PARSERS]
        assert answers[0] == answers[1], [len(c) for c in chunks]


def test_line_cap_cases_are_there() -> None:
    assert len(LINE_CAP_CASES) == 6


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
