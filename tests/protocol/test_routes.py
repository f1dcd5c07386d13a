# Every route of docs/service-spec.md through `routes.dispatch`, the one entry point impls call.
#
# Rules of this file: pure functions in, values out - no connection, no clock. What takes time
# comes back as a `Delay` or `Work` value; `work.spin` is checked for being deterministic, not
# for how long it runs (performance belongs to benchmarks, not tests).
"""routes.dispatch: 200s, 400 bounds and bad query forms, 404, 405 with Allow, Delay and Work."""

from __future__ import annotations

import pytest

from impls.protocol import (
    Action,
    Delay,
    EchoData,
    Request,
    RequestError,
    Response,
    Work,
    dispatch,
    overloaded,
    spin,
    work_response,
)
from impls.protocol._parsers import make_request
from impls.protocol.routes import MAX_BYTES, MAX_DELAY_MS, MAX_WORK_MS, ROUTES
from impls.protocol.work import iterations_for

TEXT = (b"content-type", b"text/plain")
PATTERN = b"0123456789abcdef"


def get(
    target: str, method: str = "GET", body: bytes = b"", *fields: tuple[bytes, bytes]
) -> Request:
    return make_request(method, target, ((b"host", b"x"), *fields), body, "1.1", True)


def respond(request: Request) -> Response:
    action = dispatch(request)
    assert isinstance(action, Response), action
    return action


def header(response: Response, name: bytes) -> bytes | None:
    return dict(response.headers).get(name)


# --- the routes -------------------------------------------------------------------------------


def test_ping() -> None:
    response = respond(get("/ping"))
    assert (response.status, response.body, response.close) == (200, b"PONG", False)
    assert TEXT in response.headers


def test_ping_in_absolute_form() -> None:
    assert respond(get("http://example.com/ping")).body == b"PONG"


def test_echo_returns_the_body_with_its_type() -> None:
    response = respond(get("/echo", "POST", b"\x00data", (b"content-type", b"image/png")))
    assert (response.status, response.body) == (200, b"\x00data")
    assert header(response, b"content-type") == b"image/png"


def test_echo_defaults_to_octet_stream() -> None:
    response = respond(get("/echo", "POST", b"x"))
    assert header(response, b"content-type") == b"application/octet-stream"


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 100_000, MAX_BYTES])
def test_bytes(n: int) -> None:
    response = respond(get(f"/bytes?n={n}"))
    assert response.status == 200
    assert len(response.body) == n
    assert response.body == (PATTERN * (n // 16 + 1))[:n]


def test_bytes_ignores_other_parameters() -> None:
    assert respond(get("/bytes?x=1&n=3&y")).body == b"012"


@pytest.mark.parametrize("ms", [0, 1, 250, MAX_DELAY_MS])
def test_delay_is_a_value(ms: int) -> None:
    action = dispatch(get(f"/delay?ms={ms}"))
    assert isinstance(action, Delay)
    assert action.seconds == ms / 1000
    assert action.response.status == 200


@pytest.mark.parametrize("ms", [0, 1, 50, MAX_WORK_MS])
def test_work_is_a_value(ms: int) -> None:
    action = dispatch(get(f"/work?ms={ms}"))
    assert action == Work(iterations_for(ms), ms)


def test_work_response_carries_the_result() -> None:
    response = work_response(spin(3))
    assert (response.status, response.body) == (200, str(spin(3)).encode("ascii"))


# --- bad queries: decimal integers given once, within bounds ----------------------------------

BAD_QUERIES = [
    "",
    "?",
    "?n",
    "?n=",
    "?n=-1",
    "?n=+1",
    "?n=1e3",
    "?n=0x10",
    "?n=1.0",
    "?n= 1",
    "?n=%31",
    "?n=1&n=2",
    "?n=1&n=1",
    "?N=1",
    "?m=1",
    "?n=9999999999",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize(("path", "name"), [("/bytes", "n"), ("/delay", "ms"), ("/work", "ms")])
def test_bad_query_is_400(path: str, name: str, query: str) -> None:
    response = respond(get(path + query.replace("n", name).replace("N", name.upper())))
    assert response.status == 400
    assert TEXT in response.headers


@pytest.mark.parametrize(
    "target",
    [f"/bytes?n={MAX_BYTES + 1}", f"/delay?ms={MAX_DELAY_MS + 1}", f"/work?ms={MAX_WORK_MS + 1}"],
)
def test_above_bound_is_400(target: str) -> None:
    assert respond(get(target)).status == 400


# --- 404 and 405 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/", "/nope", "/ping/", "/PING", "/pingx", "*", "example.com:443"]
)
def test_unknown_path_is_404(target: str) -> None:
    assert respond(get(target)).status == 404


@pytest.mark.parametrize(
    ("method", "target", "allow"),
    [
        ("POST", "/ping", b"GET, HEAD"),
        ("GET", "/echo", b"POST"),
        ("HEAD", "/echo", b"POST"),
        ("PUT", "/bytes?n=1", b"GET, HEAD"),
        ("DELETE", "/delay?ms=1", b"GET, HEAD"),
        ("POST", "/work?ms=1", b"GET, HEAD"),
        ("OPTIONS", "/ping", b"GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(method: str, target: str, allow: bytes) -> None:
    response = respond(get(target, method))
    assert response.status == 405
    assert header(response, b"allow") == allow


@pytest.mark.parametrize("path", sorted(p for p, r in ROUTES.items() if r.method == "GET"))
def test_head_is_answered_where_get_is(path: str) -> None:
    target = path + ("?n=1" if path == "/bytes" else "?ms=0" if path != "/ping" else "")
    assert dispatch(get(target, "HEAD")) == dispatch(get(target))


# --- the other entry points -------------------------------------------------------------------


def test_request_error_is_answered_and_closes() -> None:
    response = respond_error(RequestError(431, "request header fields too large"))
    assert (response.status, response.close) == (431, True)
    assert response.body == b"request header fields too large"


def respond_error(error: RequestError) -> Response:
    action = dispatch(error)
    assert isinstance(action, Response)
    return action


def test_echo_data_goes_back_unchanged() -> None:
    data = EchoData(b"\x00\xffbytes")
    assert dispatch(data) is data


def test_overloaded_is_503_with_retry_after() -> None:
    response = overloaded()
    assert response.status == 503
    assert header(response, b"retry-after") == b"1"


# --- work.spin --------------------------------------------------------------------------------


def test_spin_is_a_fixed_sequence() -> None:
    assert spin(0) == 1
    assert spin(1) == 1103527590  # 1103515245 * 1 + 12345, as a 32-bit LCG step
    assert spin(2) == (1103527590 * 1103515245 + 12345) & 0xFFFFFFFF
    assert spin(10_000) == spin(10_000)
    assert 0 <= spin(12_345) < 2**32


def test_iterations_for_is_proportional() -> None:
    one = iterations_for(1)
    assert one > 0
    assert iterations_for(0) == 0
    assert abs(iterations_for(10) - 10 * one) <= 10  # one calibration per process, scaled
    assert iterations_for(MAX_WORK_MS) >= iterations_for(MAX_WORK_MS - 1)


def test_every_action_kind_is_covered() -> None:
    kinds: set[type[Action | EchoData]] = {
        type(dispatch(get(t))) for t in ["/ping", "/delay?ms=0", "/work?ms=0"]
    }
    assert kinds == {Response, Delay, Work}
