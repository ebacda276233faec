"""The catalog's domain records: what discovery reports and what readers get back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


class MetricType(enum.StrEnum):
    UNSPECIFIED = ""
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"
    SUMMARY = "summary"
    UNKNOWN = "unknown"


class TypeSource(enum.StrEnum):
    UNSPECIFIED = ""
    METADATA = "metadata"
    CONVENTION = "convention"


@dataclass(frozen=True, slots=True)
class LabelSample:
    """A label name with a bounded sample of its values."""

    name: str
    values: tuple[str, ...] = ()
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class DiscoveredMetric:
    name: str
    family: str = ""
    type: MetricType = MetricType.UNKNOWN
    type_source: TypeSource = TypeSource.UNSPECIFIED
    help: str = ""
    unit: str = ""
    labels: tuple[LabelSample, ...] = ()
    series_count: int = 0
    services: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DiscoveredService:
    name: str
    namespaces: tuple[str, ...] = ()
    source_label: str = ""
    series_count: int = 0


@dataclass(frozen=True, slots=True)
class MetricRecord:
    name: str
    family: str
    type: MetricType
    type_source: TypeSource
    help: str
    unit: str
    labels: tuple[LabelSample, ...]
    series_count: int
    services: tuple[str, ...]
    namespaces: tuple[str, ...]
    first_seen_at: datetime
    last_seen_at: datetime
    stale: bool


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    name: str
    namespaces: tuple[str, ...]
    source_label: str
    metric_count: int
    series_count: int
    discovered_at: datetime
    last_seen_at: datetime
    stale: bool


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    total_size: int


@dataclass(frozen=True, slots=True)
class BatchResult:
    services_upserted: int = 0
    metrics_upserted: int = 0
    metrics_embedded: int = 0


@dataclass(frozen=True, slots=True)
class ScanCompletion:
    metrics_marked_stale: int
    services_marked_stale: int
    metrics_dropped: int
    services_dropped: int
    catalog_version: int


@dataclass(frozen=True, slots=True)
class LabelMatch:
    label: str
    value: str
    metric: str


@dataclass(frozen=True, slots=True)
class ScoredMetric:
    metric: MetricRecord
    score: float
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchResult:
    results: list[ScoredMetric]
    services: list[str] = field(default_factory=list)
    label_matches: list[LabelMatch] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    question: str
    promql: str
    usage_count: int
    similarity: float
    created_at: datetime
    last_used_at: datetime
