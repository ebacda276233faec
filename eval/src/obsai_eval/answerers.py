"""Who answers the questions.

- `HttpAnswerer` asks ObsAI through its public REST API (POST /query), the way
  users do, so the evaluation measures what they get: the gateway, auth, rate
  limits, the query service and whichever engine it picks.
- `GoldAnswerer` answers every question with its gold: the self-check that the
  comparison path gives 100% on correct answers.
- `ScriptedAnswerer` answers from a table (known-wrong answers in tests).

An answerer never raises for one question: what went wrong is in `Answer.error`,
and the runner counts it as a miss with that reason. Failing to log in at all
is the exception (`AnswererError`): no question could be asked.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

import httpx

from obsai_eval.questions import Question


class AnswererError(Exception):
    """The answerer cannot answer anything (e.g. the login was refused)."""


@dataclass(frozen=True)
class Answer:
    promql: str = ""
    engine: str = ""
    # Wall time the client waited, and the server's own timings_ms.total.
    client_ms: float = 0.0
    server_ms: float | None = None
    confidence: float | None = None
    warnings: tuple[str, ...] = ()
    # Why there is no usable answer (an HTTP error, a refusal); empty when fine.
    error: str = ""


class Answerer(Protocol):
    name: str

    def answer(self, question: Question, at: float) -> Answer:
        """Answer `question` as of unix time `at`; never raises for one question."""
        ...


class GoldAnswerer:
    """Answers each question with its own gold."""

    name = "gold"

    def answer(self, question: Question, at: float) -> Answer:
        return Answer(promql=question.gold, engine=self.name)


@dataclass
class ScriptedAnswerer:
    """Answers from `answers` (question id → PromQL); a missing id is an error."""

    answers: Mapping[str, str]
    name: str = "scripted"

    def answer(self, question: Question, at: float) -> Answer:
        promql = self.answers.get(question.id)
        if promql is None:
            return Answer(engine=self.name, error="no scripted answer")
        return Answer(promql=promql, engine=self.name)


@dataclass(frozen=True)
class ApiKey:
    key: str


@dataclass(frozen=True)
class Login:
    username: str
    password: str = field(repr=False)


Credentials = ApiKey | Login


def rfc3339(at: float) -> str:
    """Unix seconds as the JSON form of google.protobuf.Timestamp."""
    return (
        datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class HttpAnswerer:
    """Asks ObsAI's POST /query, with `time` = the evaluation instant and no cache."""

    name = "obsai"

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=transport,
        )
        self._headers: dict[str, str] | None = None

    def __enter__(self) -> HttpAnswerer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def authenticate(self) -> None:
        """Log in (or take the API key); raises AnswererError when refused."""
        if isinstance(self._credentials, ApiKey):
            self._headers = {"X-API-Key": self._credentials.key}
            return
        try:
            response = self._login(self._credentials)
        except httpx.HTTPError as exc:
            raise AnswererError(f"cannot reach ObsAI at {self.base_url}: {exc}") from exc
        if response.status_code != 200:
            raise AnswererError(
                f"login as {self._credentials.username!r} refused: {_error_text(response)}"
            )
        token = _json(response).get("access_token")
        if not isinstance(token, str) or not token:
            raise AnswererError("login answered without an access_token")
        self._headers = {"Authorization": f"Bearer {token}"}

    def _login(self, login: Login, attempts: int = 3, pause: float = 1.0) -> httpx.Response:
        """POST /auth/login; UNAVAILABLE (a stack still warming up) is tried again."""
        body = {"username": login.username, "password": login.password}
        for _ in range(attempts - 1):
            response = self._client.post("/auth/login", json=body)
            if response.status_code != 503:
                return response
            time.sleep(pause)
        return self._client.post("/auth/login", json=body)

    def wait_for_discovery(self, timeout: float = 180.0, poll: float = 1.0) -> Mapping[str, Any]:
        """Run a discovery scan (or wait for the running one) until one succeeded.

        A stack that has just started may not have scanned Prometheus yet, and
        with an empty catalog every answer is "no metric matches". Needs admin
        credentials. Returns the last DiscoveryStatus; raises AnswererError when
        refused or when no scan succeeds within `timeout`.
        """
        if self._headers is None:
            self.authenticate()
        deadline = time.monotonic() + timeout
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                response = self._client.post(
                    "/admin/discovery/trigger", json={"wait": True}, headers=self._headers
                )
            except httpx.HTTPError as exc:
                raise AnswererError(f"discovery trigger failed: {exc}") from exc
            if response.status_code != 200:
                raise AnswererError(f"discovery trigger refused: {_error_text(response)}")
            status = _json(response)
            last = status.get("last_scan") or status.get("lastScan") or {}
            if status.get("state") == "idle" and isinstance(last, Mapping) and last.get("success"):
                return status
            time.sleep(poll)
        raise AnswererError(f"no successful discovery scan within {timeout:.0f} s: {status}")

    def answer(self, question: Question, at: float) -> Answer:
        if self._headers is None:
            try:
                self.authenticate()
            except AnswererError as exc:
                return Answer(error=str(exc))
        body = {"query": question.q, "time": rfc3339(at), "no_cache": True}
        started = time.perf_counter()
        try:
            response = self._client.post("/query", json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000.0
            return Answer(client_ms=elapsed, error=f"request failed: {type(exc).__name__}: {exc}")
        elapsed = (time.perf_counter() - started) * 1000.0
        if response.status_code != 200:
            return Answer(
                client_ms=elapsed,
                error=f"HTTP {response.status_code}: {_error_text(response)}",
            )
        return _answer_from(_json(response), elapsed)


def _answer_from(payload: Mapping[str, Any], client_ms: float) -> Answer:
    timings = payload.get("timings_ms") or payload.get("timingsMs") or {}
    server_ms = timings.get("total") if isinstance(timings, Mapping) else None
    confidence = payload.get("confidence")
    warnings = payload.get("warnings") or ()
    promql = str(payload.get("promql") or "").strip()
    error = ""
    if not promql:
        said = payload.get("explanation") or payload.get("summary") or ""
        error = "no PromQL in the answer" + (f": {str(said)[:200]}" if said else "")
    return Answer(
        promql=promql,
        engine=str(payload.get("engine") or ""),
        client_ms=client_ms,
        server_ms=float(server_ms) if isinstance(server_ms, int | float) else None,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        warnings=tuple(str(w) for w in warnings),
        error=error,
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _error_text(response: httpx.Response) -> str:
    """The gateway's {"error": {"code", "message"}} shape, or the raw text."""
    error = _json(response).get("error")
    if isinstance(error, Mapping):
        code = error.get("code", "")
        message = error.get("message", "")
        return f"{code}: {message}".strip(": ") or response.reason_phrase
    return response.text[:300] or response.reason_phrase
