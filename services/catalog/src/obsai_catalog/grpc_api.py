"""CatalogService over gRPC: parse the request, call the domain, build the reply.

Access rules live on the RPCs in catalog.proto and are enforced by the common
interceptor; errors are `obsai_common.errors` raised by the domain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from obsai.v1 import catalog_pb2, catalog_pb2_grpc, common_pb2
from obsai_catalog.catalog import Catalog, ExampleQuery
from obsai_catalog.records import (
    DiscoveredMetric,
    DiscoveredService,
    Example,
    LabelSample,
    MetricRecord,
    MetricType,
    Page,
    SearchResult,
    ServiceRecord,
    TypeSource,
)
from obsai_common.errors import InvalidArgument
from obsai_common.timestamps import to_timestamp

Context = Any

_TYPES: dict[int, MetricType] = {
    catalog_pb2.METRIC_TYPE_UNSPECIFIED: MetricType.UNSPECIFIED,
    catalog_pb2.METRIC_TYPE_COUNTER: MetricType.COUNTER,
    catalog_pb2.METRIC_TYPE_GAUGE: MetricType.GAUGE,
    catalog_pb2.METRIC_TYPE_HISTOGRAM: MetricType.HISTOGRAM,
    catalog_pb2.METRIC_TYPE_SUMMARY: MetricType.SUMMARY,
    catalog_pb2.METRIC_TYPE_UNKNOWN: MetricType.UNKNOWN,
}
_TYPE_NUMBERS = {v: k for k, v in _TYPES.items()}
_SOURCES: dict[int, TypeSource] = {
    catalog_pb2.TYPE_SOURCE_UNSPECIFIED: TypeSource.UNSPECIFIED,
    catalog_pb2.TYPE_SOURCE_METADATA: TypeSource.METADATA,
    catalog_pb2.TYPE_SOURCE_CONVENTION: TypeSource.CONVENTION,
}
_SOURCE_NUMBERS = {v: k for k, v in _SOURCES.items()}


def metric_type(number: int) -> MetricType:
    try:
        return _TYPES[number]
    except KeyError:
        raise InvalidArgument(f"unknown metric type {number}", details={"field": "type"}) from None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _set_timestamp(target: Timestamp, value: datetime) -> None:
    """`to_timestamp`'s seconds and nanos (a naive time taken as UTC), set in place and
    without protobuf's pure-Python FromDatetime: a search returns dozens of metrics."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    since = value - _EPOCH
    target.seconds = since.days * 86400 + since.seconds
    target.nanos = since.microseconds * 1000


def _fill_metric(target: catalog_pb2.Metric, m: MetricRecord, full: bool = True) -> None:
    """Writes `m` into an empty message in place: no nested message is built and then
    copied in, which halves the cost of a search's response. Not `full`: without
    the namespaces and the first and last seen times (a grounding's metrics)."""
    target.name = m.name
    target.family = m.family
    target.type = _TYPE_NUMBERS[m.type]  # type: ignore[assignment]
    target.type_source = _SOURCE_NUMBERS[m.type_source]  # type: ignore[assignment]
    target.help = m.help
    target.unit = m.unit
    add_label = target.labels.add
    for lv in m.labels:
        add_label(name=lv.name, values=lv.values, truncated=lv.truncated)
    target.series_count = m.series_count
    target.services.extend(m.services)
    target.stale = m.stale
    if full:
        target.namespaces.extend(m.namespaces)
        _set_timestamp(target.first_seen_at, m.first_seen_at)
        _set_timestamp(target.last_seen_at, m.last_seen_at)


def metric_to_proto(m: MetricRecord) -> catalog_pb2.Metric:
    message = catalog_pb2.Metric()
    _fill_metric(message, m)
    return message


def service_to_proto(s: ServiceRecord) -> catalog_pb2.Service:
    return catalog_pb2.Service(
        name=s.name,
        namespaces=s.namespaces,
        source_label=s.source_label,
        metric_count=s.metric_count,
        series_count=s.series_count,
        discovered_at=to_timestamp(s.discovered_at),
        last_seen_at=to_timestamp(s.last_seen_at),
        stale=s.stale,
    )


def example_to_proto(e: Example) -> catalog_pb2.Example:
    return catalog_pb2.Example(
        id=e.id,
        question=e.question,
        promql=e.promql,
        usage_count=e.usage_count,
        similarity=e.similarity,
        created_at=to_timestamp(e.created_at),
        last_used_at=to_timestamp(e.last_used_at),
    )


def search_to_proto(found: SearchResult) -> catalog_pb2.SearchMetricsResponse:
    response = catalog_pb2.SearchMetricsResponse()
    _fill_search(response, found)
    return response


class GroundingMessages:
    """The serialized `Metric` of each record a grounding returns, written once.

    A grounding's records come from the catalog's `RecordCache`: the same objects
    from question to question while the catalog's version holds, so their messages
    need not be written field by field each time (~0.8 ms of a 42-metric response
    on a slow core; copying the bytes in is C). Keyed by the record object: the
    entry holds it, so its id cannot be reused while remembered, and a record read
    anew (another version, another object) is written anew.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._known: dict[int, tuple[MetricRecord, bytes]] = {}

    def write(self, target: catalog_pb2.Metric, record: MetricRecord) -> None:
        known = self._known.get(id(record))
        if known is None or known[0] is not record:
            message = catalog_pb2.Metric()
            _fill_metric(message, record, full=False)
            known = (record, message.SerializeToString())
            if len(self._known) >= self._size:
                del self._known[next(iter(self._known))]  # the oldest
            self._known[id(record)] = known
        target.MergeFromString(known[1])


def _fill_search(
    target: catalog_pb2.SearchMetricsResponse,
    found: SearchResult,
    grounding: GroundingMessages | None = None,
) -> None:
    """Writes `found` into an empty message in place (a nested response is not built
    and then copied into its parent); with `grounding`, the metrics as it writes them
    (without the namespaces and the first and last seen times)."""
    target.services.extend(found.services)
    add_match = target.label_matches.add
    for m in found.label_matches:
        add_match(label=m.label, value=m.value, metric=m.metric)
    add_result = target.results.add
    for r in found.results:
        metric = add_result(score=r.score, matched=r.matched).metric
        if grounding is None:
            _fill_metric(metric, r.metric)
        else:
            grounding.write(metric, r.metric)


def discovered_metric(m: catalog_pb2.DiscoveredMetric) -> DiscoveredMetric:
    return DiscoveredMetric(
        name=m.name,
        family=m.family,
        type=metric_type(m.type) if m.type else MetricType.UNKNOWN,
        type_source=_SOURCES.get(m.type_source, TypeSource.UNSPECIFIED),
        help=m.help,
        unit=m.unit,
        labels=tuple(
            LabelSample(lv.name, tuple(lv.values), lv.truncated)
            for lv in sorted(m.labels, key=lambda lv: lv.name)
        ),
        series_count=m.series_count,
        services=tuple(sorted(set(m.services))),
        namespaces=tuple(sorted(set(m.namespaces))),
    )


def discovered_service(s: catalog_pb2.DiscoveredService) -> DiscoveredService:
    return DiscoveredService(
        name=s.name.strip(),
        namespaces=tuple(sorted(set(s.namespaces))),
        source_label=s.source_label,
        series_count=s.series_count,
    )


def _page_response(page: Page[Any]) -> common_pb2.PageResponse:
    return common_pb2.PageResponse(next_page_token=page.next_page_token, total_size=page.total_size)


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._grounding = GroundingMessages()

    async def ListServices(
        self, request: catalog_pb2.ListServicesRequest, context: Context
    ) -> catalog_pb2.ListServicesResponse:
        page = await self._catalog.list_services(
            namespace=request.namespace,
            include_stale=request.include_stale,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return catalog_pb2.ListServicesResponse(
            services=[service_to_proto(s) for s in page.items], page=_page_response(page)
        )

    async def GetService(
        self, request: catalog_pb2.GetServiceRequest, context: Context
    ) -> catalog_pb2.Service:
        return service_to_proto(await self._catalog.get_service(request.name))

    async def ListServiceMetrics(
        self, request: catalog_pb2.ListServiceMetricsRequest, context: Context
    ) -> catalog_pb2.ListMetricsResponse:
        page = await self._catalog.list_service_metrics(
            request.name, request.page.page_size, request.page.page_token
        )
        return catalog_pb2.ListMetricsResponse(
            metrics=[metric_to_proto(m) for m in page.items], page=_page_response(page)
        )

    async def ListMetrics(
        self, request: catalog_pb2.ListMetricsRequest, context: Context
    ) -> catalog_pb2.ListMetricsResponse:
        page = await self._catalog.list_metrics(
            service=request.service,
            metric_type=metric_type(request.type),
            name_prefix=request.name_prefix,
            include_stale=request.include_stale,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return catalog_pb2.ListMetricsResponse(
            metrics=[metric_to_proto(m) for m in page.items], page=_page_response(page)
        )

    async def GetMetric(
        self, request: catalog_pb2.GetMetricRequest, context: Context
    ) -> catalog_pb2.Metric:
        return metric_to_proto(await self._catalog.get_metric(request.name))

    async def SearchMetrics(
        self, request: catalog_pb2.SearchMetricsRequest, context: Context
    ) -> catalog_pb2.SearchMetricsResponse:
        found = await self._catalog.search(
            request.text, request.service, request.k, request.more_texts
        )
        return search_to_proto(found)

    async def GroundQuestion(
        self, request: catalog_pb2.GroundQuestionRequest, context: Context
    ) -> catalog_pb2.GroundQuestionResponse:
        search, examples = request.search, request.examples
        found, similar = await self._catalog.ground(
            search.text,
            search.service,
            search.k,
            search.more_texts,
            ExampleQuery(examples.text, examples.k, examples.min_similarity)
            if request.HasField("examples")
            else None,
        )
        response = catalog_pb2.GroundQuestionResponse()
        # What grounding reads of a metric (catalog.proto): its records may be
        # remembered from an earlier question at the same catalog version.
        _fill_search(response.search, found, self._grounding)
        response.examples.examples.extend(example_to_proto(e) for e in similar)
        return response

    async def ApplyDiscoveryBatch(
        self, request: catalog_pb2.ApplyDiscoveryBatchRequest, context: Context
    ) -> catalog_pb2.ApplyDiscoveryBatchResponse:
        result = await self._catalog.apply_batch(
            request.source,
            request.scan_id,
            [discovered_service(s) for s in request.services],
            [discovered_metric(m) for m in request.metrics],
        )
        return catalog_pb2.ApplyDiscoveryBatchResponse(
            services_upserted=result.services_upserted,
            metrics_upserted=result.metrics_upserted,
            metrics_embedded=result.metrics_embedded,
        )

    async def CompleteDiscoveryScan(
        self, request: catalog_pb2.CompleteDiscoveryScanRequest, context: Context
    ) -> catalog_pb2.CompleteDiscoveryScanResponse:
        done = await self._catalog.complete_scan(
            request.source, request.scan_id, request.stale_grace_seconds
        )
        return catalog_pb2.CompleteDiscoveryScanResponse(
            metrics_marked_stale=done.metrics_marked_stale,
            services_marked_stale=done.services_marked_stale,
            metrics_dropped=done.metrics_dropped,
            services_dropped=done.services_dropped,
            catalog_version=done.catalog_version,
        )

    async def RememberExample(
        self, request: catalog_pb2.RememberExampleRequest, context: Context
    ) -> catalog_pb2.Example:
        return example_to_proto(
            await self._catalog.remember_example(request.question, request.promql)
        )

    async def FindSimilarExamples(
        self, request: catalog_pb2.FindSimilarExamplesRequest, context: Context
    ) -> catalog_pb2.FindSimilarExamplesResponse:
        examples = await self._catalog.find_similar_examples(
            request.text, request.k, request.min_similarity
        )
        return catalog_pb2.FindSimilarExamplesResponse(
            examples=[example_to_proto(e) for e in examples]
        )

    async def GetCatalogVersion(
        self, request: catalog_pb2.GetCatalogVersionRequest, context: Context
    ) -> catalog_pb2.CatalogVersion:
        return catalog_pb2.CatalogVersion(version=await self._catalog.version())
