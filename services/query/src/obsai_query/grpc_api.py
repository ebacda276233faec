"""QueryService over gRPC: a thin layer from protobuf to the domain and back.

The caller is the verified identity bound by the common interceptor; the
request body cannot name a user or a tenant (history's `user_id` is honoured
only for admins).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from obsai.v1 import common_pb2, query_pb2, query_pb2_grpc
from obsai_common.errors import PermissionDenied
from obsai_common.identity import current_identity
from obsai_common.timestamps import to_timestamp
from obsai_query.executor import ResultData, SeriesData
from obsai_query.feedback import FeedbackService
from obsai_query.history import HistoryRecord, HistoryWriter
from obsai_query.pipeline import Answer, Caller, QueryInput, QueryPipeline


def _caller() -> Caller:
    identity = current_identity()
    return Caller(user_id=identity.user_id, tenant=identity.tenant, is_admin=identity.is_admin)


def _time(stamp: Timestamp, present: bool) -> datetime | None:
    if not present:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def _series(series: SeriesData) -> query_pb2.Series:
    message = query_pb2.Series(labels=dict(series.labels))
    if series.value is not None:
        message.value.timestamp = series.value.timestamp
        message.value.value = series.value.value
    message.values.extend(
        query_pb2.Sample(timestamp=s.timestamp, value=s.value) for s in series.values
    )
    return message


def result_message(result: ResultData) -> query_pb2.QueryResult:
    return query_pb2.QueryResult(
        type=result.type,
        series=[_series(s) for s in result.series],
        truncated=result.truncated,
    )


def _timings(timings: Any) -> query_pb2.Timings:
    return query_pb2.Timings(
        grounding=float(timings.get("grounding", 0.0)),
        generation=float(timings.get("generation", 0.0)),
        validation=float(timings.get("validation", 0.0)),
        execution=float(timings.get("execution", 0.0)),
        total=float(timings.get("total", 0.0)),
    )


def answer_message(answer: Answer) -> query_pb2.QueryResponse:
    return query_pb2.QueryResponse(
        id=answer.id,
        promql=answer.promql,
        explanation=answer.explanation,
        confidence=answer.confidence,
        engine=answer.engine,
        result=result_message(answer.result),
        summary=answer.summary,
        cached=answer.cached,
        warnings=list(answer.warnings),
        timings_ms=_timings(answer.timings),
        assumptions=list(answer.assumptions),
        queries=[
            query_pb2.AnsweredQuery(
                promql=q.promql,
                explanation=q.explanation,
                result=result_message(q.result),
                summary=q.summary,
            )
            for q in answer.queries
        ],
    )


def _entry(record: HistoryRecord) -> query_pb2.HistoryEntry:
    return query_pb2.HistoryEntry(
        id=record.id,
        user_id=record.user_id,
        query=record.question,
        promql=record.promql,
        engine=record.engine,
        success=record.success,
        error=record.error,
        cached=record.cached,
        timings_ms=_timings(record.timings),
        created_at=to_timestamp(record.created_at),
    )


class QueryApi(query_pb2_grpc.QueryServiceServicer):  # type: ignore[misc]
    def __init__(
        self, pipeline: QueryPipeline, history: HistoryWriter, feedback: FeedbackService
    ) -> None:
        self._pipeline = pipeline
        self._history = history
        self._feedback = feedback

    async def Query(self, request: query_pb2.QueryRequest, context: Any) -> query_pb2.QueryResponse:
        question = QueryInput(
            question=request.query,
            time_range=request.time_range,
            start=_time(request.start, request.HasField("start")),
            end=_time(request.end, request.HasField("end")),
            step=request.step,
            time=_time(request.time, request.HasField("time")),
            no_cache=request.no_cache,
        )
        answer = await self._pipeline.answer(question, _caller())
        return answer_message(answer)

    async def ListHistory(
        self, request: query_pb2.ListHistoryRequest, context: Any
    ) -> query_pb2.ListHistoryResponse:
        caller = _caller()
        user_id = request.user_id or caller.user_id
        if user_id != caller.user_id and not caller.is_admin:
            raise PermissionDenied("only admins may read another user's history")
        await self._history.flush(0.5)  # this replica's own rows first, so they show at once
        records, token, total = await self._history.list(
            user_id, request.page.page_size, request.page.page_token
        )
        return query_pb2.ListHistoryResponse(
            entries=[_entry(r) for r in records],
            page=common_pb2.PageResponse(next_page_token=token, total_size=total),
        )

    async def SubmitFeedback(
        self, request: query_pb2.SubmitFeedbackRequest, context: Any
    ) -> query_pb2.SubmitFeedbackResponse:
        remembered = await self._feedback.submit(
            _caller(),
            request.id,
            request.rating,
            request.corrected_promql,
            request.comment,
        )
        return query_pb2.SubmitFeedbackResponse(remembered=remembered)
