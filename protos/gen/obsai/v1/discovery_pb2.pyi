import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from obsai.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TriggerDiscoveryRequest(_message.Message):
    __slots__ = ("wait",)
    WAIT_FIELD_NUMBER: _ClassVar[int]
    wait: bool
    def __init__(self, wait: _Optional[bool] = ...) -> None: ...

class GetDiscoveryStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScanReport(_message.Message):
    __slots__ = ("scan_id", "source", "started_at", "finished_at", "duration_seconds", "services", "metrics", "series", "http_requests", "metrics_marked_stale", "errors", "success")
    SCAN_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    HTTP_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    METRICS_MARKED_STALE_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    scan_id: str
    source: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    duration_seconds: float
    services: int
    metrics: int
    series: int
    http_requests: int
    metrics_marked_stale: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    success: bool
    def __init__(self, scan_id: _Optional[str] = ..., source: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_seconds: _Optional[float] = ..., services: _Optional[int] = ..., metrics: _Optional[int] = ..., series: _Optional[int] = ..., http_requests: _Optional[int] = ..., metrics_marked_stale: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ..., success: _Optional[bool] = ...) -> None: ...

class DiscoveryStatus(_message.Message):
    __slots__ = ("state", "triggered", "last_scan", "next_scan_at")
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_FIELD_NUMBER: _ClassVar[int]
    LAST_SCAN_FIELD_NUMBER: _ClassVar[int]
    NEXT_SCAN_AT_FIELD_NUMBER: _ClassVar[int]
    state: str
    triggered: bool
    last_scan: ScanReport
    next_scan_at: _timestamp_pb2.Timestamp
    def __init__(self, state: _Optional[str] = ..., triggered: _Optional[bool] = ..., last_scan: _Optional[_Union[ScanReport, _Mapping]] = ..., next_scan_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
