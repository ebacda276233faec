"""The CLI end to end over real HTTP: a loopback stand-in for ObsAI's gateway
(answers GET /health, POST /auth/login, and POST /query with the gold, a wrong
answer or an error) and the demo world's Prometheus. The real gateway is
test_slice's business."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from obsai_eval.cli import main
from obsai_eval.prometheus import PrometheusClient
from obsai_eval.questions import Question
from tests.eval.conftest import DEVSET
from tests.support.serving import serving

pytestmark = pytest.mark.integration

API_KEY = "obsai_test_key"
ADMIN_PASSWORD = "loopback-admin-password"
TOKEN = "loopback-access-token"


class _FakeObsAI(ThreadingHTTPServer):
    answers: dict[str, tuple[int, dict[str, Any]]]
    requests: list[dict[str, Any]]
    # username → password accepted by POST /auth/login.
    users: dict[str, str]
    # Every request: (method, path, the credential it carried: "api-key", "bearer" or "").
    calls: list[tuple[str, str, str]]


class _Handler(BaseHTTPRequestHandler):
    server: _FakeObsAI

    def do_GET(self) -> None:
        self.server.calls.append(("GET", self.path, self._credential()))
        self._send(200, {"status": "ok"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        credential = self._credential()
        self.server.calls.append(("POST", self.path, credential))
        if self.path == "/auth/login":
            self._login(body)
            return
        if not credential:
            self._send(401, {"error": {"code": "UNAUTHENTICATED", "message": "no key"}})
            return
        self.server.requests.append(body)
        status, payload = self.server.answers.get(
            body["query"], (400, {"error": {"code": "INVALID_ARGUMENT", "message": "?"}})
        )
        self._send(status, payload)

    def _login(self, body: dict[str, Any]) -> None:
        if self.server.users.get(body.get("username", "")) != body.get("password"):
            error = {"code": "UNAUTHENTICATED", "message": "invalid username or password"}
            self._send(401, {"error": error})
            return
        self._send(200, {"access_token": TOKEN, "token_type": "Bearer"})

    def _credential(self) -> str:
        if self.headers.get("X-API-Key") == API_KEY:
            return "api-key"
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return "bearer"
        return ""

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_obsai() -> Iterator[_FakeObsAI]:
    server = _FakeObsAI(("127.0.0.1", 0), _Handler)
    server.answers = {}
    server.requests = []
    server.users = {"admin": ADMIN_PASSWORD}
    server.calls = []
    with serving(server):
        yield server


def _url(server: _FakeObsAI) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def _ok(promql: str) -> tuple[int, dict[str, Any]]:
    return 200, {"promql": promql, "engine": "echo", "timings_ms": {"total": 2.5}}


def test_cli_prints_the_table_and_the_accuracy_line_last(
    fake_obsai: _FakeObsAI,
    devset: list[Question],
    prometheus: PrometheusClient,
    at: float,
    tmp_path: Path,
) -> None:
    latency = [q for q in devset if q.category == "latency"]
    for q in latency:
        fake_obsai.answers[q.q] = _ok(q.gold)
    wrong, refused, *_ = latency
    fake_obsai.answers[wrong.q] = _ok("vector(42)")
    fake_obsai.answers[refused.q] = (
        400,
        {"error": {"code": "UNSAFE_QUERY", "message": "query refused"}},
    )
    report_path = tmp_path / "out" / "report.json"
    out = io.StringIO()

    status = main(
        [
            "--questions",
            str(DEVSET),
            "--url",
            _url(fake_obsai),
            "--prometheus",
            prometheus.base_url,
            "--api-key",
            API_KEY,
            "--category",
            "latency",
            "--time",
            f"{at}",
            "--report",
            str(report_path),
            "--quiet",
        ],
        out=out,
    )

    assert status == 0
    lines = out.getvalue().splitlines()
    n, m = len(latency) - 2, len(latency)
    assert lines[-1] == f"execution accuracy: {n}/{m} = {100 * n / m:.1f}%"
    assert lines[0].split() == [
        "id",
        "category",
        "match",
        "metrics",
        "ok",
        "engine",
        "latency",
        "ms",
    ]
    assert any(line.startswith(f"{wrong.id} ") and " no " in line for line in lines)
    text = out.getvalue()
    assert f"{refused.id}: HTTP 400: UNSAFE_QUERY: query refused" in text
    assert "misses by category:" in text

    assert len(fake_obsai.requests) == m
    assert all(r["no_cache"] is True and r["time"].endswith("Z") for r in fake_obsai.requests)

    report = json.loads(report_path.read_text())
    assert report["summary"]["matched"] == n
    assert report["summary"]["total"] == m
    assert report["summary"]["by_category"]["latency"]["misses"] == [wrong.id, refused.id]
    assert report["evaluated_at"] == pytest.approx(at)
    by_id = {r["id"]: r for r in report["results"]}
    assert by_id[latency[2].id]["server_ms"] == 2.5
    assert by_id[latency[2].id]["engine"] == "echo"
    assert by_id[wrong.id]["syntax_valid"] is True
    assert by_id[wrong.id]["metrics_ok"] is False
    assert by_id[refused.id]["syntax_valid"] is False


def test_cli_floor_sets_the_exit_status(
    fake_obsai: _FakeObsAI, devset: list[Question], prometheus: PrometheusClient
) -> None:
    question = devset[0]
    # CPU seconds are never negative, so this is a miss whatever the world's load.
    fake_obsai.answers[question.q] = _ok("vector(-1)")
    args = [
        "--questions",
        str(DEVSET),
        "--url",
        _url(fake_obsai),
        "--prometheus",
        prometheus.base_url,
        "--api-key",
        API_KEY,
        "--id",
        question.id,
        "--quiet",
    ]
    assert main([*args, "--min-accuracy", "50"], out=io.StringIO()) == 1
    assert main(args, out=io.StringIO()) == 0


def test_cli_refuses_to_start_without_what_it_needs(
    fake_obsai: _FakeObsAI, prometheus: PrometheusClient, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--questions", str(DEVSET), "--url", _url(fake_obsai)]
    assert main([*base, "--api-key", API_KEY]) == 2
    assert "--prometheus" in capsys.readouterr().err
    assert main([*base, "--prometheus", prometheus.base_url]) == 2
    assert "no credentials" in capsys.readouterr().err
    assert main([*base, "--prometheus", prometheus.base_url, "--category", "nope"]) == 2
    assert "no questions selected" in capsys.readouterr().err
    assert main(["--questions", "/nonexistent.yaml", "--url", "http://x"]) == 2
    assert "nonexistent.yaml" in capsys.readouterr().err


def _one_question_args(question: Question, at: float) -> list[str]:
    """Arguments without --url, --prometheus or credentials: those come from the environment."""
    return ["--questions", str(DEVSET), "--id", question.id, "--time", f"{at}", "--quiet"]


def test_cli_finds_the_stack_at_obsai_url_and_takes_obsai_api_key(
    fake_obsai: _FakeObsAI,
    devset: list[Question],
    prometheus: PrometheusClient,
    at: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    question = devset[0]
    fake_obsai.answers[question.q] = _ok(question.gold)
    monkeypatch.setenv("OBSAI_URL", _url(fake_obsai))
    monkeypatch.setenv("PROMETHEUS_URL", prometheus.base_url)
    monkeypatch.setenv("OBSAI_API_KEY", API_KEY)
    # The key wins over the bootstrap admin's password: no login.
    monkeypatch.setenv("OBSAI_ADMIN_PASSWORD", ADMIN_PASSWORD)
    out = io.StringIO()

    assert main(_one_question_args(question, at), out=out) == 0

    assert out.getvalue().splitlines()[-1] == "execution accuracy: 1/1 = 100.0%"
    assert fake_obsai.calls == [("GET", "/health", ""), ("POST", "/query", "api-key")]


def test_cli_reads_the_prometheus_of_the_local_stack_from_its_stack_file(
    fake_obsai: _FakeObsAI,
    devset: list[Question],
    prometheus: PrometheusClient,
    at: float,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    question = devset[0]
    fake_obsai.answers[question.q] = _ok(question.gold)
    # What `make run` writes while its stack is up, relative to the working directory.
    (tmp_path / ".obsai").mkdir()
    (tmp_path / ".obsai" / "stack.json").write_text(
        json.dumps({"url": _url(fake_obsai) + "/", "prometheus_url": prometheus.base_url})
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OBSAI_URL", _url(fake_obsai))
    monkeypatch.setenv("OBSAI_API_KEY", API_KEY)
    out = io.StringIO()

    assert main(_one_question_args(question, at), out=out) == 0

    assert out.getvalue().splitlines()[-1] == "execution accuracy: 1/1 = 100.0%"
    assert fake_obsai.calls == [("GET", "/health", ""), ("POST", "/query", "api-key")]


@pytest.mark.parametrize("username", [None, "root"])
def test_cli_logs_in_as_the_bootstrap_admin_with_obsai_admin_password(
    fake_obsai: _FakeObsAI,
    devset: list[Question],
    prometheus: PrometheusClient,
    at: float,
    monkeypatch: pytest.MonkeyPatch,
    username: str | None,
) -> None:
    question = devset[0]
    fake_obsai.answers[question.q] = _ok(question.gold)
    fake_obsai.users = {username or "admin": ADMIN_PASSWORD}
    monkeypatch.setenv("OBSAI_URL", _url(fake_obsai))
    monkeypatch.setenv("PROMETHEUS_URL", prometheus.base_url)
    monkeypatch.setenv("OBSAI_ADMIN_PASSWORD", ADMIN_PASSWORD)
    if username:
        monkeypatch.setenv("OBSAI_ADMIN_USERNAME", username)
    out = io.StringIO()

    assert main(_one_question_args(question, at), out=out) == 0

    assert out.getvalue().splitlines()[-1] == "execution accuracy: 1/1 = 100.0%"
    assert fake_obsai.calls == [
        ("GET", "/health", ""),
        ("POST", "/auth/login", ""),
        ("POST", "/query", "bearer"),
    ]


def test_cli_stops_when_the_admin_login_is_refused(
    fake_obsai: _FakeObsAI,
    devset: list[Question],
    prometheus: PrometheusClient,
    at: float,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OBSAI_URL", _url(fake_obsai))
    monkeypatch.setenv("PROMETHEUS_URL", prometheus.base_url)
    monkeypatch.setenv("OBSAI_ADMIN_PASSWORD", "not-the-password")

    assert main(_one_question_args(devset[0], at)) == 2

    err = capsys.readouterr().err
    assert "login as 'admin' refused: UNAUTHENTICATED: invalid username or password" in err
    assert "not-the-password" not in err
    assert [path for _, path, _ in fake_obsai.calls] == ["/health", "/auth/login"]
