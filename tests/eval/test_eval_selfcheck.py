"""Self-checks on a real Prometheus with the demo world's data: every gold runs
and returns data; golds answering themselves score 100% through the harness's
own comparison path; known-wrong answers are misses for the right reason."""

from __future__ import annotations

import pytest

from obsai_eval.answerers import Answer, GoldAnswerer, ScriptedAnswerer
from obsai_eval.prometheus import PrometheusClient
from obsai_eval.questions import Question, load_questions
from obsai_eval.report import accuracy_line, render
from obsai_eval.runner import evaluate_question, run
from tests.eval.conftest import DEVSET

pytestmark = pytest.mark.integration

_QUESTIONS = load_questions(DEVSET)
_BY_ID = {q.id: q for q in _QUESTIONS}


@pytest.mark.parametrize(
    ("question", "promql"),
    [(q, ref) for q in _QUESTIONS for ref in q.references],
    ids=[
        q.id if i == 0 else f"{q.id}-alt{i}" for q in _QUESTIONS for i in range(len(q.references))
    ],
)
def test_every_gold_is_valid_and_returns_data(
    question: Question, promql: str, prometheus: PrometheusClient, at: float
) -> None:
    result = prometheus.instant(promql, at)
    assert result.kind in ("vector", "scalar"), result.kind
    assert result.samples, f"{question.id}: {promql} returns no data"


def test_golds_against_themselves_score_100_percent(
    devset: list[Question], prometheus: PrometheusClient, at: float
) -> None:
    outcome = run(devset, GoldAnswerer(), prometheus, at)
    misses = [(r.id, r.reason) for r in outcome.results if not r.match]
    assert misses == []
    assert all(r.syntax_valid and r.metrics_ok and r.matched == "gold" for r in outcome.results)
    n = len(devset)
    assert accuracy_line(outcome) == f"execution accuracy: {n}/{n} = 100.0%"
    assert render(outcome).splitlines()[-1] == accuracy_line(outcome)


def test_every_alternative_matches_itself(
    devset: list[Question], prometheus: PrometheusClient, at: float
) -> None:
    for question in devset:
        for index, alternative in enumerate(question.alternatives, start=1):
            result = evaluate_question(
                question, ScriptedAnswerer({question.id: alternative}), prometheus, at
            )
            assert result.match, (question.id, result.reason)
            assert result.matched in ("gold", f"alternative {index}")


# (question id, a wrong answer, what the reason must say, metrics still right?)
_WRONG = [
    pytest.param(
        "seed-04",
        'sum(container_spec_memory_limit_bytes{service="payment"})',
        "value",
        False,
        id="different-metric",
    ),
    pytest.param(
        "cpu-01",
        'sum(rate(container_cpu_usage_seconds_total{service="catalog"}[5m]))',
        "value",
        True,
        id="wrong-filter",
    ),
    pytest.param(
        "lat-01",
        "histogram_quantile(0.5, sum by (le) "
        '(rate(http_request_duration_seconds_bucket{service="checkout"}[5m])))',
        "value",
        True,
        id="wrong-quantile",
    ),
    pytest.param(
        "traf-02",
        "sum by (namespace) (rate(http_requests_total[5m]))",
        "2 series in the answer, 10 in the gold",
        True,
        id="wrong-grouping-count",
    ),
    pytest.param(
        "err-05",
        'topk(3, sum by (service) (rate(http_requests_total{status=~"5.."}[5m])))',
        "no answer series with the gold's labels {status=",
        True,
        id="wrong-grouping-labels",
    ),
    pytest.param(
        "mem-02",
        'sum by (pod) (container_memory_usage_bytes{service="cache"})',
        "3 series in the answer, 4 in the gold",
        True,
        id="statefulset-pods-merged",
    ),
    pytest.param(
        "mem-04",
        'sum(container_memory_usage_bytes{service="auth"})',
        "value",
        True,
        id="unit-not-converted",
    ),
    pytest.param(
        "err-02",
        'sum(rate(http_requests_total{service="catalog", status=~"5.."}[5m]))',
        "value",
        True,
        id="errors-per-second-for-a-ratio",
    ),
    pytest.param(
        "seed-23",
        "sum(rate(http_requests_total[5m]))",
        "value",
        True,
        id="comparison-without-offset",
    ),
    pytest.param(
        "seed-30",
        "sum by (namespace, pod) (container_memory_usage_bytes)"
        " / sum by (namespace, pod) (container_spec_memory_limit_bytes) > 0.5",
        "series in the answer",
        True,
        id="wrong-threshold",
    ),
    pytest.param(
        "seed-04",
        'container_memory_usage_bytes{service="payment"}[5m]',
        "matrix",
        True,
        id="range-vector",
    ),
    pytest.param(
        "cpu-01",
        'sum(rate(container_cpu_usage_seconds_total{service="checkout"}[5m])',
        "Prometheus refused the answer",
        False,
        id="syntax-error",
    ),
    pytest.param(
        "err-02",
        'rate(http_requests_total{service="catalog"}[5m]) / on (service) '
        'rate(http_requests_total{service="catalog"}[5m])',
        "Prometheus refused the answer",
        True,
        id="execution-error",
    ),
]


@pytest.mark.parametrize(("qid", "wrong", "reason", "metrics_ok"), _WRONG)
def test_known_wrong_answers_are_misses(
    qid: str,
    wrong: str,
    reason: str,
    metrics_ok: bool,
    prometheus: PrometheusClient,
    at: float,
) -> None:
    result = evaluate_question(_BY_ID[qid], ScriptedAnswerer({qid: wrong}), prometheus, at)
    assert not result.match
    assert reason in result.reason
    assert result.metrics_ok is metrics_ok
    assert result.syntax_valid is ("refused" not in reason)


# Right answers in another form than the gold's: the match definition accepts them.
_RIGHT = [
    pytest.param(
        "seed-01",
        'scalar(sum(rate(container_cpu_usage_seconds_total{service="auth"}[5m])))',
        id="scalar-for-vector",
    ),
    pytest.param(
        "seed-07",
        'rate(container_fs_writes_total{service="storage"}[5m])',
        id="extra-labels",
    ),
    pytest.param("avail-01", 'up{job="payment"} == 1', id="other-filter-same-series"),
    pytest.param(
        "cpu-06",
        'sum(avg_over_time(rate(container_cpu_usage_seconds_total{service="frontend"}[5m])[1h:1m]))',
        id="equivalent-average",
    ),
    pytest.param(
        "traf-01",
        'sum(rate(http_requests_total{service="checkout"}[2m]))',
        id="another-rate-window",
    ),
    pytest.param(
        "mem-04",
        'sum(container_memory_usage_bytes{service="auth"}) / 1e6',
        id="decimal-megabytes",
    ),
    pytest.param(
        "seed-12",
        'sum(rate(http_requests_total{service="payment", status=~"5.."}[5m]))'
        ' / sum(rate(http_requests_total{service="payment"}[5m]))',
        id="ratio-alternative",
    ),
]


@pytest.mark.parametrize(("qid", "right"), _RIGHT)
def test_right_answers_in_other_forms_match(
    qid: str, right: str, prometheus: PrometheusClient, at: float
) -> None:
    result = evaluate_question(_BY_ID[qid], ScriptedAnswerer({qid: right}), prometheus, at)
    assert result.match, result.reason
    assert result.metrics_ok


class _Exploding:
    name = "exploding"

    def answer(self, question: Question, at: float) -> Answer:
        raise RuntimeError("boom")


def test_answerer_failures_are_misses_and_the_run_goes_on(
    devset: list[Question], prometheus: PrometheusClient, at: float
) -> None:
    questions = devset[:3]
    scripted = run(questions, ScriptedAnswerer({}), prometheus, at)
    assert [r.reason for r in scripted.results] == ["no scripted answer"] * 3
    assert accuracy_line(scripted) == "execution accuracy: 0/3 = 0.0%"
    exploded = run(questions, _Exploding(), prometheus, at)
    assert all(r.reason == "answerer failed: RuntimeError: boom" for r in exploded.results)
    assert all(not r.syntax_valid for r in exploded.results)


def test_a_gold_without_data_is_reported_not_matched(
    prometheus: PrometheusClient, at: float
) -> None:
    question = Question("x", "q", 'up{job="no-such-job"}', "availability")
    result = evaluate_question(question, GoldAnswerer(), prometheus, at)
    assert not result.match
    assert result.gold_error == "the gold returns no data at the evaluation time"
    assert result.reason == result.gold_error
