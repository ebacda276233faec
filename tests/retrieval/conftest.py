"""The demo world, discovered into a real catalog, once for the retrieval set."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from obsai_catalog.embedding import CachedEmbedder, Embedder, OnnxSentenceEmbedder
from obsai_devstack.demo_world import DemoWorld


@pytest.fixture(scope="session")
def retrieval_world() -> Iterator[DemoWorld]:
    missing = [tool for tool in ("prometheus", "promtool") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: run make install")
    # Discovery looks at the last hour: an hour of history is all it needs.
    with DemoWorld(history_hours=1.0, scrape_interval=2) as world:
        yield world


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return CachedEmbedder(OnnxSentenceEmbedder())
