"""DiscoveryService over gRPC: trigger a scan, read the status (admin only, per the proto)."""

from __future__ import annotations

from typing import Any

from obsai.v1 import discovery_pb2, discovery_pb2_grpc
from obsai_common.timestamps import optional_timestamp
from obsai_discovery.records import ScanReport
from obsai_discovery.scheduler import DiscoveryScheduler, Status

Context = Any


def report_to_proto(report: ScanReport) -> discovery_pb2.ScanReport:
    return discovery_pb2.ScanReport(
        scan_id=report.scan_id,
        source=report.source,
        started_at=optional_timestamp(report.started_at),
        finished_at=optional_timestamp(report.finished_at),
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
        next_scan_at=optional_timestamp(status.next_scan_at),
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
