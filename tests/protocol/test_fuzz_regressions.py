# The fuzz targets' checks under pytest: what the fuzzers found stays found, and the invariants
# run on every test run, not only under `tox -e fuzz`.
#
# Rules of this file: the checks are fuzz/invariants.py's, the one home of them (this file only
# chooses inputs). Every file of fuzz/corpus/ goes through all three targets' checks; one that
# reproduces an open finding (fuzz/known.py) is a strict xfail that must fail *by that finding*,
# so a fix turns it into an XPASS failure and the finding is then deleted. The seeds of the test
# tables and a small derandomized Hypothesis search run through the same checks. Needs the
# repository root on sys.path (`python -m pytest`, as the README runs it) for `import fuzz`.
"""Regression inputs from fuzzing, and the fuzz invariants over seeds and generated inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz
from fuzz.invariants import (
    CLOSE,
    EXPIRE,
    LARGE_LIMITS,
    NO_EOF,
    FuzzInput,
    InvariantError,
    check_echo,
    check_http,
)
from fuzz.known import OPEN, open_finding
from fuzz.seeds import ECHO_PAYLOADS, http_payloads, variants
from impls.protocol import HttpConnection, ProtocolError, ResponseEncoder
from impls.protocol._parsers import HttptoolsBackend

CORPUS = Path(fuzz.__file__).parent / "corpus"
CORPUS_FILES = sorted(CORPUS.glob("*/*.bin"))
OPEN_BY_INPUT = {name: finding for finding in OPEN for name in finding.inputs}
HTTP_PAYLOADS = http_payloads()


def _corpus_params() -> list[pytest.ParameterSet]:
    params = []
    for path in CORPUS_FILES:
        name = path.relative_to(CORPUS).as_posix()
        finding = OPEN_BY_INPUT.get(name)
        if finding is None:
            params.append(pytest.param(path, id=name))
            continue
        reason = f"open finding {finding.name}: {finding.reason}"
        xfail = pytest.mark.xfail(strict=True, raises=InvariantError, reason=reason)
        params.append(pytest.param(path, id=name, marks=xfail))
    return params


def test_corpus_is_not_empty() -> None:
    assert {p.parent.name for p in CORPUS_FILES} == {"http", "echo"}


def test_open_findings_have_their_inputs() -> None:
    for finding in OPEN:
        for name in finding.inputs:
            assert (CORPUS / name).is_file(), (finding.name, name)


@pytest.mark.parametrize("path", _corpus_params())
def test_corpus_input_keeps_the_invariants(path: Path) -> None:
    data = path.read_bytes()
    check_echo(data)
    finding = OPEN_BY_INPUT.get(path.relative_to(CORPUS).as_posix())
    try:
        check_http(data)
    except InvariantError as error:
        if finding is None or open_finding(error) is finding:
            raise
        # Still failing, but no longer by the finding it was filed for: not the expected xfail.
        raise AssertionError(f"fails other than by {finding.name}: {error}") from error


@pytest.mark.parametrize(("name", "payload"), HTTP_PAYLOADS, ids=[n for n, _ in HTTP_PAYLOADS])
def test_seed_keeps_the_invariants(name: str, payload: bytes) -> None:
    for fuzz_input in variants(payload):
        data = fuzz_input.encode()
        check_http(data)
        check_echo(data)


@pytest.mark.parametrize(("name", "payload"), ECHO_PAYLOADS, ids=[n for n, _ in ECHO_PAYLOADS])
def test_echo_seed_comes_back_whole(name: str, payload: bytes) -> None:
    for fuzz_input in variants(payload):
        echoed = check_echo(fuzz_input.encode())
        if not fuzz_input.flags & EXPIRE:  # a timeout drops what was not yet echoed
            assert echoed == payload


# --- the checks bite: a layer broken on purpose fails them ---------------------------------

GET = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
POST = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"


def test_a_dropped_body_byte_is_a_disagreement(monkeypatch: pytest.MonkeyPatch) -> None:
    on_body = HttptoolsBackend.on_body
    monkeypatch.setattr(HttptoolsBackend, "on_body", lambda self, body: on_body(self, body[1:]))
    with pytest.raises(InvariantError, match="the requests differ"):
        check_http(FuzzInput(POST).encode())


def test_an_error_answer_that_keeps_the_connection_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encode = ResponseEncoder.encode
    monkeypatch.setattr(
        ResponseEncoder, "encode", lambda self, r, keep_alive, http10=False: encode(self, r, True)
    )
    with pytest.raises(InvariantError, match="keeps the connection"):
        check_http(FuzzInput(b"GARBAGE\r\n\r\n").encode())


def test_an_escaping_protocol_error_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def receive_data(self: HttpConnection, data: bytes) -> bytes:
        raise ProtocolError(400, "escaped")

    monkeypatch.setattr(HttpConnection, "receive_data", receive_data)
    with pytest.raises(InvariantError, match="raised ProtocolError"):
        check_http(FuzzInput(GET).encode())


# --- hypothesis: the same checks on generated inputs ---------------------------------------

SETTINGS = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Bytes the request grammar turns on, so that edits land on its decisions.
_GRAMMAR_BYTES = b'\r\n \t:;,="0123456789abcdefABCDEF/?%\x00\x01\x7f\x80\xff'
_FLAGS = st.sets(st.sampled_from([LARGE_LIMITS, NO_EOF, CLOSE, EXPIRE])).map(sum)


@st.composite
def _edited(draw: st.DrawFn) -> bytes:
    """A seed payload with a few bytes replaced, inserted or deleted."""
    payload = bytearray(draw(st.sampled_from([p for _, p in HTTP_PAYLOADS])))
    byte = st.sampled_from(_GRAMMAR_BYTES) | st.integers(0, 255)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(payload)))
        edit = draw(st.sampled_from(["replace", "insert", "delete"]))
        if edit == "insert" or where == len(payload):
            payload.insert(where, draw(byte))
        elif edit == "replace":
            payload[where] = draw(byte)
        else:
            del payload[where]
    return bytes(payload)


@st.composite
def _fuzz_inputs(draw: st.DrawFn) -> bytes:
    payload = draw(_edited() | st.binary(max_size=200))
    cuts = draw(st.lists(st.integers(0, len(payload)), max_size=7))
    return FuzzInput(payload, tuple(cuts), draw(_FLAGS)).encode()


@SETTINGS
@given(_fuzz_inputs())
def test_generated_inputs_keep_the_invariants(data: bytes) -> None:
    check_echo(data)
    try:
        check_http(data)
    except InvariantError as error:
        if open_finding(error) is None:  # an open finding has its own xfail case above
            raise
