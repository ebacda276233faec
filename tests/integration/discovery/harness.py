"""A real discovery server on a free port, wired to a catalog and Redis."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from obsai.v1 import discovery_pb2_grpc
from obsai_common.server import running
from obsai_discovery.app import build_app
from obsai_discovery.settings import DiscoverySettings
from tests.integration.catalog.harness import SECRET, CatalogHandle


@dataclass
class DiscoveryHandle:
    stub: discovery_pb2_grpc.DiscoveryServiceStub
    settings: DiscoverySettings


@contextlib.asynccontextmanager
async def discovery_server(
    catalog: CatalogHandle, redis_url: str, prometheus_url: str, **overrides: object
) -> AsyncIterator[DiscoveryHandle]:
    options: dict[str, object] = {
        "grpc_port": 0,
        "obsai_internal_secret": SECRET,
        "catalog_addr": catalog.address,
        "redis_url": redis_url,
        "prometheus_url": prometheus_url,
        "discovery_on_startup": False,
        "discovery_interval_seconds": 3600,
        "discovery_lookback_seconds": 600,
        "shutdown_grace_seconds": 0.5,
    }
    options.update(overrides)
    settings = DiscoverySettings(**options)  # type: ignore[arg-type]
    async with (
        build_app(settings) as app,
        running(settings, app) as server,
        grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel,
    ):
        yield DiscoveryHandle(discovery_pb2_grpc.DiscoveryServiceStub(channel), settings)
