"""The pipeline's side of the planner's alternatives: when the engine's answer is refused
(by the validator or by Prometheus) or returns no data, the next one is tried."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from urllib.parse import parse_qs

import httpx
import pytest

from obsai_common.errors import FailedPrecondition
from obsai_query.app import build_pipeline
from obsai_query.cache import AnswerCache
from obsai_query.engines.base import Generation
from obsai_query.grounding import Grounding
from obsai_query.pipeline import Caller, QueryInput, QueryPipeline
from obsai_query.prometheus import PrometheusClient
from obsai_query.settings import QuerySettings
from tests.unit.query.memory_catalog import MemoryCatalog

CALLER = Caller(user_id="u1")
EMPTY = 'sum(rate(http_requests_total{service="nobody"}[5m]))'
REFUSED_BY_PROMETHEUS = "sum(rate(http_requests_total[5m])) / on (x) up"
INVALID = "rate(container_memory_usage_bytes[5m])"  # the validator refuses rate() of a gauge
GOOD = "sum(rate(http_requests_total[5m]))"


class ScriptedEngine:
    name = "planner"

    def __init__(self, generation: Generation) -> None:
        self.generation = generation

    async def generate(
        self, question: str, grounding: Grounding, feedback: Sequence[str] | None = None
    ) -> Generation:
        return self.generation


def answer_for(promql: str) -> httpx.Response:
    if promql == REFUSED_BY_PROMETHEUS:
        return httpx.Response(
            422, json={"status": "error", "errorType": "bad_data", "error": "many-to-many matching"}
        )
    series = [] if promql == EMPTY else [{"metric": {}, "value": [1.0, "4.2"]}]
    return httpx.Response(
        200, json={"status": "success", "data": {"resultType": "vector", "result": series}}
    )


@pytest.fixture
async def make() -> AsyncIterator[Callable[[Generation], QueryPipeline]]:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        promql = parse_qs(request.content.decode())["query"][0]
        asked.append(promql)
        return answer_for(promql)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))

    def build(generation: Generation) -> QueryPipeline:
        settings = QuerySettings()
        return build_pipeline(
            settings,
            catalog=MemoryCatalog(),
            engine=ScriptedEngine(generation),
            prometheus=PrometheusClient(http, "http://prometheus.test"),
            cache=AnswerCache(None, 0),
            history=None,
        )

    yield build
    await http.aclose()


def generation(promql: str, *alternatives: str) -> Generation:
    return Generation(
        promql,
        f"answers with {promql}",
        0.6,
        engine="planner",
        alternatives=tuple(
            Generation(a, f"answers with {a}", 0.4, engine="planner") for a in alternatives
        ),
    )


async def test_no_data_tries_the_next(make: Callable[[Generation], QueryPipeline]) -> None:
    answer = await make(generation(EMPTY, GOOD)).answer(QueryInput("requests"), CALLER)
    assert answer.promql == GOOD
    assert answer.explanation == f"answers with {GOOD}"
    assert any("returned no data" in w for w in answer.warnings)
    assert any("next-best" in w for w in answer.warnings)


async def test_refusals_try_the_next(make: Callable[[Generation], QueryPipeline]) -> None:
    pipeline = make(generation(INVALID, REFUSED_BY_PROMETHEUS, GOOD))
    answer = await pipeline.answer(QueryInput("requests"), CALLER)
    assert answer.promql == GOOD
    assert len([w for w in answer.warnings if w.startswith("skipped")]) == 2


async def test_when_none_has_data_the_first_that_ran_answers(
    make: Callable[[Generation], QueryPipeline],
) -> None:
    answer = await make(generation(INVALID, EMPTY)).answer(QueryInput("requests"), CALLER)
    assert answer.promql == EMPTY
    assert answer.result.series == ()


async def test_when_all_are_refused_the_first_refusal_is_raised(
    make: Callable[[Generation], QueryPipeline],
) -> None:
    with pytest.raises(FailedPrecondition, match="validator"):
        await make(generation(INVALID, REFUSED_BY_PROMETHEUS)).answer(
            QueryInput("requests"), CALLER
        )


async def test_an_answer_with_data_is_kept(make: Callable[[Generation], QueryPipeline]) -> None:
    answer = await make(generation(GOOD, EMPTY)).answer(QueryInput("requests"), CALLER)
    assert answer.promql == GOOD
    assert answer.warnings == ()
