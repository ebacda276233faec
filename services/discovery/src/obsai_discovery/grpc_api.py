"""DiscoveryService over gRPC: trigger a scan, read the status (admin only, per the proto)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from obsai.v1 import discovery_pb2, discovery_pb2_grpc
from obsai_discovery.records import ScanReport
from obsai_discovery.scheduler import DiscoveryScheduler, Status

Context = Any


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def report_to_proto(report: ScanReport) -> discovery_pb2.ScanReport:
    return discovery_pb2.ScanReport(
        scan_id=report.scan_id,
        source=report.source,
        started_at=_timestamp(report.started_at),
        finished_at=_timestamp(report.finished_at),
        duration_seconds=report.duration_seconds,
        services=report.services,
        metrics=report.metrics,
        series=report.series,
        http_requests=report.http_requests,
        metrics_marked_stale=report.metrics_marked_stale,
        errors=report.errors,
        success=report.success,
    )


def status_to_proto(status: Status) -> discovery_pb2.DiscoveryStatus:
    return discovery_pb2.DiscoveryStatus(
        state=status.state,
        triggered=status.triggered,
        last_scan=None if status.last_scan is None else report_to_proto(status.last_scan),
        next_scan_at=_timestamp(status.next_scan_at),
    )


class DiscoveryServicer(discovery_pb2_grpc.DiscoveryServiceServicer):
    def __init__(self, scheduler: DiscoveryScheduler) -> None:
        self._scheduler = scheduler

    async def TriggerDiscovery(
        self, request: discovery_pb2.TriggerDiscoveryRequest, context: Context
    ) -> discovery_pb2.DiscoveryStatus:
        return status_to_proto(await self._scheduler.trigger(wait=request.wait))

    async def GetDiscoveryStatus(
        self, request: discovery_pb2.GetDiscoveryStatusRequest, context: Context
    ) -> discovery_pb2.DiscoveryStatus:
        return status_to_proto(await self._scheduler.status())
