"""The HTTP answerer against a mock transport: what it sends, how it reads answers
and errors. (The real gateway is exercised by test_eval_cli and test_slice.)"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from obsai_eval.answerers import (
    AnswererError,
    ApiKey,
    GoldAnswerer,
    HttpAnswerer,
    Login,
    ScriptedAnswerer,
    rfc3339,
)
from obsai_eval.questions import Question

QUESTION = Question("lat-01", "p99 latency for checkout", "up", "latency")
AT = 1_767_225_600.25  # 2026-01-01T00:00:00.250Z

Handler = Callable[[httpx.Request], httpx.Response]


KEY = ApiKey("k-123")


def _answerer(handler: Handler, credentials: ApiKey | Login = KEY) -> HttpAnswerer:
    return HttpAnswerer("http://obsai.test/", credentials, transport=httpx.MockTransport(handler))


def test_rfc3339() -> None:
    assert rfc3339(AT) == "2026-01-01T00:00:00.250Z"


def test_asks_query_with_the_evaluation_time_and_no_cache() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "id": "q1",
                "promql": " histogram_quantile(0.99, x) ",
                "engine": "planner",
                "confidence": 0.8,
                "warnings": ["assumed 5m"],
                "timings_ms": {"total": 12.5, "generation": 3},
            },
        )

    with _answerer(handler) as answerer:
        answer = answerer.answer(QUESTION, AT)
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/query"
    assert request.headers["X-API-Key"] == "k-123"
    assert json.loads(request.content) == {
        "query": "p99 latency for checkout",
        "time": "2026-01-01T00:00:00.250Z",
        "no_cache": True,
    }
    assert answer.promql == "histogram_quantile(0.99, x)"
    assert answer.engine == "planner"
    assert answer.server_ms == 12.5
    assert answer.confidence == 0.8
    assert answer.warnings == ("assumed 5m",)
    assert answer.client_ms > 0
    assert answer.error == ""


def test_logs_in_once_and_sends_the_bearer_token() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/auth/login":
            assert json.loads(request.content) == {"username": "admin", "password": "pw"}
            return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer"})
        assert request.headers["Authorization"] == "Bearer tok"
        return httpx.Response(200, json={"promql": "up", "engine": "claude"})

    with _answerer(handler, Login("admin", "pw")) as answerer:
        answerer.authenticate()
        assert answerer.answer(QUESTION, AT).promql == "up"
        assert answerer.answer(QUESTION, AT).promql == "up"
    assert paths == ["/auth/login", "/query", "/query"]


def test_login_is_tried_again_while_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("obsai_eval.answerers.time.sleep", lambda seconds: None)
    statuses = iter([503, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 503:
            return httpx.Response(503, json={"error": {"code": "UNAVAILABLE", "message": "x"}})
        return httpx.Response(200, json={"access_token": "t"})

    with _answerer(handler, Login("admin", "pw")) as answerer:
        answerer.authenticate()
    assert next(statuses, None) is None


def test_a_refused_login_is_fatal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": {"code": "UNAUTHENTICATED", "message": "invalid credentials"}}
        )

    with _answerer(handler, Login("admin", "bad")) as answerer, pytest.raises(AnswererError) as e:
        answerer.authenticate()
    assert "UNAUTHENTICATED: invalid credentials" in str(e.value)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            httpx.Response(429, json={"error": {"code": "RATE_LIMITED", "message": "slow down"}}),
            "HTTP 429: RATE_LIMITED: slow down",
        ),
        (
            httpx.Response(400, json={"error": {"code": "UNSAFE_QUERY", "message": "refused"}}),
            "HTTP 400: UNSAFE_QUERY: refused",
        ),
        (httpx.Response(502, text="bad gateway"), "HTTP 502: bad gateway"),
        (
            httpx.Response(200, json={"promql": "", "explanation": "which service?"}),
            "no PromQL in the answer: which service?",
        ),
    ],
)
def test_errors_are_answers_with_a_reason(response: httpx.Response, error: str) -> None:
    with _answerer(lambda _request: response) as answerer:
        answer = answerer.answer(QUESTION, AT)
    assert answer.error == error
    assert answer.promql == ""


def test_a_dead_server_is_an_answer_with_a_reason() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with _answerer(handler) as answerer:
        answer = answerer.answer(QUESTION, AT)
    assert answer.error.startswith("request failed: ConnectError")


def test_gold_and_scripted_answerers() -> None:
    assert GoldAnswerer().answer(QUESTION, AT).promql == "up"
    scripted = ScriptedAnswerer({"lat-01": "down"})
    assert scripted.answer(QUESTION, AT).promql == "down"
    other = Question("x", "q", "up", "c")
    assert scripted.answer(other, AT).error == "no scripted answer"


def test_waits_for_a_successful_discovery_scan() -> None:
    states = iter(
        [
            {"state": "running", "triggered": False},
            {"state": "idle", "triggered": True, "last_scan": {"success": False}},
            {"state": "idle", "triggered": True, "last_scan": {"success": True, "metrics": 9}},
        ]
    )
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        assert json.loads(request.content) == {"wait": True}
        return httpx.Response(200, json=next(states))

    with _answerer(handler) as answerer:
        status = answerer.wait_for_discovery(poll=0.0)
    assert status["last_scan"]["metrics"] == 9
    assert paths == ["/admin/discovery/trigger"] * 3


def test_discovery_refused_is_fatal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403, json={"error": {"code": "PERMISSION_DENIED", "message": "admins only"}}
        )

    with _answerer(handler) as answerer, pytest.raises(AnswererError) as caught:
        answerer.wait_for_discovery(poll=0.0)
    assert "PERMISSION_DENIED: admins only" in str(caught.value)
