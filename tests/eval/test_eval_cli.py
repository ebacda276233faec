"""The CLI end to end over real HTTP: a loopback stand-in for ObsAI's gateway
(answers POST /query with the gold, a wrong answer or an error) and the demo
world's Prometheus. The real gateway is test_slice's business."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from obsai_eval.cli import main
from obsai_eval.prometheus import PrometheusClient
from obsai_eval.questions import Question
from tests.eval.conftest import DEVSET

pytestmark = pytest.mark.integration

API_KEY = "obsai_test_key"


class _FakeObsAI(ThreadingHTTPServer):
    answers: dict[str, tuple[int, dict[str, Any]]]
    requests: list[dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: _FakeObsAI

    def do_GET(self) -> None:
        self._send(200, {"status": "ok"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("X-API-Key") != API_KEY:
            self._send(401, {"error": {"code": "UNAUTHENTICATED", "message": "no key"}})
            return
        self.server.requests.append(body)
        status, payload = self.server.answers.get(
            body["query"], (400, {"error": {"code": "INVALID_ARGUMENT", "message": "?"}})
        )
        self._send(status, payload)

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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
