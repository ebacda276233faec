"""Wires the discovery service: sources, catalog client, Redis lock, scheduler, servicer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from obsai.v1 import discovery_pb2_grpc
from obsai_common.clients import ServiceTokenCache, internal_channel
from obsai_common.identity import InternalTokenSigner
from obsai_common.redis_client import create_redis
from obsai_common.remote_auth import RemoteAuthenticator
from obsai_common.server import ServiceApp, Servicer
from obsai_discovery.catalog_client import GrpcCatalogSink
from obsai_discovery.grpc_api import DiscoveryServicer
from obsai_discovery.lock import RedisLock
from obsai_discovery.prometheus import PrometheusAPI
from obsai_discovery.records import ScanReport
from obsai_discovery.scan import CatalogSink, Scanner, ScanOptions, new_scan_id
from obsai_discovery.scheduler import DiscoveryScheduler, ReportStore, combine
from obsai_discovery.settings import DiscoverySettings

LOCK_KEY = "obsai:discovery:lock"
REPORT_KEY = "obsai:discovery:last-scan"


def scan_options(settings: DiscoverySettings) -> ScanOptions:
    return ScanOptions(
        lookback_seconds=settings.discovery_lookback_seconds,
        service_labels=tuple(settings.discovery_service_labels),
        namespace_label=settings.discovery_namespace_label,
        max_label_values=settings.discovery_max_label_values,
        exclude=tuple(settings.discovery_exclude),
        series_per_request=settings.discovery_series_per_request,
        max_names_per_request=settings.discovery_max_names_per_request,
        concurrency=settings.discovery_concurrency,
        push_batch_size=settings.discovery_push_batch_size,
        stale_grace_seconds=settings.discovery_stale_grace_seconds,
    )


class DiscoveryCycle:
    """One cycle: every configured source scanned in turn, one combined report."""

    def __init__(self, scanner: Scanner, sources: list[PrometheusAPI], sink: CatalogSink) -> None:
        self._scanner = scanner
        self._sources = sources
        self._sink = sink

    async def __call__(self) -> ScanReport:
        scan_id = new_scan_id()
        reports = [
            await self._scanner.scan(api, api.config.display_name, self._sink, scan_id)
            for api in self._sources
        ]
        return combine(reports)


@contextlib.asynccontextmanager
async def build_app(settings: DiscoverySettings) -> AsyncIterator[ServiceApp]:
    signer = InternalTokenSigner(
        settings.obsai_internal_secret.get_secret_value(), settings.internal_token_ttl_seconds
    )
    tokens = ServiceTokenCache(signer, settings.service_name, settings.internal_token_ttl_seconds)
    async with contextlib.AsyncExitStack() as stack:
        sources = [PrometheusAPI(config) for config in settings.sources()]
        for api in sources:
            stack.push_async_callback(api.close)
        catalog_channel = internal_channel(settings.catalog_addr, tokens)
        stack.push_async_callback(catalog_channel.close, None)
        auth_channel = internal_channel(settings.auth_addr, tokens)
        stack.push_async_callback(auth_channel.close, None)
        redis = create_redis(settings.redis_url.get_secret_value())
        stack.push_async_callback(redis.aclose)
        scheduler = DiscoveryScheduler(
            DiscoveryCycle(
                Scanner(scan_options(settings)), sources, GrpcCatalogSink(catalog_channel)
            ),
            RedisLock(redis, LOCK_KEY, settings.discovery_lock_ttl_seconds),
            ReportStore(redis, REPORT_KEY),
            interval_seconds=settings.discovery_interval_seconds,
            retry_initial_seconds=settings.discovery_retry_initial_seconds,
            retry_max_seconds=settings.discovery_retry_max_seconds,
            on_startup=settings.discovery_on_startup,
        )
        scheduler.start()
        stack.push_async_callback(scheduler.stop)
        yield ServiceApp(
            servicers=[
                Servicer(
                    "obsai.v1.DiscoveryService",
                    DiscoveryServicer(scheduler),
                    discovery_pb2_grpc.add_DiscoveryServiceServicer_to_server,
                )
            ],
            authenticator=RemoteAuthenticator(auth_channel, signer),
        )
