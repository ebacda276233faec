"""The catalog, as a scan's `CatalogSink`, over gRPC with discovery's service identity."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from obsai.v1 import catalog_pb2, catalog_pb2_grpc, common_pb2
from obsai_common.errors import ObsaiError, from_rpc_error
from obsai_discovery.records import (
    DiscoveredMetric,
    DiscoveredService,
    MetricType,
    TypeSource,
)

_TYPES = {
    MetricType.COUNTER: catalog_pb2.METRIC_TYPE_COUNTER,
    MetricType.GAUGE: catalog_pb2.METRIC_TYPE_GAUGE,
    MetricType.HISTOGRAM: catalog_pb2.METRIC_TYPE_HISTOGRAM,
    MetricType.SUMMARY: catalog_pb2.METRIC_TYPE_SUMMARY,
    MetricType.UNKNOWN: catalog_pb2.METRIC_TYPE_UNKNOWN,
}
_SOURCES = {
    TypeSource.METADATA: catalog_pb2.TYPE_SOURCE_METADATA,
    TypeSource.CONVENTION: catalog_pb2.TYPE_SOURCE_CONVENTION,
}
# Embedding a batch takes the catalog a moment; a scan waits for it.
APPLY_TIMEOUT_SECONDS = 120.0


def metric_to_proto(metric: DiscoveredMetric) -> catalog_pb2.DiscoveredMetric:
    info = metric.info
    return catalog_pb2.DiscoveredMetric(
        name=metric.name,
        family=info.family,
        type=_TYPES[info.type],
        type_source=_SOURCES[info.type_source],
        help=info.help,
        unit=info.unit,
        labels=[
            common_pb2.LabelValues(name=s.name, values=s.values, truncated=s.truncated)
            for s in metric.labels
        ],
        series_count=metric.series_count,
        services=metric.services,
        namespaces=metric.namespaces,
    )


def service_to_proto(service: DiscoveredService) -> catalog_pb2.DiscoveredService:
    return catalog_pb2.DiscoveredService(
        name=service.name,
        namespaces=service.namespaces,
        source_label=service.source_label,
        series_count=service.series_count,
    )


class GrpcCatalogSink:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)

    async def apply(
        self,
        source: str,
        scan_id: str,
        services: Sequence[DiscoveredService],
        metrics: Sequence[DiscoveredMetric],
    ) -> None:
        request = catalog_pb2.ApplyDiscoveryBatchRequest(
            source=source,
            scan_id=scan_id,
            services=[service_to_proto(s) for s in services],
            metrics=[metric_to_proto(m) for m in metrics],
        )
        try:
            await self._stub.ApplyDiscoveryBatch(request, timeout=APPLY_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as error:
            raise _catalog_error(error) from error

    async def complete(self, source: str, scan_id: str, grace_seconds: int) -> int:
        request = catalog_pb2.CompleteDiscoveryScanRequest(
            source=source, scan_id=scan_id, stale_grace_seconds=grace_seconds
        )
        try:
            reply = await self._stub.CompleteDiscoveryScan(request, timeout=60.0)
        except grpc.aio.AioRpcError as error:
            raise _catalog_error(error) from error
        return int(reply.metrics_marked_stale)


def _catalog_error(error: grpc.aio.AioRpcError) -> ObsaiError:
    mapped = from_rpc_error(error)
    mapped.message = f"catalog: {mapped.message}"
    mapped.args = (mapped.message,)
    return mapped
