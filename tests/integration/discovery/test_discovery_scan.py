"""Discovery against real Prometheus servers, pushing into a real catalog."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import asyncpg
import grpc
import pytest

from obsai.v1 import catalog_pb2, common_pb2, discovery_pb2
from obsai_devstack.processes import free_port
from tests.integration.catalog.harness import ADMIN, SERVICE, USER, CatalogHandle
from tests.integration.discovery.conftest import Shop
from tests.integration.discovery.harness import DiscoveryHandle, discovery_server
from tests.integration.discovery.proxy import MimirProxy

pytestmark = pytest.mark.integration

C = catalog_pb2


async def trigger(discovery: DiscoveryHandle) -> discovery_pb2.DiscoveryStatus:
    return await discovery.stub.TriggerDiscovery(
        discovery_pb2.TriggerDiscoveryRequest(wait=True), metadata=ADMIN
    )


async def catalog_metrics(catalog: CatalogHandle, stale: bool = False) -> dict[str, C.Metric]:
    reply = await catalog.stub.ListMetrics(
        C.ListMetricsRequest(page=common_pb2.PageRequest(page_size=500), include_stale=stale),
        metadata=USER,
    )
    return {m.name: m for m in reply.metrics}


async def version(catalog: CatalogHandle) -> int:
    reply = await catalog.stub.GetCatalogVersion(C.GetCatalogVersionRequest(), metadata=SERVICE)
    return reply.version


def labels(metric: C.Metric) -> dict[str, list[str]]:
    return {lv.name: list(lv.values) for lv in metric.labels}


async def test_types_help_units_labels_and_services_come_from_the_source(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    async with discovery_server(catalog, redis_url, shop.prometheus_url) as discovery:
        status = await trigger(discovery)
    report = status.last_scan
    assert status.triggered
    assert report.success, report.errors
    # metadata + names + one /api/v1/series request for every name.
    assert report.http_requests == 3
    metrics = await catalog_metrics(catalog)
    assert report.metrics == len(metrics)

    def shape(name: str) -> tuple[str, int, int, str, str]:
        m = metrics[name]
        return m.family, m.type, m.type_source, m.help, m.unit

    meta = C.TYPE_SOURCE_METADATA
    assert shape("shop_orders_total") == ("shop_orders", C.METRIC_TYPE_COUNTER, meta,
                                          "Orders placed.", "")  # fmt: skip
    assert shape("shop_orders_created")[:3] == ("shop_orders", C.METRIC_TYPE_GAUGE, meta)
    histogram = ("shop_request_latency_seconds", C.METRIC_TYPE_HISTOGRAM, meta,
                 "Latency of shop requests.", "seconds")  # fmt: skip
    for suffix in ("_bucket", "_sum", "_count"):
        assert shape("shop_request_latency_seconds" + suffix) == histogram
    assert shape("shop_rpc_duration_seconds_sum")[1:3] == (C.METRIC_TYPE_SUMMARY, meta)
    assert shape("shop_queue_depth")[1:4] == (
        C.METRIC_TYPE_GAUGE,
        meta,
        "Jobs waiting in the queue.",
    )
    assert shape("shop_cart_value_dollars")[4] == "dollars"
    assert shape("shop_build_info")[:3] == ("shop_build", C.METRIC_TYPE_GAUGE, meta)
    # Prometheus' own per-target series have no metadata: conventions.
    assert shape("up")[1:3] == (C.METRIC_TYPE_GAUGE, C.TYPE_SOURCE_CONVENTION)

    orders = metrics["shop_orders_total"]
    assert labels(orders) == {
        "instance": [labels(orders)["instance"][0]],
        "job": ["shop"],
        "namespace": ["production", "staging"],
        "service": ["checkout", "payment"],
    }
    assert (list(orders.services), list(orders.namespaces), orders.series_count) == (
        ["checkout", "payment"],
        ["production", "staging"],
        2,
    )
    bucket = metrics["shop_request_latency_seconds_bucket"]
    assert "le" in labels(bucket)
    assert bucket.series_count == 2 * 15

    stock = metrics["shop_items_in_stock"]
    (sku,) = [lv for lv in stock.labels if lv.name == "sku"]
    assert stock.series_count == 120
    assert len(sku.values) == 50
    assert sku.truncated
    assert list(sku.values) == [f"sku-{i:03d}" for i in range(50)]
    assert list(stock.services) == ["shop"]  # no service/app label: the job names it

    services = await catalog.stub.ListServices(C.ListServicesRequest(), metadata=USER)
    by_name = {s.name: s for s in services.services}
    assert set(by_name) == {"checkout", "payment", "worker", "shop"}
    assert (by_name["checkout"].source_label, list(by_name["checkout"].namespaces)) == (
        "service",
        ["production"],
    )
    assert list(by_name["payment"].namespaces) == ["staging"]
    assert by_name["worker"].source_label == "app"
    assert by_name["shop"].source_label == "job"
    assert report.services == 4


async def test_a_second_run_changes_nothing(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    async with discovery_server(catalog, redis_url, shop.prometheus_url) as discovery:
        first = await trigger(discovery)
        before = (await version(catalog), await catalog_metrics(catalog))
        second = await trigger(discovery)
        after = (await version(catalog), await catalog_metrics(catalog))
    assert first.last_scan.success
    assert second.last_scan.success
    assert second.last_scan.scan_id != first.last_scan.scan_id
    assert second.last_scan.metrics_marked_stale == 0
    assert after[0] == before[0]
    assert {n: (m.first_seen_at, m.type, list(m.labels)) for n, m in after[1].items()} == {
        n: (m.first_seen_at, m.type, list(m.labels)) for n, m in before[1].items()
    }


async def test_a_vanished_metric_goes_stale_and_comes_back(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    sale = "shop_flash_sale_active"
    async with discovery_server(
        catalog, redis_url, shop.prometheus_url, discovery_lookback_seconds=3
    ) as discovery:
        assert (await trigger(discovery)).last_scan.success
        try:
            shop.hide(sale)
            shop.wait_scraped("shop_orders_total", absent=sale)
            await asyncio.sleep(3.5)  # out of the lookback window
            status = await trigger(discovery)
            assert status.last_scan.success, status.last_scan.errors
            assert status.last_scan.metrics_marked_stale == 1
            assert sale not in await catalog_metrics(catalog)
            assert (await catalog_metrics(catalog, stale=True))[sale].stale
        finally:
            shop.hide()
        shop.wait_scraped(sale)
        status = await trigger(discovery)
        assert status.last_scan.success
        assert not (await catalog_metrics(catalog))[sale].stale


async def test_two_concurrent_triggers_on_two_replicas_run_one_scan(
    shop: Shop, catalog: CatalogHandle, redis_url: str, database_url: str
) -> None:
    async with (
        discovery_server(catalog, redis_url, shop.prometheus_url) as one,
        discovery_server(catalog, redis_url, shop.prometheus_url) as two,
    ):
        answers = await asyncio.gather(trigger(one), trigger(two), trigger(one), trigger(two))
        assert sum(a.triggered for a in answers) == 1
        started = next(a for a in answers if a.triggered)
        assert started.last_scan.success
        # Every replica reports the same last scan (it lives in Redis).
        for replica in (one, two):
            status = await replica.stub.GetDiscoveryStatus(
                discovery_pb2.GetDiscoveryStatusRequest(), metadata=ADMIN
            )
            assert status.state == "idle"
            assert status.last_scan.scan_id == started.last_scan.scan_id
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM catalog.scans") == 1
    finally:
        await conn.close()


async def test_requests_grow_with_chunks_of_names_not_with_labels(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    async with discovery_server(
        catalog, redis_url, shop.prometheus_url, discovery_max_names_per_request=4
    ) as discovery:
        report = (await trigger(discovery)).last_scan
    assert report.success
    metrics = await catalog_metrics(catalog)
    assert report.metrics == len(metrics) > 15
    chunks = -(-len(metrics) // 4)
    assert report.http_requests == 2 + chunks


@pytest.mark.parametrize("auth", ["bearer", "basic"])
async def test_mimir_prefix_tenant_and_credentials_are_sent(
    shop: Shop, catalog: CatalogHandle, redis_url: str, auth: str
) -> None:
    proxy = MimirProxy(shop.prometheus_url).start()
    credentials: dict[str, object] = (
        {"prometheus_bearer_token": "t0ken"}
        if auth == "bearer"
        else {"prometheus_basic_auth_user": "ann", "prometheus_basic_auth_password": "pw"}
    )
    try:
        async with discovery_server(
            catalog,
            redis_url,
            proxy.url,
            prometheus_path_prefix="/prometheus",
            prometheus_tenant="team-a",
            **credentials,
        ) as discovery:
            report = (await trigger(discovery)).last_scan
    finally:
        proxy.stop()
    assert report.success, report.errors
    assert len(proxy.seen) == report.http_requests
    expected = (
        "Bearer t0ken" if auth == "bearer" else "Basic " + base64.b64encode(b"ann:pw").decode()
    )
    for seen in proxy.seen:
        assert seen.path.startswith("/prometheus/api/v1/")
        assert seen.headers["x-scope-orgid"] == "team-a"
        assert seen.headers["authorization"] == expected
    assert "shop_orders_total" in await catalog_metrics(catalog)


async def test_a_source_refusing_the_scan_fails_it_without_staling_anything(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    proxy = MimirProxy(shop.prometheus_url).start()
    try:
        async with discovery_server(catalog, redis_url, shop.prometheus_url) as discovery:
            assert (await trigger(discovery)).last_scan.success
        before = await version(catalog)
        async with discovery_server(
            catalog, redis_url, proxy.url, prometheus_path_prefix="/prometheus"
        ) as discovery:  # no tenant: the proxy answers 401, as Mimir does
            report = (await trigger(discovery)).last_scan
    finally:
        proxy.stop()
    assert not report.success
    assert any("HTTP 401" in e for e in report.errors)
    assert await version(catalog) == before


async def test_startup_retries_with_backoff_until_the_source_is_up(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    port = free_port()
    proxy = MimirProxy(shop.prometheus_url, prefix="", port=port)
    async with discovery_server(
        catalog,
        redis_url,
        f"http://127.0.0.1:{port}",
        prometheus_tenant="t",
        discovery_on_startup=True,
        discovery_retry_initial_seconds=0.2,
        discovery_retry_max_seconds=1.0,
    ) as discovery:

        async def status() -> discovery_pb2.DiscoveryStatus:
            return await discovery.stub.GetDiscoveryStatus(
                discovery_pb2.GetDiscoveryStatusRequest(), metadata=ADMIN
            )

        async def until(check: object) -> discovery_pb2.DiscoveryStatus:
            deadline = time.monotonic() + 20.0
            while time.monotonic() < deadline:
                current = await status()
                if check(current):  # type: ignore[operator]
                    return current
                await asyncio.sleep(0.1)
            raise AssertionError(f"status never got there: {current}")

        failed = await until(lambda s: s.HasField("last_scan") and not s.last_scan.success)
        assert any("unreachable" in e for e in failed.last_scan.errors)
        proxy.start()
        try:
            done = await until(lambda s: s.last_scan.success)
        finally:
            proxy.stop()
    assert done.last_scan.metrics > 0
    assert done.next_scan_at.seconds > time.time() + 3000  # back to the normal interval


async def test_backfilled_data_without_metadata_falls_back_to_conventions(
    legacy: str, catalog: CatalogHandle, redis_url: str
) -> None:
    async with discovery_server(catalog, redis_url, legacy) as discovery:
        report = (await trigger(discovery)).last_scan
    assert report.success
    assert report.errors == []
    metrics = await catalog_metrics(catalog)
    convention = C.TYPE_SOURCE_CONVENTION

    def shape(name: str) -> tuple[str, int, int, str]:
        m = metrics[name]
        return m.family, m.type, m.type_source, m.unit

    assert shape("legacy_jobs_processed_total") == (
        "legacy_jobs_processed", C.METRIC_TYPE_COUNTER, convention, "")  # fmt: skip
    for suffix in ("_bucket", "_sum", "_count"):
        family = "legacy_job_duration_seconds"
        assert shape(family + suffix) == (family, C.METRIC_TYPE_HISTOGRAM, convention, "seconds")
    for name in ("legacy_rpc_seconds", "legacy_rpc_seconds_sum", "legacy_rpc_seconds_count"):
        assert shape(name)[:3] == ("legacy_rpc_seconds", C.METRIC_TYPE_SUMMARY, convention)
    assert shape("legacy_temperature_celsius") == (
        "legacy_temperature_celsius", C.METRIC_TYPE_GAUGE, convention, "celsius")  # fmt: skip
    assert list(metrics["legacy_temperature_celsius"].services) == ["billing"]
    assert list(metrics["legacy_temperature_celsius"].namespaces) == ["prod"]


async def test_excluded_names_are_never_fetched(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    async with discovery_server(
        catalog, redis_url, shop.prometheus_url, discovery_exclude="scrape_.*,up"
    ) as discovery:
        assert (await trigger(discovery)).last_scan.success
    names = set(await catalog_metrics(catalog))
    assert "up" not in names
    assert not any(n.startswith("scrape_") for n in names)
    assert "shop_orders_total" in names


async def test_only_admins_trigger_or_read_discovery(
    shop: Shop, catalog: CatalogHandle, redis_url: str
) -> None:
    async with discovery_server(catalog, redis_url, shop.prometheus_url) as discovery:
        for call, request in (
            (discovery.stub.TriggerDiscovery, discovery_pb2.TriggerDiscoveryRequest()),
            (discovery.stub.GetDiscoveryStatus, discovery_pb2.GetDiscoveryStatusRequest()),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(request, metadata=USER)  # type: ignore[operator]
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def catalog_services(catalog: CatalogHandle) -> dict[str, C.Service]:
    reply = await catalog.stub.ListServices(
        C.ListServicesRequest(page=common_pb2.PageRequest(page_size=500)), metadata=USER
    )
    return {s.name: s for s in reply.services}


async def test_one_cycle_scans_every_source_of_discovery_sources(
    shop: Shop,
    legacy: str,
    catalog: CatalogHandle,
    redis_url: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two Prometheus servers: the shop directly, the legacy one behind a
    # Mimir-style front (prefix + tenant). Their metrics and services are disjoint.
    proxy = MimirProxy(legacy).start()
    tenant_source = f"{proxy.url}/prometheus#team-b"
    monkeypatch.setenv(
        "DISCOVERY_SOURCES",
        json.dumps(
            [
                {"name": "shop", "url": shop.prometheus_url},
                {"url": proxy.url, "path_prefix": "/prometheus", "tenant": "team-b"},
            ]
        ),
    )
    try:
        async with discovery_server(
            catalog,
            redis_url,
            "http://127.0.0.1:9",  # PROMETHEUS_URL: DISCOVERY_SOURCES overrides it
            # The legacy history ends when its fixture started; keep it in the window.
            discovery_lookback_seconds=3600,
        ) as discovery:
            assert [s.display_name for s in discovery.settings.sources()] == [
                "shop",
                tenant_source,
            ]
            first = await trigger(discovery)
            proxied_first = len(proxy.seen)
            before = (
                await version(catalog),
                await catalog_metrics(catalog),
                await catalog_services(catalog),
            )
            second = await trigger(discovery)
            after = (
                await version(catalog),
                await catalog_metrics(catalog),
                await catalog_services(catalog),
            )
    finally:
        proxy.stop()

    report = first.last_scan
    assert report.success, report.errors
    assert report.source == f"shop,{tenant_source}"
    # Each source: metadata + names + one /api/v1/series request.
    assert (report.http_requests, proxied_first) == (6, 3)
    for seen in proxy.seen:
        assert seen.path.startswith("/prometheus/api/v1/")
        assert seen.headers["x-scope-orgid"] == "team-b"

    _, metrics, services = before
    assert report.metrics == len(metrics)
    legacy_names = {n for n in metrics if n.startswith("legacy_")}
    assert legacy_names == {
        "legacy_jobs_processed_total",
        "legacy_job_duration_seconds_bucket",
        "legacy_job_duration_seconds_sum",
        "legacy_job_duration_seconds_count",
        "legacy_rpc_seconds",
        "legacy_rpc_seconds_sum",
        "legacy_rpc_seconds_count",
        "legacy_temperature_celsius",
    }
    assert {"shop_orders_total", "shop_request_latency_seconds_bucket", "up"} <= set(metrics)
    # Each metric carries what its own source said, nothing of the other's.
    orders = metrics["shop_orders_total"]
    assert (orders.type_source, list(orders.services), list(orders.namespaces)) == (
        C.TYPE_SOURCE_METADATA,
        ["checkout", "payment"],
        ["production", "staging"],
    )
    assert labels(orders)["job"] == ["shop"]
    jobs = metrics["legacy_jobs_processed_total"]
    assert (jobs.type, jobs.type_source, list(jobs.services), list(jobs.namespaces)) == (
        C.METRIC_TYPE_COUNTER,
        C.TYPE_SOURCE_CONVENTION,
        ["billing"],
        ["prod"],
    )
    assert labels(jobs)["job"] == ["legacy"]
    assert set(services) == {"checkout", "payment", "worker", "shop", "billing"}
    assert report.services == len(services)
    assert (services["billing"].source_label, list(services["billing"].namespaces)) == (
        "service",
        ["prod"],
    )

    # A second cycle scans both again and changes nothing.
    again = second.last_scan
    assert again.success, again.errors
    assert again.scan_id != report.scan_id
    assert (again.metrics, again.services, again.metrics_marked_stale) == (
        report.metrics,
        report.services,
        0,
    )
    assert len(proxy.seen) == 2 * proxied_first
    assert after[0] == before[0]

    def shape(m: C.Metric) -> tuple[object, ...]:
        return (m.first_seen_at, m.type, list(m.labels), list(m.services), m.series_count)

    assert {n: shape(m) for n, m in after[1].items()} == {n: shape(m) for n, m in before[1].items()}

    def service(s: C.Service) -> tuple[object, ...]:
        return (
            list(s.namespaces),
            s.source_label,
            s.metric_count,
            s.series_count,
            s.discovered_at,
        )

    # last_seen_at moves on: seen again is not a change.
    assert {n: service(s) for n, s in after[2].items()} == {
        n: service(s) for n, s in before[2].items()
    }
    # Each source's scan was opened and completed on its own, once per cycle.
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT source, count(*) AS scans FROM catalog.scans"
            " WHERE completed_at IS NOT NULL GROUP BY source"
        )
    finally:
        await conn.close()
    assert {r["source"]: r["scans"] for r in rows} == {"shop": 2, tenant_source: 2}
