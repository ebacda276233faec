import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from obsai.v1 import common_pb2 as _common_pb2
from obsai.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryRequest(_message.Message):
    __slots__ = ("query", "time_range", "start", "end", "step", "time", "no_cache")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TIME_RANGE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    NO_CACHE_FIELD_NUMBER: _ClassVar[int]
    query: str
    time_range: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    step: str
    time: _timestamp_pb2.Timestamp
    no_cache: bool
    def __init__(self, query: _Optional[str] = ..., time_range: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., no_cache: _Optional[bool] = ...) -> None: ...

class Sample(_message.Message):
    __slots__ = ("timestamp", "value")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    timestamp: float
    value: float
    def __init__(self, timestamp: _Optional[float] = ..., value: _Optional[float] = ...) -> None: ...

class Series(_message.Message):
    __slots__ = ("labels", "value", "values")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LABELS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    labels: _containers.ScalarMap[str, str]
    value: Sample
    values: _containers.RepeatedCompositeFieldContainer[Sample]
    def __init__(self, labels: _Optional[_Mapping[str, str]] = ..., value: _Optional[_Union[Sample, _Mapping]] = ..., values: _Optional[_Iterable[_Union[Sample, _Mapping]]] = ...) -> None: ...

class QueryResult(_message.Message):
    __slots__ = ("type", "series", "truncated")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    type: str
    series: _containers.RepeatedCompositeFieldContainer[Series]
    truncated: bool
    def __init__(self, type: _Optional[str] = ..., series: _Optional[_Iterable[_Union[Series, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class Timings(_message.Message):
    __slots__ = ("grounding", "generation", "validation", "execution", "total")
    GROUNDING_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    grounding: float
    generation: float
    validation: float
    execution: float
    total: float
    def __init__(self, grounding: _Optional[float] = ..., generation: _Optional[float] = ..., validation: _Optional[float] = ..., execution: _Optional[float] = ..., total: _Optional[float] = ...) -> None: ...

class AnsweredQuery(_message.Message):
    __slots__ = ("promql", "explanation", "result", "summary")
    PROMQL_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    promql: str
    explanation: str
    result: QueryResult
    summary: str
    def __init__(self, promql: _Optional[str] = ..., explanation: _Optional[str] = ..., result: _Optional[_Union[QueryResult, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class QueryResponse(_message.Message):
    __slots__ = ("id", "promql", "explanation", "confidence", "engine", "result", "summary", "cached", "warnings", "timings_ms", "assumptions", "queries")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROMQL_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_MS_FIELD_NUMBER: _ClassVar[int]
    ASSUMPTIONS_FIELD_NUMBER: _ClassVar[int]
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    promql: str
    explanation: str
    confidence: float
    engine: str
    result: QueryResult
    summary: str
    cached: bool
    warnings: _containers.RepeatedScalarFieldContainer[str]
    timings_ms: Timings
    assumptions: _containers.RepeatedScalarFieldContainer[str]
    queries: _containers.RepeatedCompositeFieldContainer[AnsweredQuery]
    def __init__(self, id: _Optional[str] = ..., promql: _Optional[str] = ..., explanation: _Optional[str] = ..., confidence: _Optional[float] = ..., engine: _Optional[str] = ..., result: _Optional[_Union[QueryResult, _Mapping]] = ..., summary: _Optional[str] = ..., cached: _Optional[bool] = ..., warnings: _Optional[_Iterable[str]] = ..., timings_ms: _Optional[_Union[Timings, _Mapping]] = ..., assumptions: _Optional[_Iterable[str]] = ..., queries: _Optional[_Iterable[_Union[AnsweredQuery, _Mapping]]] = ...) -> None: ...

class ListHistoryRequest(_message.Message):
    __slots__ = ("page", "user_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    user_id: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("id", "user_id", "query", "promql", "engine", "success", "error", "cached", "timings_ms", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PROMQL_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_MS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    query: str
    promql: str
    engine: str
    success: bool
    error: str
    cached: bool
    timings_ms: Timings
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., query: _Optional[str] = ..., promql: _Optional[str] = ..., engine: _Optional[str] = ..., success: _Optional[bool] = ..., error: _Optional[str] = ..., cached: _Optional[bool] = ..., timings_ms: _Optional[_Union[Timings, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListHistoryResponse(_message.Message):
    __slots__ = ("entries", "page")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    page: _common_pb2.PageResponse
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class SubmitFeedbackRequest(_message.Message):
    __slots__ = ("id", "rating", "corrected_promql", "comment")
    ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    CORRECTED_PROMQL_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    rating: str
    corrected_promql: str
    comment: str
    def __init__(self, id: _Optional[str] = ..., rating: _Optional[str] = ..., corrected_promql: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class SubmitFeedbackResponse(_message.Message):
    __slots__ = ("remembered",)
    REMEMBERED_FIELD_NUMBER: _ClassVar[int]
    remembered: bool
    def __init__(self, remembered: _Optional[bool] = ...) -> None: ...
