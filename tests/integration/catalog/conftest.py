from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from obsai_catalog.embedding import CachedEmbedder, Embedder, OnnxSentenceEmbedder
from tests.integration.catalog.harness import CatalogHandle, catalog_server


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return CachedEmbedder(OnnxSentenceEmbedder())


@pytest.fixture
async def catalog(database_url: str, embedder: Embedder) -> AsyncIterator[CatalogHandle]:
    async with catalog_server(database_url, embedder) as handle:
        yield handle
