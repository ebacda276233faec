"""What the query service asks of the catalog, as plain domain types.

`CatalogClient` is the interface the pipeline depends on; `GrpcCatalogClient`
speaks `obsai.v1.CatalogService` (GroundQuestion, SearchMetrics, GetMetric,
FindSimilarExamples, RememberExample, GetCatalogVersion) and maps its errors at
the boundary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc

from obsai.v1 import catalog_pb2, catalog_pb2_grpc
from obsai_common.errors import ObsaiError, Unavailable, UpstreamTimeout, from_rpc_error
from obsai_common.memo import BoundedMemo

log = logging.getLogger(__name__)

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

    def scored(self, score: float) -> MetricInfo:
        """This metric with another score (`dataclasses.replace` costs ~5x as much)."""
        return MetricInfo(
            self.name,
            self.type,
            self.help,
            self.unit,
            self.family,
            self.labels,
            self.series_count,
            self.services,
            self.truncated_labels,
            score,
        )

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


@dataclass(frozen=True, slots=True)
class Found:
    """What the catalog grounds a question in: its metrics and similar examples."""

    search: SearchResult
    examples: tuple[Example, ...] = ()


class CatalogClient(Protocol):
    async def ground(
        self,
        text: str,
        k: int,
        more_texts: Sequence[str] = (),
        examples: int = 0,
        min_similarity: float = 0.0,
    ) -> Found:
        """`search_metrics` and, when `examples` > 0, `find_similar_examples` in one call."""
        ...

    async def search_metrics(
        self, text: str, k: int, more_texts: Sequence[str] = ()
    ) -> SearchResult:
        """The best k metrics for `text` and for each of `more_texts`, merged: a
        metric found by several texts once, with its best score, best first."""
        ...

    async def get_metric(self, name: str) -> MetricInfo | None: ...

    async def find_similar_examples(
        self, text: str, k: int, min_similarity: float
    ) -> Sequence[Example]: ...

    async def remember_example(self, question: str, promql: str) -> None: ...

    async def catalog_version(self) -> int: ...


def metric_from_proto(metric: Any, score: float = 0.0) -> MetricInfo:
    # One pass over the labels: a grounding reads dozens of metrics, each of whose
    # repeated fields costs a wrapper object per access.
    labels: dict[str, tuple[str, ...]] = {}
    truncated: list[str] = []
    for label in metric.labels:
        name = label.name
        labels[name] = tuple(label.values)
        if label.truncated:
            truncated.append(name)
    return MetricInfo(
        name=metric.name,
        type=_TYPES.get(metric.type, "unknown"),
        help=metric.help,
        unit=metric.unit,
        family=metric.family,
        labels=labels,
        series_count=int(metric.series_count),
        services=tuple(metric.services),
        truncated_labels=frozenset(truncated),
        score=score,
    )


class MetricReader:
    """`metric_from_proto`, remembered by the message's bytes.

    A grounding reads dozens of metrics and mostly the same ones question after
    question; building each one's labels from the message's repeated fields was
    ~1.2 ms of a 42-metric answer on a slow core, where serializing a metric back
    to bytes is C. Equal bytes are the same metric, whatever the catalog's version.
    """

    def __init__(self, size: int = 4096) -> None:
        self._by_bytes: BoundedMemo[bytes, MetricInfo] = BoundedMemo(
            lambda data: metric_from_proto(catalog_pb2.Metric.FromString(data)), size
        )

    def read(self, metric: Any, score: float = 0.0) -> MetricInfo:
        info = self._by_bytes.read(metric.SerializeToString())
        return info if info.score == score else info.scored(score)


class GrpcCatalogClient:
    """CatalogClient over the catalog's gRPC API, called as the query service itself."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0) -> None:
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        self._timeout = timeout
        self._metrics = MetricReader()
        # False once the catalog has answered that it has no GroundQuestion (a
        # catalog older than this service, during a rolling upgrade).
        self._one_call = True

    async def _call(self, method: Any, request: Any) -> Any:
        try:
            return await method(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _mapped(error) from error

    async def ground(
        self,
        text: str,
        k: int,
        more_texts: Sequence[str] = (),
        examples: int = 0,
        min_similarity: float = 0.0,
    ) -> Found:
        search = catalog_pb2.SearchMetricsRequest(text=text, k=k, more_texts=more_texts)
        similar = catalog_pb2.FindSimilarExamplesRequest(
            text=text, k=examples, min_similarity=min_similarity
        )
        if self._one_call:
            try:
                response = await self._stub.GroundQuestion(
                    catalog_pb2.GroundQuestionRequest(
                        search=search, examples=similar if examples > 0 else None
                    ),
                    timeout=self._timeout,
                )
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise _mapped(error) from error
                log.warning("the catalog has no GroundQuestion; grounding with two calls")
                self._one_call = False
            else:
                return Found(
                    self._search_result(response.search),
                    tuple(_example(e) for e in response.examples.examples),
                )
        if examples <= 0:
            return Found(await self.search_metrics(text, k, more_texts))
        found, examples_found = await asyncio.gather(
            self.search_metrics(text, k, more_texts),
            self._examples_or_none(text, examples, min_similarity),
        )
        return Found(found, tuple(examples_found))

    async def _examples_or_none(
        self, text: str, k: int, min_similarity: float
    ) -> Sequence[Example]:
        try:
            return await self.find_similar_examples(text, k, min_similarity)
        except ObsaiError as error:  # examples only help; the answer goes on without
            log.warning("similar examples unavailable", extra={"error": str(error)})
            return ()

    async def search_metrics(
        self, text: str, k: int, more_texts: Sequence[str] = ()
    ) -> SearchResult:
        response = await self._call(
            self._stub.SearchMetrics,
            catalog_pb2.SearchMetricsRequest(text=text, k=k, more_texts=more_texts),
        )
        return self._search_result(response)

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
        return [_example(e) for e in response.examples]

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

    def _search_result(self, response: catalog_pb2.SearchMetricsResponse) -> SearchResult:
        read = self._metrics.read
        return SearchResult(
            metrics=tuple(read(r.metric, r.score) for r in response.results),
            services=tuple(response.services),
            label_matches=tuple(
                LabelMatch(m.label, m.value, m.metric) for m in response.label_matches
            ),
        )


def _example(example: catalog_pb2.Example) -> Example:
    return Example(example.question, example.promql, example.similarity, example.id)


def _mapped(error: grpc.aio.AioRpcError) -> ObsaiError:
    if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
        return UpstreamTimeout("the catalog did not answer in time")
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        return Unavailable("the catalog is unavailable")
    return from_rpc_error(error)
