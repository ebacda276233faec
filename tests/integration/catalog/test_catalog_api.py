"""The catalog over real gRPC on real PostgreSQL + pgvector, with the real embedder."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc
import pytest

from obsai.v1 import catalog_pb2, common_pb2
from obsai_catalog.app import migrate
from obsai_catalog.settings import CatalogSettings
from tests.integration.catalog.harness import ADMIN, SERVICE, USER, CatalogHandle

pytestmark = pytest.mark.integration

C = catalog_pb2


def metric(
    name: str,
    *,
    family: str = "",
    type: int = C.METRIC_TYPE_GAUGE,
    help: str = "",
    unit: str = "",
    labels: dict[str, list[str]] | None = None,
    services: tuple[str, ...] = (),
    namespaces: tuple[str, ...] = (),
    series: int = 1,
) -> C.DiscoveredMetric:
    return C.DiscoveredMetric(
        name=name,
        family=family or name,
        type=type,  # type: ignore[arg-type]
        type_source=C.TYPE_SOURCE_METADATA,
        help=help,
        unit=unit,
        labels=[
            common_pb2.LabelValues(name=k, values=v) for k, v in sorted((labels or {}).items())
        ],
        series_count=series,
        services=services,
        namespaces=namespaces,
    )


WORLD = [
    metric(
        "http_request_duration_seconds_bucket",
        family="http_request_duration_seconds",
        type=C.METRIC_TYPE_HISTOGRAM,
        help="Time spent answering HTTP requests.",
        unit="seconds",
        labels={"service": ["checkout", "payment"], "le": ["0.1", "+Inf"]},
        services=("checkout", "payment"),
        namespaces=("production",),
        series=24,
    ),
    metric(
        "http_requests_total",
        family="http_requests",
        type=C.METRIC_TYPE_COUNTER,
        help="Total HTTP requests handled, by endpoint, method and status code.",
        labels={"service": ["checkout", "payment"], "status": ["200", "500", "503"]},
        services=("checkout", "payment"),
        namespaces=("production",),
        series=12,
    ),
    metric(
        "container_memory_usage_bytes",
        help="Current memory usage in bytes.",
        unit="bytes",
        labels={"container": ["cache", "checkout"], "service": ["cache", "checkout"]},
        services=("cache", "checkout"),
        namespaces=("production", "staging"),
        series=4,
    ),
    metric(
        "process_open_fds",
        help="Number of open file descriptors.",
        labels={"job": ["prometheus"]},
        services=("prometheus",),
    ),
]
SERVICES = [
    C.DiscoveredService(name="checkout", namespaces=["production"], source_label="service"),
    C.DiscoveredService(name="payment", namespaces=["production"], source_label="service"),
    C.DiscoveredService(name="cache", namespaces=["production", "staging"], source_label="service"),
    C.DiscoveredService(name="prometheus", source_label="job", series_count=1),
]


async def apply(
    catalog: CatalogHandle,
    scan: str,
    metrics: list[C.DiscoveredMetric],
    services: list[C.DiscoveredService] | None = None,
    source: str = "prom",
) -> C.ApplyDiscoveryBatchResponse:
    return await catalog.stub.ApplyDiscoveryBatch(
        C.ApplyDiscoveryBatchRequest(
            source=source, scan_id=scan, services=services or [], metrics=metrics
        ),
        metadata=SERVICE,
    )


async def complete(
    catalog: CatalogHandle, scan: str, grace: int = 0, source: str = "prom"
) -> C.CompleteDiscoveryScanResponse:
    return await catalog.stub.CompleteDiscoveryScan(
        C.CompleteDiscoveryScanRequest(source=source, scan_id=scan, stale_grace_seconds=grace),
        metadata=SERVICE,
    )


async def version(catalog: CatalogHandle) -> int:
    reply = await catalog.stub.GetCatalogVersion(C.GetCatalogVersionRequest(), metadata=SERVICE)
    return reply.version


async def names(catalog: CatalogHandle, **filters: object) -> list[str]:
    reply = await catalog.stub.ListMetrics(C.ListMetricsRequest(**filters), metadata=USER)  # type: ignore[arg-type]
    return [m.name for m in reply.metrics]


async def test_a_batch_is_listed_with_everything_grounding_needs(catalog: CatalogHandle) -> None:
    reply = await apply(catalog, "s1", WORLD, SERVICES)
    assert (reply.metrics_upserted, reply.metrics_embedded, reply.services_upserted) == (4, 4, 4)

    got = await catalog.stub.GetMetric(
        C.GetMetricRequest(name="http_request_duration_seconds_bucket"), metadata=USER
    )
    assert got.family == "http_request_duration_seconds"
    assert got.type == C.METRIC_TYPE_HISTOGRAM
    assert got.type_source == C.TYPE_SOURCE_METADATA
    assert (got.help, got.unit, got.series_count) == (
        "Time spent answering HTTP requests.",
        "seconds",
        24,
    )
    assert {lv.name: list(lv.values) for lv in got.labels} == {
        "le": ["0.1", "+Inf"],
        "service": ["checkout", "payment"],
    }
    assert list(got.services) == ["checkout", "payment"]
    assert not got.stale
    assert got.first_seen_at.seconds > 0

    service = await catalog.stub.GetService(C.GetServiceRequest(name="checkout"), metadata=USER)
    assert (service.metric_count, service.source_label, list(service.namespaces)) == (
        3,
        "service",
        ["production"],
    )
    metrics = await catalog.stub.ListServiceMetrics(
        C.ListServiceMetricsRequest(name="payment"), metadata=USER
    )
    assert [m.name for m in metrics.metrics] == [
        "http_request_duration_seconds_bucket",
        "http_requests_total",
    ]


async def test_a_second_identical_run_changes_nothing(catalog: CatalogHandle) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    await complete(catalog, "s1")
    before = await version(catalog)
    first = await catalog.stub.ListMetrics(C.ListMetricsRequest(), metadata=USER)

    reply = await apply(catalog, "s2", WORLD, SERVICES)
    done = await complete(catalog, "s2")

    assert (reply.metrics_upserted, reply.metrics_embedded, reply.services_upserted) == (0, 0, 0)
    assert (done.metrics_marked_stale, done.services_marked_stale) == (0, 0)
    assert done.catalog_version == before == await version(catalog)
    second = await catalog.stub.ListMetrics(C.ListMetricsRequest(), metadata=USER)
    assert [(m.name, m.first_seen_at) for m in second.metrics] == [
        (m.name, m.first_seen_at) for m in first.metrics
    ]
    assert second.page.total_size == 4


async def test_a_changed_help_is_re_embedded_and_bumps_the_version(
    catalog: CatalogHandle,
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    before = await version(catalog)
    changed = metric("process_open_fds", help="Open file descriptors of the process.")
    reply = await apply(catalog, "s2", [changed])
    assert (reply.metrics_upserted, reply.metrics_embedded) == (1, 1)
    assert await version(catalog) == before + 1


async def test_what_a_scan_did_not_see_goes_stale_comes_back_and_is_dropped(
    catalog: CatalogHandle, database_url: str
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    await complete(catalog, "s1")
    await apply(catalog, "s2", WORLD[:3], SERVICES[:3])
    done = await complete(catalog, "s2")
    assert (done.metrics_marked_stale, done.services_marked_stale) == (1, 1)
    assert "process_open_fds" not in await names(catalog)
    assert "process_open_fds" in await names(catalog, include_stale=True)
    gone = await catalog.stub.GetMetric(C.GetMetricRequest(name="process_open_fds"), metadata=USER)
    assert gone.stale
    stale_service = await catalog.stub.GetService(
        C.GetServiceRequest(name="prometheus"), metadata=USER
    )
    assert stale_service.stale

    # It comes back: no longer stale, and not duplicated.
    await apply(catalog, "s3", WORLD, SERVICES)
    await complete(catalog, "s3")
    assert await names(catalog) == sorted(m.name for m in WORLD)

    # It vanishes for longer than the grace period: dropped.
    await apply(catalog, "s4", WORLD[:3], SERVICES[:3])
    await complete(catalog, "s4", grace=3600)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE catalog.metrics SET stale_since = now() - interval '2 hours'"
            " WHERE stale_since IS NOT NULL"
        )
    finally:
        await conn.close()
    await apply(catalog, "s5", WORLD[:3], SERVICES[:3])
    done = await complete(catalog, "s5", grace=3600)
    assert done.metrics_dropped == 1
    assert "process_open_fds" not in await names(catalog, include_stale=True)


async def test_an_older_overlapping_scan_never_stales_what_a_newer_one_saw(
    catalog: CatalogHandle,
) -> None:
    await apply(catalog, "old", WORLD[:1])
    await apply(catalog, "new", WORLD[1:2])
    await apply(catalog, "old", WORLD[:1])
    done = await complete(catalog, "old")
    assert done.metrics_marked_stale == 0
    done = await complete(catalog, "new")
    assert done.metrics_marked_stale == 1  # the newer scan did not see WORLD[0]


async def test_sources_keep_their_own_view(catalog: CatalogHandle) -> None:
    await apply(catalog, "a1", WORLD[:2], source="prom-a")
    await apply(catalog, "b1", WORLD[1:3], source="prom-b")
    done = await complete(catalog, "b2", source="prom-b")  # prom-b now sees nothing
    assert done.metrics_marked_stale == 1  # WORLD[1] is still seen by prom-a
    assert await names(catalog) == sorted(m.name for m in WORLD[:2])


async def test_concurrent_batches_of_one_scan_neither_deadlock_nor_duplicate(
    catalog: CatalogHandle,
) -> None:
    batches = [
        [metric(f"m_{b}_{i}", services=("checkout", "payment", f"svc{i % 3}")) for i in range(40)]
        for b in range(4)
    ]
    await asyncio.gather(*(apply(catalog, "s1", batch) for batch in batches))
    reply = await catalog.stub.ListMetrics(
        C.ListMetricsRequest(page=common_pb2.PageRequest(page_size=500)), metadata=USER
    )
    assert reply.page.total_size == 160
    service = await catalog.stub.GetService(C.GetServiceRequest(name="checkout"), metadata=USER)
    assert service.metric_count == 160


async def test_pagination_walks_everything_once(catalog: CatalogHandle) -> None:
    many = [metric(f"demo_metric_{i:03d}", services=("checkout",)) for i in range(120)]
    await apply(catalog, "s1", many)
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        reply = await catalog.stub.ListMetrics(
            C.ListMetricsRequest(page=common_pb2.PageRequest(page_token=token)), metadata=USER
        )
        pages += 1
        assert reply.page.total_size == 120
        seen += [m.name for m in reply.metrics]
        token = reply.page.next_page_token
        if not token:
            break
    assert pages == 3
    assert seen == sorted(m.name for m in many)

    big = await catalog.stub.ListMetrics(
        C.ListMetricsRequest(page=common_pb2.PageRequest(page_size=10_000)), metadata=USER
    )
    assert len(big.metrics) == 120
    assert not big.page.next_page_token


@pytest.mark.parametrize(
    "page",
    [
        common_pb2.PageRequest(page_token="not-a-token"),
        common_pb2.PageRequest(page_token="eyJ2IjoxfQ"),
        common_pb2.PageRequest(page_size=-1),
    ],
)
async def test_a_bad_page_request_is_invalid_argument(
    catalog: CatalogHandle, page: common_pb2.PageRequest
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog.stub.ListMetrics(C.ListMetricsRequest(page=page), metadata=USER)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_token_is_bound_to_its_filters(catalog: CatalogHandle) -> None:
    await apply(catalog, "s1", [metric(f"m_{i}", services=("a",)) for i in range(3)])
    first = await catalog.stub.ListMetrics(
        C.ListMetricsRequest(page=common_pb2.PageRequest(page_size=1), service="a"),
        metadata=USER,
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog.stub.ListMetrics(
            C.ListMetricsRequest(
                page=common_pb2.PageRequest(page_token=first.page.next_page_token)
            ),
            metadata=USER,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_filters(catalog: CatalogHandle) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    assert await names(catalog, service="cache") == ["container_memory_usage_bytes"]
    assert await names(catalog, type=C.METRIC_TYPE_COUNTER) == ["http_requests_total"]
    assert await names(catalog, name_prefix="http_") == [
        "http_request_duration_seconds_bucket",
        "http_requests_total",
    ]
    staging = await catalog.stub.ListServices(
        C.ListServicesRequest(namespace="staging"), metadata=USER
    )
    assert [s.name for s in staging.services] == ["cache"]
    everything = await catalog.stub.ListServices(C.ListServicesRequest(), metadata=USER)
    assert [s.name for s in everything.services] == ["cache", "checkout", "payment", "prometheus"]


async def test_unknown_names_are_not_found(catalog: CatalogHandle) -> None:
    for call in (
        catalog.stub.GetMetric(C.GetMetricRequest(name="nope"), metadata=USER),
        catalog.stub.GetService(C.GetServiceRequest(name="nope"), metadata=USER),
        catalog.stub.ListServiceMetrics(C.ListServiceMetricsRequest(name="nope"), metadata=USER),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_search_fuses_meaning_words_services_and_label_values(
    catalog: CatalogHandle,
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    found = await catalog.stub.SearchMetrics(
        C.SearchMetricsRequest(text="p95 latency of checkout", k=3), metadata=USER
    )
    top = found.results[0]
    assert top.metric.name == "http_request_duration_seconds_bucket"
    assert {"vector", "service"} <= set(top.matched)
    assert {lv.name for lv in top.metric.labels} == {"le", "service"}  # full metric returned
    assert "checkout" in found.services
    assert len(found.results) == 3

    errors = await catalog.stub.SearchMetrics(
        C.SearchMetricsRequest(text="how many 503 errors does payment return", k=2), metadata=USER
    )
    assert errors.results[0].metric.name == "http_requests_total"
    assert "label_value" in errors.results[0].matched
    assert ("status", "503", "http_requests_total") in {
        (m.label, m.value, m.metric) for m in errors.label_matches
    }

    scoped = await catalog.stub.SearchMetrics(
        C.SearchMetricsRequest(text="memory", service="prometheus"), metadata=USER
    )
    assert [r.metric.name for r in scoped.results] == ["process_open_fds"]


async def test_more_texts_are_searched_in_the_same_call_each_metric_with_its_best_score(
    catalog: CatalogHandle,
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    text, more = "how slow is checkout", ["request duration seconds", "memory usage bytes"]
    merged = await catalog.stub.SearchMetrics(
        C.SearchMetricsRequest(text=text, k=2, more_texts=[*more, more[0], text]), metadata=USER
    )
    alone = [
        await catalog.stub.SearchMetrics(C.SearchMetricsRequest(text=t, k=2), metadata=USER)
        for t in (text, *more)
    ]
    best: dict[str, float] = {}
    for found in alone:
        for r in found.results:
            best[r.metric.name] = max(best.get(r.metric.name, 0.0), r.score)
    assert [(r.metric.name, r.score) for r in merged.results] == sorted(
        best.items(), key=lambda item: (-item[1], item[0])
    )
    assert "container_memory_usage_bytes" in best  # found by a more text only
    assert list(merged.services) == list(alone[0].services) == ["checkout"]
    assert list(merged.label_matches) == list(alone[0].label_matches)
    assert {lv.name for lv in merged.results[0].metric.labels}  # full metrics, as ever


async def test_ground_question_is_search_and_examples_in_one_call(catalog: CatalogHandle) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    await catalog.stub.RememberExample(
        C.RememberExampleRequest(question="p95 latency of checkout", promql="up"),
        metadata=SERVICE,
    )
    search = C.SearchMetricsRequest(text="95th percentile latency of checkout", k=3)
    search.more_texts.append("request duration seconds")
    examples = C.FindSimilarExamplesRequest(text=search.text, k=2, min_similarity=0.5)
    grounded = await catalog.stub.GroundQuestion(
        C.GroundQuestionRequest(search=search, examples=examples), metadata=SERVICE
    )
    searched = await catalog.stub.SearchMetrics(search, metadata=USER)
    assert all(r.metric.last_seen_at.seconds for r in searched.results)
    # The same results; a grounding's metrics leave out what grounding never reads.
    for result in searched.results:
        for field in ("namespaces", "first_seen_at", "last_seen_at"):
            result.metric.ClearField(field)
    assert grounded.search == searched
    alone = await catalog.stub.FindSimilarExamples(examples, metadata=SERVICE)
    assert [e.id for e in grounded.examples.examples] == [e.id for e in alone.examples]
    assert [e.question for e in grounded.examples.examples] == ["p95 latency of checkout"]
    assert grounded.examples.examples[0].similarity == pytest.approx(
        alone.examples[0].similarity, abs=1e-5
    )

    without = await catalog.stub.GroundQuestion(
        C.GroundQuestionRequest(search=search), metadata=SERVICE
    )
    assert without.search == grounded.search
    assert not without.examples.examples


async def test_searches_wider_than_the_sessions_hnsw_list_still_find_everything(
    catalog: CatalogHandle,
) -> None:
    """k=100 asks 300 candidates of each signal, more than the connections' ef_search."""
    await apply(catalog, "s1", [metric(f"queue_{i}_depth", help="queue depth") for i in range(320)])
    found = await catalog.stub.SearchMetrics(
        C.SearchMetricsRequest(text="queue depth", k=100), metadata=USER
    )
    assert len(found.results) == 100
    assert all("vector" in r.matched for r in found.results)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (C.SearchMetricsRequest(text=""), grpc.StatusCode.INVALID_ARGUMENT),
        (C.SearchMetricsRequest(text="x" * 5000), grpc.StatusCode.INVALID_ARGUMENT),
        (C.SearchMetricsRequest(text="cpu", k=-1), grpc.StatusCode.INVALID_ARGUMENT),
        (C.SearchMetricsRequest(text="cpu", service="nope"), grpc.StatusCode.NOT_FOUND),
        (C.SearchMetricsRequest(text="cpu", more_texts=[" "]), grpc.StatusCode.INVALID_ARGUMENT),
        (
            C.SearchMetricsRequest(text="cpu", more_texts=["x" * 5000]),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            C.SearchMetricsRequest(text="cpu", more_texts=[f"t{i}" for i in range(9)]),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ],
)
async def test_bad_searches(
    catalog: CatalogHandle, request_: C.SearchMetricsRequest, code: grpc.StatusCode
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog.stub.SearchMetrics(request_, metadata=USER)
    assert caught.value.code() == code


@pytest.mark.parametrize(
    "request_",
    [
        C.GroundQuestionRequest(search=C.SearchMetricsRequest(text="")),
        C.GroundQuestionRequest(
            search=C.SearchMetricsRequest(text="cpu"),
            examples=C.FindSimilarExamplesRequest(text="cpu", min_similarity=2),
        ),
        C.GroundQuestionRequest(
            search=C.SearchMetricsRequest(text="cpu"), examples=C.FindSimilarExamplesRequest()
        ),
    ],
)
async def test_bad_groundings(catalog: CatalogHandle, request_: C.GroundQuestionRequest) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await catalog.stub.GroundQuestion(request_, metadata=SERVICE)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_search_caps_k(catalog: CatalogHandle) -> None:
    await apply(catalog, "s1", [metric(f"m_{i}", help="a gauge") for i in range(120)])
    found = await catalog.stub.SearchMetrics(
        C.SearchMetricsRequest(text="a gauge", k=1000), metadata=USER
    )
    assert len(found.results) == 100


async def test_examples_are_deduplicated_and_found_by_meaning(catalog: CatalogHandle) -> None:
    remember = catalog.stub.RememberExample
    first = await remember(
        C.RememberExampleRequest(
            question="What is the p95 latency of checkout?",
            promql="histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))",
        ),
        metadata=SERVICE,
    )
    again = await remember(
        C.RememberExampleRequest(
            question="  what is the P95 latency of   checkout ",
            promql="histogram_quantile(0.95, y)",
        ),
        metadata=SERVICE,
    )
    assert again.id == first.id
    assert again.usage_count == 2
    assert again.promql == "histogram_quantile(0.95, y)"
    await remember(
        C.RememberExampleRequest(question="memory used by cache pods", promql="sum(mem)"),
        metadata=SERVICE,
    )

    found = await catalog.stub.FindSimilarExamples(
        C.FindSimilarExamplesRequest(text="checkout 95th percentile response time", k=5),
        metadata=SERVICE,
    )
    assert next(e.id for e in found.examples) == first.id
    assert found.examples[0].similarity > found.examples[1].similarity
    strict = await catalog.stub.FindSimilarExamples(
        C.FindSimilarExamplesRequest(text="checkout p95 latency", min_similarity=0.6),
        metadata=SERVICE,
    )
    assert [e.id for e in strict.examples] == [first.id]


@pytest.mark.parametrize(
    ("call", "metadata", "code"),
    [
        ("ApplyDiscoveryBatch", USER, grpc.StatusCode.PERMISSION_DENIED),
        ("ApplyDiscoveryBatch", ADMIN, grpc.StatusCode.PERMISSION_DENIED),
        ("ApplyDiscoveryBatch", (), grpc.StatusCode.UNAUTHENTICATED),
        ("ListMetrics", (), grpc.StatusCode.UNAUTHENTICATED),
        ("RememberExample", USER, grpc.StatusCode.PERMISSION_DENIED),
        ("GetCatalogVersion", USER, grpc.StatusCode.PERMISSION_DENIED),
        ("GroundQuestion", USER, grpc.StatusCode.PERMISSION_DENIED),
    ],
)
async def test_access_is_what_the_contract_declares(
    catalog: CatalogHandle, call: str, metadata: tuple[tuple[str, str], ...], code: grpc.StatusCode
) -> None:
    requests = {
        "ApplyDiscoveryBatch": C.ApplyDiscoveryBatchRequest(source="x", scan_id="y"),
        "ListMetrics": C.ListMetricsRequest(),
        "RememberExample": C.RememberExampleRequest(question="q", promql="up"),
        "GetCatalogVersion": C.GetCatalogVersionRequest(),
        "GroundQuestion": C.GroundQuestionRequest(search=C.SearchMetricsRequest(text="cpu")),
    }
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(catalog.stub, call)(requests[call], metadata=metadata)
    assert caught.value.code() == code


async def test_a_batch_without_source_or_scan_is_rejected(catalog: CatalogHandle) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await apply(catalog, "", WORLD)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_migrations_apply_once(catalog: CatalogHandle) -> None:
    settings: CatalogSettings = catalog.settings
    assert await migrate(settings) == []


async def test_the_migrate_command_creates_the_schema(database_url: str) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": database_url}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "obsai_catalog", "migrate"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    conn = await asyncpg.connect(database_url)
    try:
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='catalog'")
        }
    finally:
        await conn.close()
    assert {"metrics", "services", "service_metrics", "label_values", "examples"} <= tables
