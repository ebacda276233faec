"""What a scan finds, in discovery's own terms (sent to the catalog as protos)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class MetricType(enum.StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"
    SUMMARY = "summary"
    UNKNOWN = "unknown"


class TypeSource(enum.StrEnum):
    METADATA = "metadata"
    CONVENTION = "convention"


@dataclass(frozen=True, slots=True)
class FamilyInfo:
    """Where a series name belongs: its family, type, help and unit."""

    family: str
    type: MetricType
    type_source: TypeSource
    help: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class LabelSample:
    name: str
    values: tuple[str, ...]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class DiscoveredMetric:
    name: str
    info: FamilyInfo
    labels: tuple[LabelSample, ...]
    series_count: int
    services: tuple[str, ...]
    namespaces: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiscoveredService:
    name: str
    namespaces: tuple[str, ...]
    source_label: str
    series_count: int


@dataclass(slots=True)
class ScanReport:
    scan_id: str
    source: str
    started_at: datetime
    finished_at: datetime | None = None
    duration_seconds: float = 0.0
    services: int = 0
    metrics: int = 0
    series: int = 0
    http_requests: int = 0
    metrics_marked_stale: int = 0
    errors: list[str] = field(default_factory=list)
    success: bool = False
