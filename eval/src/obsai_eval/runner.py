"""Ask, evaluate, compare: one question, then a whole run.

For each question: the answerer answers as of the evaluation instant; the gold
(and its alternatives) and the answer's PromQL are evaluated on Prometheus at
that same instant; `compare` decides. Whatever goes wrong with one question (an
HTTP error, a refused or unparseable query, an exception) makes it a miss with
the reason and the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from obsai_eval.answerers import Answer, Answerer
from obsai_eval.compare import ABS_EPSILON, REL_TOLERANCE, compare
from obsai_eval.prometheus import InstantResult, PrometheusClient, PrometheusError
from obsai_eval.promql import MetricRefs, PromQLSyntaxError, metric_refs
from obsai_eval.questions import Question


@dataclass
class QuestionResult:
    id: str
    category: str
    question: str
    gold: str
    promql: str = ""
    engine: str = ""
    match: bool = False
    reason: str = ""
    # The answer had PromQL and Prometheus accepted it.
    syntax_valid: bool = False
    # Every metric the gold reads is read by the answer too.
    metrics_ok: bool = False
    gold_metrics: list[str] = field(default_factory=list)
    answer_metrics: list[str] = field(default_factory=list)
    client_ms: float = 0.0
    server_ms: float | None = None
    confidence: float | None = None
    gold_series: int | None = None
    answer_series: int | None = None
    # Which reference matched: "gold", or "alternative 1", "alternative 2", …
    matched: str = ""
    # The gold itself failed or returned nothing: a problem of the questions file.
    gold_error: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Run:
    questions_file: str
    prometheus_url: str
    answerer: str
    evaluated_at: float
    rel_tolerance: float = REL_TOLERANCE
    abs_epsilon: float = ABS_EPSILON
    obsai_url: str = ""
    results: list[QuestionResult] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def matched(self) -> int:
        return sum(r.match for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)


def evaluate_question(
    question: Question,
    answerer: Answerer,
    prometheus: PrometheusClient,
    at: float,
    rel_tol: float = REL_TOLERANCE,
    abs_eps: float = ABS_EPSILON,
) -> QuestionResult:
    """Ask one question and judge the answer; never raises."""
    result = QuestionResult(question.id, question.category, question.q, question.gold)
    try:
        answer = answerer.answer(question, at)
    except Exception as exc:  # an answerer bug is one miss, not a dead run
        answer = Answer(error=f"answerer failed: {type(exc).__name__}: {exc}")
    _take_answer(result, answer)
    try:
        _judge(result, question, answer, prometheus, at, rel_tol, abs_eps)
    except Exception as exc:
        result.match = False
        result.reason = f"evaluation failed: {type(exc).__name__}: {exc}"
    return result


def run(
    questions: Sequence[Question],
    answerer: Answerer,
    prometheus: PrometheusClient,
    at: float,
    *,
    questions_file: str = "",
    obsai_url: str = "",
    rel_tol: float = REL_TOLERANCE,
    abs_eps: float = ABS_EPSILON,
    on_result: Callable[[int, QuestionResult], None] | None = None,
) -> Run:
    """Every question in order, one at a time (so latencies are not contended)."""
    started = time.perf_counter()
    outcome = Run(
        questions_file=questions_file,
        prometheus_url=prometheus.base_url,
        answerer=answerer.name,
        evaluated_at=at,
        rel_tolerance=rel_tol,
        abs_epsilon=abs_eps,
        obsai_url=obsai_url,
    )
    for index, question in enumerate(questions):
        result = evaluate_question(question, answerer, prometheus, at, rel_tol, abs_eps)
        outcome.results.append(result)
        if on_result is not None:
            on_result(index, result)
    outcome.wall_seconds = time.perf_counter() - started
    return outcome


def _take_answer(result: QuestionResult, answer: Answer) -> None:
    result.promql = answer.promql
    result.engine = answer.engine
    result.client_ms = answer.client_ms
    result.server_ms = answer.server_ms
    result.confidence = answer.confidence
    result.warnings = list(answer.warnings)


def _judge(
    result: QuestionResult,
    question: Question,
    answer: Answer,
    prometheus: PrometheusClient,
    at: float,
    rel_tol: float,
    abs_eps: float,
) -> None:
    gold_refs = _refs(question.gold)
    result.gold_metrics = sorted(gold_refs.names) if gold_refs else []
    references = _evaluate_references(result, question, prometheus, at)

    if answer.error and not answer.promql:
        result.reason = answer.error
        return
    answer_refs = _refs(answer.promql)
    if answer_refs is not None:
        result.answer_metrics = sorted(answer_refs.names)
    try:
        answered = prometheus.instant(answer.promql, at)
    except PrometheusError as exc:
        result.reason = f"Prometheus refused the answer: {exc}"
        result.metrics_ok = _covers(answer_refs, gold_refs)
        return
    result.syntax_valid = True
    result.answer_series = len(answered.samples)

    first_reason = ""
    for label, promql, evaluated in references:
        if evaluated is None:
            continue
        verdict = compare(evaluated, answered, rel_tol, abs_eps)
        if verdict.match:
            result.match = True
            result.matched = label
            result.metrics_ok = _covers(answer_refs, _refs(promql))
            result.reason = ""
            return
        first_reason = first_reason or verdict.reason
    result.metrics_ok = _covers(answer_refs, gold_refs)
    result.reason = result.gold_error or first_reason or "no reference could be evaluated"


def _evaluate_references(
    result: QuestionResult, question: Question, prometheus: PrometheusClient, at: float
) -> list[tuple[str, str, InstantResult | None]]:
    """(label, PromQL, result or None) for the gold and each alternative."""
    evaluated: list[tuple[str, str, InstantResult | None]] = []
    for index, promql in enumerate(question.references):
        label = "gold" if index == 0 else f"alternative {index}"
        try:
            value: InstantResult | None = prometheus.instant(promql, at)
        except PrometheusError as exc:
            value = None
            if index == 0:
                result.gold_error = f"the gold fails on Prometheus: {exc}"
        if index == 0:
            result.gold_series = len(value.samples) if value is not None else None
            if value is not None and not value.samples:
                result.gold_error = "the gold returns no data at the evaluation time"
        evaluated.append((label, promql, value))
    return evaluated


def _refs(promql: str) -> MetricRefs | None:
    if not promql:
        return None
    try:
        return metric_refs(promql)
    except PromQLSyntaxError:
        return None


def _covers(answer: MetricRefs | None, gold: MetricRefs | None) -> bool:
    if answer is None or gold is None:
        return False
    return answer.covers(gold.names)
