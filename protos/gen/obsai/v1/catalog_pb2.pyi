import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from obsai.v1 import common_pb2 as _common_pb2
from obsai.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MetricType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METRIC_TYPE_UNSPECIFIED: _ClassVar[MetricType]
    METRIC_TYPE_COUNTER: _ClassVar[MetricType]
    METRIC_TYPE_GAUGE: _ClassVar[MetricType]
    METRIC_TYPE_HISTOGRAM: _ClassVar[MetricType]
    METRIC_TYPE_SUMMARY: _ClassVar[MetricType]
    METRIC_TYPE_UNKNOWN: _ClassVar[MetricType]

class TypeSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TYPE_SOURCE_UNSPECIFIED: _ClassVar[TypeSource]
    TYPE_SOURCE_METADATA: _ClassVar[TypeSource]
    TYPE_SOURCE_CONVENTION: _ClassVar[TypeSource]
METRIC_TYPE_UNSPECIFIED: MetricType
METRIC_TYPE_COUNTER: MetricType
METRIC_TYPE_GAUGE: MetricType
METRIC_TYPE_HISTOGRAM: MetricType
METRIC_TYPE_SUMMARY: MetricType
METRIC_TYPE_UNKNOWN: MetricType
TYPE_SOURCE_UNSPECIFIED: TypeSource
TYPE_SOURCE_METADATA: TypeSource
TYPE_SOURCE_CONVENTION: TypeSource

class Service(_message.Message):
    __slots__ = ("name", "namespaces", "source_label", "metric_count", "series_count", "discovered_at", "last_seen_at", "stale")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LABEL_FIELD_NUMBER: _ClassVar[int]
    METRIC_COUNT_FIELD_NUMBER: _ClassVar[int]
    SERIES_COUNT_FIELD_NUMBER: _ClassVar[int]
    DISCOVERED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    name: str
    namespaces: _containers.RepeatedScalarFieldContainer[str]
    source_label: str
    metric_count: int
    series_count: int
    discovered_at: _timestamp_pb2.Timestamp
    last_seen_at: _timestamp_pb2.Timestamp
    stale: bool
    def __init__(self, name: _Optional[str] = ..., namespaces: _Optional[_Iterable[str]] = ..., source_label: _Optional[str] = ..., metric_count: _Optional[int] = ..., series_count: _Optional[int] = ..., discovered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stale: _Optional[bool] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("name", "family", "type", "type_source", "help", "unit", "labels", "series_count", "services", "namespaces", "first_seen_at", "last_seen_at", "stale")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    HELP_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SERIES_COUNT_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    name: str
    family: str
    type: MetricType
    type_source: TypeSource
    help: str
    unit: str
    labels: _containers.RepeatedCompositeFieldContainer[_common_pb2.LabelValues]
    series_count: int
    services: _containers.RepeatedScalarFieldContainer[str]
    namespaces: _containers.RepeatedScalarFieldContainer[str]
    first_seen_at: _timestamp_pb2.Timestamp
    last_seen_at: _timestamp_pb2.Timestamp
    stale: bool
    def __init__(self, name: _Optional[str] = ..., family: _Optional[str] = ..., type: _Optional[_Union[MetricType, str]] = ..., type_source: _Optional[_Union[TypeSource, str]] = ..., help: _Optional[str] = ..., unit: _Optional[str] = ..., labels: _Optional[_Iterable[_Union[_common_pb2.LabelValues, _Mapping]]] = ..., series_count: _Optional[int] = ..., services: _Optional[_Iterable[str]] = ..., namespaces: _Optional[_Iterable[str]] = ..., first_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stale: _Optional[bool] = ...) -> None: ...

class ListServicesRequest(_message.Message):
    __slots__ = ("page", "namespace", "include_stale")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_STALE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    namespace: str
    include_stale: bool
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., namespace: _Optional[str] = ..., include_stale: _Optional[bool] = ...) -> None: ...

class ListServicesResponse(_message.Message):
    __slots__ = ("services", "page")
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[Service]
    page: _common_pb2.PageResponse
    def __init__(self, services: _Optional[_Iterable[_Union[Service, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class GetServiceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListServiceMetricsRequest(_message.Message):
    __slots__ = ("name", "page")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    page: _common_pb2.PageRequest
    def __init__(self, name: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListMetricsRequest(_message.Message):
    __slots__ = ("page", "service", "type", "name_prefix", "include_stale")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_STALE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    service: str
    type: MetricType
    name_prefix: str
    include_stale: bool
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., service: _Optional[str] = ..., type: _Optional[_Union[MetricType, str]] = ..., name_prefix: _Optional[str] = ..., include_stale: _Optional[bool] = ...) -> None: ...

class ListMetricsResponse(_message.Message):
    __slots__ = ("metrics", "page")
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[Metric]
    page: _common_pb2.PageResponse
    def __init__(self, metrics: _Optional[_Iterable[_Union[Metric, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class GetMetricRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class SearchMetricsRequest(_message.Message):
    __slots__ = ("text", "service", "k", "more_texts")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    MORE_TEXTS_FIELD_NUMBER: _ClassVar[int]
    text: str
    service: str
    k: int
    more_texts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, text: _Optional[str] = ..., service: _Optional[str] = ..., k: _Optional[int] = ..., more_texts: _Optional[_Iterable[str]] = ...) -> None: ...

class ScoredMetric(_message.Message):
    __slots__ = ("metric", "score", "matched")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    metric: Metric
    score: float
    matched: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, metric: _Optional[_Union[Metric, _Mapping]] = ..., score: _Optional[float] = ..., matched: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchMetricsResponse(_message.Message):
    __slots__ = ("results", "services", "label_matches")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    LABEL_MATCHES_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ScoredMetric]
    services: _containers.RepeatedScalarFieldContainer[str]
    label_matches: _containers.RepeatedCompositeFieldContainer[LabelMatch]
    def __init__(self, results: _Optional[_Iterable[_Union[ScoredMetric, _Mapping]]] = ..., services: _Optional[_Iterable[str]] = ..., label_matches: _Optional[_Iterable[_Union[LabelMatch, _Mapping]]] = ...) -> None: ...

class LabelMatch(_message.Message):
    __slots__ = ("label", "value", "metric")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    label: str
    value: str
    metric: str
    def __init__(self, label: _Optional[str] = ..., value: _Optional[str] = ..., metric: _Optional[str] = ...) -> None: ...

class DiscoveredService(_message.Message):
    __slots__ = ("name", "namespaces", "source_label", "series_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LABEL_FIELD_NUMBER: _ClassVar[int]
    SERIES_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    namespaces: _containers.RepeatedScalarFieldContainer[str]
    source_label: str
    series_count: int
    def __init__(self, name: _Optional[str] = ..., namespaces: _Optional[_Iterable[str]] = ..., source_label: _Optional[str] = ..., series_count: _Optional[int] = ...) -> None: ...

class DiscoveredMetric(_message.Message):
    __slots__ = ("name", "family", "type", "type_source", "help", "unit", "labels", "series_count", "services", "namespaces")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    HELP_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SERIES_COUNT_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    name: str
    family: str
    type: MetricType
    type_source: TypeSource
    help: str
    unit: str
    labels: _containers.RepeatedCompositeFieldContainer[_common_pb2.LabelValues]
    series_count: int
    services: _containers.RepeatedScalarFieldContainer[str]
    namespaces: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., family: _Optional[str] = ..., type: _Optional[_Union[MetricType, str]] = ..., type_source: _Optional[_Union[TypeSource, str]] = ..., help: _Optional[str] = ..., unit: _Optional[str] = ..., labels: _Optional[_Iterable[_Union[_common_pb2.LabelValues, _Mapping]]] = ..., series_count: _Optional[int] = ..., services: _Optional[_Iterable[str]] = ..., namespaces: _Optional[_Iterable[str]] = ...) -> None: ...

class ApplyDiscoveryBatchRequest(_message.Message):
    __slots__ = ("source", "scan_id", "services", "metrics")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCAN_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    source: str
    scan_id: str
    services: _containers.RepeatedCompositeFieldContainer[DiscoveredService]
    metrics: _containers.RepeatedCompositeFieldContainer[DiscoveredMetric]
    def __init__(self, source: _Optional[str] = ..., scan_id: _Optional[str] = ..., services: _Optional[_Iterable[_Union[DiscoveredService, _Mapping]]] = ..., metrics: _Optional[_Iterable[_Union[DiscoveredMetric, _Mapping]]] = ...) -> None: ...

class ApplyDiscoveryBatchResponse(_message.Message):
    __slots__ = ("services_upserted", "metrics_upserted", "metrics_embedded")
    SERVICES_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    METRICS_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    METRICS_EMBEDDED_FIELD_NUMBER: _ClassVar[int]
    services_upserted: int
    metrics_upserted: int
    metrics_embedded: int
    def __init__(self, services_upserted: _Optional[int] = ..., metrics_upserted: _Optional[int] = ..., metrics_embedded: _Optional[int] = ...) -> None: ...

class CompleteDiscoveryScanRequest(_message.Message):
    __slots__ = ("source", "scan_id", "stale_grace_seconds")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCAN_ID_FIELD_NUMBER: _ClassVar[int]
    STALE_GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    source: str
    scan_id: str
    stale_grace_seconds: int
    def __init__(self, source: _Optional[str] = ..., scan_id: _Optional[str] = ..., stale_grace_seconds: _Optional[int] = ...) -> None: ...

class CompleteDiscoveryScanResponse(_message.Message):
    __slots__ = ("metrics_marked_stale", "services_marked_stale", "metrics_dropped", "services_dropped", "catalog_version")
    METRICS_MARKED_STALE_FIELD_NUMBER: _ClassVar[int]
    SERVICES_MARKED_STALE_FIELD_NUMBER: _ClassVar[int]
    METRICS_DROPPED_FIELD_NUMBER: _ClassVar[int]
    SERVICES_DROPPED_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    metrics_marked_stale: int
    services_marked_stale: int
    metrics_dropped: int
    services_dropped: int
    catalog_version: int
    def __init__(self, metrics_marked_stale: _Optional[int] = ..., services_marked_stale: _Optional[int] = ..., metrics_dropped: _Optional[int] = ..., services_dropped: _Optional[int] = ..., catalog_version: _Optional[int] = ...) -> None: ...

class Example(_message.Message):
    __slots__ = ("id", "question", "promql", "usage_count", "similarity", "created_at", "last_used_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    PROMQL_FIELD_NUMBER: _ClassVar[int]
    USAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    question: str
    promql: str
    usage_count: int
    similarity: float
    created_at: _timestamp_pb2.Timestamp
    last_used_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., question: _Optional[str] = ..., promql: _Optional[str] = ..., usage_count: _Optional[int] = ..., similarity: _Optional[float] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RememberExampleRequest(_message.Message):
    __slots__ = ("question", "promql")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    PROMQL_FIELD_NUMBER: _ClassVar[int]
    question: str
    promql: str
    def __init__(self, question: _Optional[str] = ..., promql: _Optional[str] = ...) -> None: ...

class FindSimilarExamplesRequest(_message.Message):
    __slots__ = ("text", "k", "min_similarity")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    MIN_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    text: str
    k: int
    min_similarity: float
    def __init__(self, text: _Optional[str] = ..., k: _Optional[int] = ..., min_similarity: _Optional[float] = ...) -> None: ...

class FindSimilarExamplesResponse(_message.Message):
    __slots__ = ("examples",)
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    examples: _containers.RepeatedCompositeFieldContainer[Example]
    def __init__(self, examples: _Optional[_Iterable[_Union[Example, _Mapping]]] = ...) -> None: ...

class GroundQuestionRequest(_message.Message):
    __slots__ = ("search", "examples")
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    search: SearchMetricsRequest
    examples: FindSimilarExamplesRequest
    def __init__(self, search: _Optional[_Union[SearchMetricsRequest, _Mapping]] = ..., examples: _Optional[_Union[FindSimilarExamplesRequest, _Mapping]] = ...) -> None: ...

class GroundQuestionResponse(_message.Message):
    __slots__ = ("search", "examples")
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    search: SearchMetricsResponse
    examples: FindSimilarExamplesResponse
    def __init__(self, search: _Optional[_Union[SearchMetricsResponse, _Mapping]] = ..., examples: _Optional[_Union[FindSimilarExamplesResponse, _Mapping]] = ...) -> None: ...

class GetCatalogVersionRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CatalogVersion(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...
