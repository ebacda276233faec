"""The query pipeline: question → grounded, validated, executed PromQL → answer.

    input ─▶ cache? ─▶ grounding ─▶ generation ─▶ validation (─▶ one repair) ─▶
    execution ─▶ answer (summary, units) ─▶ cache, history (off the hot path)

Every stage is timed into `timings_ms`. PromQL that fails validation is never
executed: with a repairable engine (Claude) the problems are fed back once; a
query still failing is refused with the reasons in the error's details. An
engine may rank alternatives (`Generation.alternatives`, the planner does):
when its answer is refused, Prometheus refuses it, or it returns no data, the
next is tried, and the answer's warnings say so.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from obsai_common.errors import FailedPrecondition, ObsaiError
from obsai_query.answer import infer_unit, summarize
from obsai_query.cache import AnswerCache, cache_key
from obsai_query.catalog_client import CatalogClient, MetricInfo
from obsai_query.engines.base import Engine, Generation, QueryPart
from obsai_query.executor import Execution, Executor, ResultData, Sample, SeriesData
from obsai_query.grounding import Grounder, Grounding
from obsai_query.history import HistoryRecord, HistoryWriter
from obsai_query.metrics import (
    CACHE_HITS,
    CACHE_MISSES,
    ENGINE_ANSWERS,
    QUERY_DURATION,
    QUERY_STAGE_DURATION,
    REPAIRS,
    VALIDATION_PROBLEMS,
)
from obsai_query.question import clean_question, normalise
from obsai_query.time_range import TimeWindow, resolve_window, utc_now
from obsai_query.validator import PromqlValidator, ValidationReport, metric_names

log = logging.getLogger(__name__)

# Prometheus says this of rate() over something that is not a counter.
_NOT_A_COUNTER = "might not be a counter"
_MAX_LOOKUPS = 20


@dataclass(frozen=True, slots=True)
class QueryInput:
    question: str
    time_range: str = ""
    start: datetime | None = None
    end: datetime | None = None
    step: str = ""
    time: datetime | None = None
    no_cache: bool = False


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks: from the verified identity, never from the request body."""

    user_id: str
    tenant: str = ""
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class AnsweredPart:
    promql: str
    explanation: str
    result: ResultData
    summary: str


@dataclass(frozen=True, slots=True)
class Answer:
    id: str
    promql: str
    explanation: str
    confidence: float
    engine: str
    result: ResultData
    summary: str
    cached: bool = False
    warnings: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    queries: tuple[AnsweredPart, ...] = ()

    def to_cache(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Answer:
        return cls(
            id=str(data["id"]),
            promql=str(data["promql"]),
            explanation=str(data["explanation"]),
            confidence=float(data["confidence"]),
            engine=str(data["engine"]),
            result=_result(data["result"]),
            summary=str(data["summary"]),
            cached=bool(data.get("cached", False)),
            warnings=tuple(data.get("warnings", ())),
            timings=dict(data.get("timings", {})),
            assumptions=tuple(data.get("assumptions", ())),
            queries=tuple(
                AnsweredPart(q["promql"], q["explanation"], _result(q["result"]), q["summary"])
                for q in data.get("queries", ())
            ),
        )


def _sample(data: Any) -> Sample | None:
    return None if data is None else Sample(float(data["timestamp"]), float(data["value"]))


def _result(data: Mapping[str, Any]) -> ResultData:
    return ResultData(
        type=str(data["type"]),
        series=tuple(
            SeriesData(
                dict(s["labels"]),
                _sample(s.get("value")),
                tuple(Sample(float(p["timestamp"]), float(p["value"])) for p in s["values"]),
            )
            for s in data["series"]
        ),
        truncated=bool(data.get("truncated", False)),
    )


class _Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.ms: dict[str, float] = {
            "grounding": 0.0,
            "generation": 0.0,
            "validation": 0.0,
            "execution": 0.0,
        }
        self.repairs = 0
        self.refused: tuple[Generation, list[ValidationReport]] | None = None

    def add(self, stage: str, since: float) -> None:
        seconds = time.perf_counter() - since
        self.ms[stage] = self.ms.get(stage, 0.0) + seconds * 1000
        QUERY_STAGE_DURATION.labels(stage).observe(seconds)

    def done(self) -> dict[str, float]:
        total = (time.perf_counter() - self.started) * 1000
        return {**{k: round(v, 3) for k, v in self.ms.items()}, "total": round(total, 3)}


@dataclass(frozen=True, slots=True)
class PipelineLimits:
    max_question_length: int = 1000
    max_points_per_series: int = 11_000
    max_range_seconds: float = 7 * 86400.0
    catalog_version_ttl_seconds: float = 2.0
    default_tenant: str = ""
    engine_mode: str = "planner"


@dataclass(frozen=True, slots=True)
class _Ran:
    generation: Generation
    reports: list[ValidationReport]
    lookup: dict[str, MetricInfo | None]
    executions: list[Execution]

    def parts(
        self,
    ) -> tuple[Generation, list[ValidationReport], dict[str, MetricInfo | None], list[Execution]]:
        return self.generation, self.reports, self.lookup, self.executions


class QueryPipeline:
    def __init__(
        self,
        *,
        catalog: CatalogClient,
        grounder: Grounder,
        engine: Engine,
        validator: PromqlValidator,
        executor: Executor,
        cache: AnswerCache,
        history: HistoryWriter | None,
        limits: PipelineLimits | None = None,
    ) -> None:
        self._catalog = catalog
        self._grounder = grounder
        self._engine = engine
        self._validator = validator
        self._executor = executor
        self._cache = cache
        self._history = history
        self._limits = limits or PipelineLimits()
        self._version: tuple[int, float] | None = None

    # --- the pipeline

    async def answer(self, request: QueryInput, caller: Caller) -> Answer:
        clock = _Stopwatch()
        query_id = str(uuid.uuid4())
        text = request.question[: self._limits.max_question_length]
        try:
            question = clean_question(request.question, self._limits.max_question_length)
            text = question
            window = resolve_window(
                question=question,
                now=utc_now(),
                time_range=request.time_range,
                start=request.start,
                end=request.end,
                step=request.step,
                time=request.time,
                max_points=self._limits.max_points_per_series,
                max_range_seconds=self._limits.max_range_seconds,
            )
            tenant = caller.tenant or self._limits.default_tenant
            key = await self._cache_key(question, tenant, window)
            if key is not None and not request.no_cache:
                hit = await self._cache.get(key)
                if hit is not None:
                    CACHE_HITS.inc()
                    answer = replace(
                        Answer.from_cache(hit), id=query_id, cached=True, timings=clock.done()
                    )
                    self._record(answer, caller, question, success=True)
                    QUERY_DURATION.labels("cached").observe(answer.timings["total"] / 1000)
                    return answer
            if key is not None:
                CACHE_MISSES.inc()
            answer = await self._answer_fresh(query_id, question, window, caller, clock)
            # A fallback answer is not what this engine mode promises: never cached.
            if key is not None and "fallback" not in answer.engine:
                await self._cache.put(key, answer.to_cache())
            self._record(answer, caller, question, success=True)
            QUERY_DURATION.labels("ok").observe(answer.timings["total"] / 1000)
            return answer
        except ObsaiError as error:
            timings = clock.done()
            QUERY_DURATION.labels(error.code.lower()).observe(timings["total"] / 1000)
            self._record_failure(query_id, caller, text, error, timings)
            raise

    async def _answer_fresh(
        self,
        query_id: str,
        question: str,
        window: TimeWindow,
        caller: Caller,
        clock: _Stopwatch,
    ) -> Answer:
        since = time.perf_counter()
        grounding = await self._grounder.ground(question, window)
        clock.add("grounding", since)

        since = time.perf_counter()
        generation = await self._engine.generate(question, grounding, None)
        clock.add("generation", since)
        ENGINE_ANSWERS.labels(generation.engine.split(" ")[0] or "unknown").inc()

        generation, reports, lookup, executions, notes = await self._first_with_data(
            question, grounding, generation, window, caller.tenant, clock
        )
        run_window = window.as_instant() if generation.instant else window

        if generation.repairable and any(_NOT_A_COUNTER in i for e in executions for i in e.infos):
            # Prometheus saw what the catalog could not: one repair round, if unused.
            feedback = [i for e in executions for i in e.infos if _NOT_A_COUNTER in i]
            repaired = await self._repair(question, grounding, generation, feedback, clock)
            if repaired is not None:
                generation, reports, lookup = repaired
                run_window = window.as_instant() if generation.instant else window
                since = time.perf_counter()
                executions = await self._execute(generation.parts, run_window, caller.tenant)
                clock.add("execution", since)

        warnings: list[str] = [*window.notes, *notes]
        for report in reports:
            warnings.extend(report.warnings)
        for execution in executions:
            warnings.extend(execution.warnings)
            warnings.extend(execution.infos)
        parts: list[AnsweredPart] = []
        description = window.description if run_window.is_range else ""
        for part, execution in zip(generation.parts, executions, strict=True):
            unit = part.unit or infer_unit(part.promql, lookup)
            parts.append(
                AnsweredPart(
                    part.promql,
                    part.explanation,
                    execution.result,
                    summarize(execution.result, unit, description),
                )
            )
        primary = parts[0]
        return Answer(
            id=query_id,
            promql=primary.promql,
            explanation=generation.explanation,
            confidence=generation.confidence,
            engine=generation.engine,
            result=primary.result,
            summary=primary.summary,
            cached=False,
            warnings=tuple(dict.fromkeys(warnings)),
            timings=clock.done(),
            assumptions=generation.assumptions,
            queries=tuple(parts) if len(parts) > 1 else (),
        )

    # --- alternatives

    async def _first_with_data(
        self,
        question: str,
        grounding: Grounding,
        generation: Generation,
        window: TimeWindow,
        tenant: str,
        clock: _Stopwatch,
    ) -> tuple[
        Generation, list[ValidationReport], dict[str, MetricInfo | None], list[Execution], list[str]
    ]:
        """The engine's answer or, when it is refused (by the validator or Prometheus) or
        returns no data, the first of its alternatives that runs and returns data; the
        first that ran when none has data; else the first refusal."""
        first_empty: _Ran | None = None
        refusal: FailedPrecondition | None = None
        notes: list[str] = []
        for index, candidate in enumerate((generation, *generation.alternatives)):
            try:
                ran = await self._run(question, grounding, candidate, window, tenant, clock)
            except FailedPrecondition as error:
                refusal = refusal or error
                notes.append(f"skipped {candidate.promql!r}: {error.message}")
                continue
            if any(e.result.series for e in ran.executions):
                if index:
                    notes.append(f"answered with the engine's next-best query (#{index + 1})")
                return (*ran.parts(), notes if index else [])
            first_empty = first_empty or ran
            notes.append(f"{candidate.promql!r} returned no data")
        if first_empty is not None:
            return (*first_empty.parts(), [])
        assert refusal is not None
        raise refusal

    async def _run(
        self,
        question: str,
        grounding: Grounding,
        generation: Generation,
        window: TimeWindow,
        tenant: str,
        clock: _Stopwatch,
    ) -> _Ran:
        generation, reports, lookup = await self._validated(question, grounding, generation, clock)
        run_window = window.as_instant() if generation.instant else window
        since = time.perf_counter()
        try:
            executions = await self._execute(generation.parts, run_window, tenant)
        finally:
            clock.add("execution", since)
        return _Ran(generation, reports, lookup, executions)

    # --- validation and repair

    async def resolve_metrics(
        self, promqls: Sequence[str], known: Mapping[str, MetricInfo]
    ) -> dict[str, MetricInfo | None]:
        """Catalog entries of every metric the queries name (grounding first, then GetMetric)."""
        names: set[str] = set()
        for promql in promqls:
            names |= metric_names(promql)
        lookup: dict[str, MetricInfo | None] = {n: known[n] for n in names if n in known}
        missing = sorted(names - lookup.keys())[:_MAX_LOOKUPS]
        if missing:
            found = await asyncio.gather(*(self._catalog.get_metric(n) for n in missing))
            lookup.update(zip(missing, found, strict=True))
        return lookup

    async def validate(
        self,
        promqls: Sequence[str],
        known: Mapping[str, MetricInfo],
        query_range_seconds: float,
    ) -> tuple[list[ValidationReport], dict[str, MetricInfo | None]]:
        lookup = await self.resolve_metrics(promqls, known)
        reports = [self._validator.validate(p, lookup, query_range_seconds) for p in promqls]
        return reports, lookup

    async def _check(
        self, grounding: Grounding, generation: Generation, clock: _Stopwatch
    ) -> tuple[list[ValidationReport], dict[str, MetricInfo | None]]:
        since = time.perf_counter()
        span = 0.0 if generation.instant else grounding.window.duration
        try:
            return await self.validate(
                [p.promql for p in generation.parts], grounding.by_name, span
            )
        finally:
            clock.add("validation", since)

    async def _validated(
        self, question: str, grounding: Grounding, generation: Generation, clock: _Stopwatch
    ) -> tuple[Generation, list[ValidationReport], dict[str, MetricInfo | None]]:
        reports, lookup = await self._check(grounding, generation, clock)
        if all(r.ok for r in reports):
            return generation, reports, lookup
        _count_problems(reports)
        if not generation.repairable:
            raise _refusal(generation, reports)
        repaired = await self._repair(question, grounding, generation, _feedback(reports), clock)
        if repaired is not None:
            return repaired
        # Refused with the latest attempt's reasons (the repair's, when there was one).
        raise _refusal(*(clock.refused or (generation, reports)))

    async def _repair(
        self,
        question: str,
        grounding: Grounding,
        generation: Generation,
        problems: Sequence[str],
        clock: _Stopwatch,
    ) -> tuple[Generation, list[ValidationReport], dict[str, MetricInfo | None]] | None:
        """One repair round: the engine's new answer if it validates, else None."""
        if clock.repairs >= 1:
            return None
        clock.repairs += 1
        feedback = [f"previous PromQL: {p.promql}" for p in generation.parts] + list(problems)
        since = time.perf_counter()
        candidate = await self._engine.generate(question, grounding, feedback)
        clock.add("generation", since)
        reports, lookup = await self._check(grounding, candidate, clock)
        if all(r.ok for r in reports):
            REPAIRS.labels("repaired").inc()
            return candidate, reports, lookup
        REPAIRS.labels("still_invalid").inc()
        _count_problems(reports)
        clock.refused = (candidate, reports)
        return None

    # --- execution

    async def _execute(
        self, parts: Sequence[QueryPart], window: TimeWindow, tenant: str
    ) -> list[Execution]:
        return list(
            await asyncio.gather(*(self._executor.execute(p.promql, window, tenant) for p in parts))
        )

    # --- cache and history

    async def _cache_key(self, question: str, tenant: str, window: TimeWindow) -> str | None:
        if not self._cache.enabled:
            return None
        version = await self._catalog_version()
        if version is None:
            return None
        return cache_key(
            question=normalise(question),
            tenant=tenant,
            window_key=window.key,
            catalog_version=version,
            engine_mode=self._limits.engine_mode,
        )

    async def _catalog_version(self) -> int | None:
        now = time.monotonic()
        if self._version is not None and now - self._version[1] < (
            self._limits.catalog_version_ttl_seconds
        ):
            return self._version[0]
        try:
            version = await self._catalog.catalog_version()
        except ObsaiError as error:
            log.warning(
                "catalog version unavailable; answering uncached", extra={"error": str(error)}
            )
            return None
        self._version = (version, now)
        return version

    def _record(self, answer: Answer, caller: Caller, question: str, *, success: bool) -> None:
        if self._history is None:
            return
        self._history.record(
            HistoryRecord(
                id=answer.id,
                user_id=caller.user_id,
                question=question,
                promql=answer.promql,
                engine=answer.engine,
                success=success,
                cached=answer.cached,
                timings=dict(answer.timings),
            )
        )

    def _record_failure(
        self,
        query_id: str,
        caller: Caller,
        question: str,
        error: ObsaiError,
        timings: dict[str, float],
    ) -> None:
        if self._history is None:
            return
        self._history.record(
            HistoryRecord(
                id=query_id,
                user_id=caller.user_id,
                question=question,
                promql=error.details.get("promql", ""),
                engine=error.details.get("engine", ""),
                success=False,
                error=f"{error.code}: {error.message}"[:1000],
                timings=timings,
            )
        )


def _feedback(reports: Sequence[ValidationReport]) -> list[str]:
    return [str(p) for r in reports for p in r.problems]


def _count_problems(reports: Sequence[ValidationReport]) -> None:
    for report in reports:
        for problem in report.problems:
            VALIDATION_PROBLEMS.labels(problem.check).inc()


def _refusal(generation: Generation, reports: Sequence[ValidationReport]) -> ObsaiError:
    problems = [p for r in reports for p in r.problems]
    bad = next((r for r in reports if not r.ok), reports[0])
    if not generation.promql:
        return FailedPrecondition(
            "no PromQL could be written for this question: "
            + (generation.explanation or "nothing in the catalog matches"),
            details={
                "engine": generation.engine,
                "assumptions": " | ".join(generation.assumptions),
            },
        )
    return FailedPrecondition(
        "the generated PromQL was refused by the validator: "
        + "; ".join(p.message for p in problems[:3]),
        details={
            "promql": bad.promql,
            "engine": generation.engine,
            "checks": ",".join(dict.fromkeys(p.check for p in problems)),
            "problems": " | ".join(p.message for p in problems),
        },
    )
