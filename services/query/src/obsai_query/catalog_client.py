"""What the query service asks of the catalog, as plain domain types.

`CatalogClient` is the interface the pipeline depends on; `GrpcCatalogClient`
speaks `obsai.v1.CatalogService` (SearchMetrics, GetMetric, FindSimilarExamples,
RememberExample, GetCatalogVersion) and maps its errors at the boundary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc

from obsai.v1 import catalog_pb2, catalog_pb2_grpc
from obsai_common.errors import ObsaiError, Unavailable, UpstreamTimeout, from_rpc_error

_TYPES = {
    catalog_pb2.METRIC_TYPE_COUNTER: "counter",
    catalog_pb2.METRIC_TYPE_GAUGE: "gauge",
    catalog_pb2.METRIC_TYPE_HISTOGRAM: "histogram",
    catalog_pb2.METRIC_TYPE_SUMMARY: "summary",
}


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """A series name as the catalog knows it (foo_bucket and foo_count are their own)."""

    name: str
    type: str = "unknown"  # counter | gauge | histogram | summary | unknown
    help: str = ""
    unit: str = ""
    family: str = ""
    # Label name -> a sample of its values (possibly empty).
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    series_count: int = 0
    services: tuple[str, ...] = ()
    # Labels whose values were cut to a sample.
    truncated_labels: frozenset[str] = frozenset()
    score: float = 0.0

    @property
    def is_counter_like(self) -> bool:
        """Safe under rate()/increase(): counters and histogram/summary _bucket/_sum/_count."""
        if self.type == "counter":
            return True
        if self.type in ("histogram", "summary"):
            return self.name.endswith(("_bucket", "_sum", "_count"))
        if self.type == "unknown":
            return self.name.endswith(("_total", "_bucket", "_sum", "_count"))
        return False


@dataclass(frozen=True, slots=True)
class LabelMatch:
    label: str
    value: str
    metric: str = ""


@dataclass(frozen=True, slots=True)
class SearchResult:
    metrics: tuple[MetricInfo, ...] = ()
    services: tuple[str, ...] = ()
    label_matches: tuple[LabelMatch, ...] = ()


@dataclass(frozen=True, slots=True)
class Example:
    question: str
    promql: str
    similarity: float = 0.0
    id: str = ""


class CatalogClient(Protocol):
    async def search_metrics(self, text: str, k: int) -> SearchResult: ...

    async def get_metric(self, name: str) -> MetricInfo | None: ...

    async def find_similar_examples(
        self, text: str, k: int, min_similarity: float
    ) -> Sequence[Example]: ...

    async def remember_example(self, question: str, promql: str) -> None: ...

    async def catalog_version(self) -> int: ...


def metric_from_proto(metric: Any, score: float = 0.0) -> MetricInfo:
    return MetricInfo(
        name=metric.name,
        type=_TYPES.get(metric.type, "unknown"),
        help=metric.help,
        unit=metric.unit,
        family=metric.family,
        labels={label.name: tuple(label.values) for label in metric.labels},
        series_count=int(metric.series_count),
        services=tuple(metric.services),
        truncated_labels=frozenset(label.name for label in metric.labels if label.truncated),
        score=score,
    )


class GrpcCatalogClient:
    """CatalogClient over the catalog's gRPC API, called as the query service itself."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0) -> None:
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        self._timeout = timeout

    async def _call(self, method: Any, request: Any) -> Any:
        try:
            return await method(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _mapped(error) from error

    async def search_metrics(self, text: str, k: int) -> SearchResult:
        response = await self._call(
            self._stub.SearchMetrics, catalog_pb2.SearchMetricsRequest(text=text, k=k)
        )
        return SearchResult(
            metrics=tuple(metric_from_proto(r.metric, r.score) for r in response.results),
            services=tuple(response.services),
            label_matches=tuple(
                LabelMatch(m.label, m.value, m.metric) for m in response.label_matches
            ),
        )

    async def get_metric(self, name: str) -> MetricInfo | None:
        try:
            metric = await self._stub.GetMetric(
                catalog_pb2.GetMetricRequest(name=name), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise _mapped(error) from error
        return metric_from_proto(metric)

    async def find_similar_examples(
        self, text: str, k: int, min_similarity: float
    ) -> Sequence[Example]:
        response = await self._call(
            self._stub.FindSimilarExamples,
            catalog_pb2.FindSimilarExamplesRequest(text=text, k=k, min_similarity=min_similarity),
        )
        return [Example(e.question, e.promql, e.similarity, e.id) for e in response.examples]

    async def remember_example(self, question: str, promql: str) -> None:
        await self._call(
            self._stub.RememberExample,
            catalog_pb2.RememberExampleRequest(question=question, promql=promql),
        )

    async def catalog_version(self) -> int:
        response = await self._call(
            self._stub.GetCatalogVersion, catalog_pb2.GetCatalogVersionRequest()
        )
        return int(response.version)


def _mapped(error: grpc.aio.AioRpcError) -> ObsaiError:
    if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
        return UpstreamTimeout("the catalog did not answer in time")
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        return Unavailable("the catalog is unavailable")
    return from_rpc_error(error)
