"""A real catalog server on a free port, and identities to call it with.

Shared by the catalog, discovery and retrieval tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from obsai.v1 import catalog_pb2_grpc
from obsai_catalog.app import build_app
from obsai_catalog.embedding import Embedder
from obsai_catalog.settings import CatalogSettings
from obsai_common.identity import IDENTITY_METADATA, Identity, InternalTokenSigner
from obsai_common.server import running

SECRET = "test-internal-secret-0123456789-abcdef"
Metadata = tuple[tuple[str, str], ...]


def metadata_for(identity: Identity) -> Metadata:
    # Signed once at import and reused across the session: valid for an hour,
    # not the services' default two minutes.
    return ((IDENTITY_METADATA, InternalTokenSigner(SECRET, ttl_seconds=3600).sign(identity)),)


SERVICE = metadata_for(Identity.for_service("discovery"))
USER = metadata_for(Identity("u-1", "alice", ("user",)))
ADMIN = metadata_for(Identity("u-2", "root", ("admin",)))


@dataclass
class CatalogHandle:
    stub: catalog_pb2_grpc.CatalogServiceStub
    address: str
    settings: CatalogSettings


@contextlib.asynccontextmanager
async def catalog_server(
    database_url: str, embedder: Embedder, **overrides: object
) -> AsyncIterator[CatalogHandle]:
    settings = CatalogSettings(
        database_url=database_url,  # type: ignore[arg-type]
        grpc_port=0,
        obsai_internal_secret=SECRET,  # type: ignore[arg-type]
        db_pool_max=4,
        shutdown_grace_seconds=0.5,
        **overrides,  # type: ignore[arg-type]
    )
    async with build_app(settings, embedder) as app, running(settings, app) as server:
        address = f"127.0.0.1:{server.port}"
        async with grpc.aio.insecure_channel(address) as channel:
            yield CatalogHandle(catalog_pb2_grpc.CatalogServiceStub(channel), address, settings)
