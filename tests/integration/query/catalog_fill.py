"""Fill a real catalog from a real Prometheus, the way discovery does.

Used by the query service's integration tests and its benchmark: metadata gives
types, help and units; series give label names, sample values and counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from obsai.v1 import catalog_pb2, common_pb2
from obsai_common.identity import Identity

_TYPES = {
    "counter": catalog_pb2.METRIC_TYPE_COUNTER,
    "gauge": catalog_pb2.METRIC_TYPE_GAUGE,
    "histogram": catalog_pb2.METRIC_TYPE_HISTOGRAM,
    "summary": catalog_pb2.METRIC_TYPE_SUMMARY,
}
_SERVICE_LABELS = ("service", "job", "app", "application")
_MAX_VALUES = 50


def _family(name: str, metadata: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for suffix in ("", "_total", "_bucket", "_sum", "_count", "_created"):
        if suffix and not name.endswith(suffix):
            continue
        family = name[: len(name) - len(suffix)] if suffix else name
        if family in metadata:
            return family, metadata[family][0]
    return name, {}


def discovered_metrics(prometheus_url: str) -> list[catalog_pb2.DiscoveredMetric]:
    """What discovery would push: every metric, its type, help, labels and a value sample."""
    with httpx.Client(base_url=prometheus_url, timeout=10) as http:
        metadata = http.get("/api/v1/metadata").json()["data"]
        names = http.get("/api/v1/label/__name__/values").json()["data"]
        metrics = []
        for name in names:
            series = http.get("/api/v1/series", params={"match[]": name}).json()["data"]
            labels: dict[str, set[str]] = {}
            for item in series:
                for key, value in item.items():
                    if key != "__name__":
                        labels.setdefault(key, set()).add(value)
            family, meta = _family(name, metadata)
            services = sorted(next((labels[k] for k in _SERVICE_LABELS if k in labels), set()))
            metrics.append(
                catalog_pb2.DiscoveredMetric(
                    name=name,
                    family=family,
                    type=_TYPES.get(meta.get("type", ""), catalog_pb2.METRIC_TYPE_UNKNOWN),
                    type_source=catalog_pb2.TYPE_SOURCE_METADATA,
                    help=meta.get("help", ""),
                    unit=meta.get("unit", ""),
                    labels=[
                        common_pb2.LabelValues(
                            name=key,
                            values=sorted(values)[:_MAX_VALUES],
                            truncated=len(values) > _MAX_VALUES,
                        )
                        for key, values in sorted(labels.items())
                    ],
                    series_count=len(series),
                    services=services,
                    namespaces=sorted(labels.get("namespace", set())),
                )
            )
    return metrics


async def fill_catalog(
    stub: Any,
    metrics: Sequence[catalog_pb2.DiscoveredMetric],
    sign: Callable[[Identity], tuple[tuple[str, str], ...]],
) -> None:
    """One discovery scan of `metrics` into the catalog behind `stub`."""
    services = sorted({s for m in metrics for s in m.services})
    metadata = sign(Identity.for_service("discovery"))
    scan = uuid.uuid4().hex
    await stub.ApplyDiscoveryBatch(
        catalog_pb2.ApplyDiscoveryBatchRequest(
            source="demo",
            scan_id=scan,
            services=[catalog_pb2.DiscoveredService(name=s) for s in services],
            metrics=list(metrics),
        ),
        metadata=metadata,
    )
    await stub.CompleteDiscoveryScan(
        catalog_pb2.CompleteDiscoveryScanRequest(source="demo", scan_id=scan),
        metadata=metadata,
    )
