"""Wires the catalog service: pool, migrations, embedder, domain and servicer."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

from obsai.v1 import catalog_pb2_grpc
from obsai_catalog.catalog import Catalog
from obsai_catalog.embedding import (
    CachedEmbedder,
    Embedder,
    OnnxSentenceEmbedder,
    default_model_cache,
    int8_compute_model,
    packaged_model_path,
)
from obsai_catalog.grpc_api import CatalogServicer
from obsai_catalog.settings import CatalogSettings
from obsai_catalog.store import CatalogStore, ef_search_for, init_connection
from obsai_common import db
from obsai_common.clients import ServiceTokenCache, internal_channel
from obsai_common.identity import InternalTokenSigner
from obsai_common.remote_auth import RemoteAuthenticator
from obsai_common.server import ServiceApp, Servicer

log = logging.getLogger(__name__)

SCHEMA = "catalog"
MIGRATIONS = "obsai_catalog.migrations"
# The dimension of the vector columns in migrations/0001_init.sql.
VECTOR_DIMENSION = 384


def load_embedder(settings: CatalogSettings) -> Embedder:
    started = time.perf_counter()
    embedder = OnnxSentenceEmbedder(
        Path(settings.embedding_model_path) if settings.embedding_model_path else None,
        Path(settings.embedding_tokenizer_path) if settings.embedding_tokenizer_path else None,
        max_tokens=settings.embedding_max_tokens,
        batch_size=settings.embedding_batch_size,
        threads=settings.embedding_threads,
        runs=settings.embedding_runs,
        int8_compute=settings.embedding_int8_compute,
        cache_dir=model_cache(settings),
    )
    if embedder.dimension != VECTOR_DIMENSION:
        raise RuntimeError(
            f"the embedding model gives {embedder.dimension} dimensions; the catalog's"
            f" vector columns hold {VECTOR_DIMENSION} (a new model needs a migration)"
        )
    log.info(
        "embedder loaded",
        extra={"model": embedder.model_id, "ms": (time.perf_counter() - started) * 1e3},
    )
    return CachedEmbedder(embedder)


def model_cache(settings: CatalogSettings) -> Path:
    return (
        Path(settings.embedding_cache_dir)
        if settings.embedding_cache_dir
        else default_model_cache()
    )


def prepare_model(settings: CatalogSettings) -> Path:
    """Build the model the service will run, ahead of its start (an image build)."""
    source = Path(settings.embedding_model_path or packaged_model_path())
    if not settings.embedding_int8_compute:
        return source
    return int8_compute_model(source, model_cache(settings))


async def migrate(settings: CatalogSettings) -> list[str]:
    pool = await db.create_pool(settings.database_url.get_secret_value(), SCHEMA, max_size=1)
    try:
        return await db.apply_migrations(pool, SCHEMA, MIGRATIONS)
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def build_app(
    settings: CatalogSettings, embedder: Embedder | None = None
) -> AsyncIterator[ServiceApp]:
    """The catalog's servicers and resources; `embedder` lets tests share one model."""
    signer = InternalTokenSigner(
        settings.obsai_internal_secret.get_secret_value(), settings.internal_token_ttl_seconds
    )
    tokens = ServiceTokenCache(signer, settings.service_name, settings.internal_token_ttl_seconds)
    if settings.catalog_migrate_on_start:
        await migrate(settings)
    embedder = embedder or load_embedder(settings)
    # Vector searches take this many candidates; the connections are set up for it.
    ef_search = ef_search_for(settings.search_candidates)
    async with contextlib.AsyncExitStack() as stack:
        pool = await db.create_pool(
            settings.database_url.get_secret_value(),
            SCHEMA,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            init=functools.partial(init_connection, ef_search=ef_search),
            command_timeout=60.0,
        )
        stack.push_async_callback(pool.close)
        auth_channel = internal_channel(settings.auth_addr, tokens)
        stack.push_async_callback(auth_channel.close, None)
        catalog = Catalog(
            CatalogStore(pool, ef_search),
            embedder,
            stale_grace_seconds=settings.catalog_stale_grace_seconds,
            search_candidates=settings.search_candidates,
        )
        yield ServiceApp(
            servicers=[
                Servicer(
                    "obsai.v1.CatalogService",
                    CatalogServicer(catalog),
                    catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
                )
            ],
            authenticator=RemoteAuthenticator(auth_channel, signer),
        )
