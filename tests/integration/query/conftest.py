"""The query service's integration rig: all real parts, Claude replaced by a fake.

- the demo world (exporter, backfilled history, a real Prometheus), once per session;
- the real catalog service on a fresh database, filled from that Prometheus the
  way discovery would (metadata, series, labels, sample values);
- the query service itself (`build_app` + `running`) on real PostgreSQL and Redis;
- callers as verified identities (internal tokens), as the gateway sends them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from obsai.v1 import catalog_pb2, query_pb2_grpc
from obsai_catalog.embedding import CachedEmbedder, Embedder, OnnxSentenceEmbedder
from obsai_common.identity import IDENTITY_METADATA, Identity, InternalTokenSigner
from obsai_common.server import running
from obsai_devstack.demo_world import DemoWorld
from obsai_query.app import build_app
from obsai_query.settings import QuerySettings
from tests.conftest import DEMO_SCRAPE_INTERVAL
from tests.integration.catalog.harness import SECRET, CatalogHandle, catalog_server
from tests.integration.query.catalog_fill import discovered_metrics, fill_catalog
from tests.support.fake_claude import FakeClaude

Metadata = tuple[tuple[str, str], ...]


def identity_metadata(identity: Identity) -> Metadata:
    return ((IDENTITY_METADATA, InternalTokenSigner(SECRET).sign(identity)),)


ALICE = Identity("u-alice", "alice", ("user",), tenant="")
BOB = Identity("u-bob", "bob", ("user",))
ADMIN = Identity("u-root", "root", ("admin",))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return CachedEmbedder(OnnxSentenceEmbedder())


@pytest.fixture(scope="session")
def demo_catalog_batch(demo_world: DemoWorld) -> list[catalog_pb2.DiscoveredMetric]:
    return discovered_metrics(demo_world.prometheus_url)


@pytest.fixture
async def catalog(
    database_url: str, embedder: Embedder, demo_catalog_batch: list[catalog_pb2.DiscoveredMetric]
) -> AsyncIterator[CatalogHandle]:
    async with catalog_server(database_url, embedder) as handle:
        await fill_catalog(handle.stub, demo_catalog_batch, identity_metadata)
        yield handle


@pytest.fixture
def fake_claude() -> Iterator[FakeClaude]:
    with FakeClaude() as claude:
        yield claude


@dataclass
class QueryHandle:
    stub: query_pb2_grpc.QueryServiceStub
    settings: QuerySettings

    async def ask(self, identity: Identity = ALICE, **request: Any) -> Any:
        from obsai.v1 import query_pb2

        return await self.stub.Query(
            query_pb2.QueryRequest(**request), metadata=identity_metadata(identity), timeout=30
        )


@contextlib.asynccontextmanager
async def query_server(**overrides: Any) -> AsyncIterator[QueryHandle]:
    settings = QuerySettings(
        grpc_port=0,
        obsai_internal_secret=SECRET,
        shutdown_grace_seconds=0.5,
        db_pool_max=4,
        auth_addr="127.0.0.1:1",
        discovery_addr="127.0.0.1:1",
        scrape_interval_seconds=DEMO_SCRAPE_INTERVAL,
        **overrides,
    )
    async with (
        build_app(settings) as app,
        running(settings, app) as server,
        grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel,
    ):
        yield QueryHandle(query_pb2_grpc.QueryServiceStub(channel), settings)


@pytest.fixture
async def query(
    database_url: str, redis_url: str, demo_world: DemoWorld, catalog: CatalogHandle
) -> AsyncIterator[QueryHandle]:
    async with query_server(
        database_url=database_url,
        redis_url=redis_url,
        prometheus_url=demo_world.prometheus_url,
        catalog_addr=catalog.address,
    ) as handle:
        yield handle
