"""What grounding keeps in memory never changes an answer.

A catalog service recognises services and label values from an index read at one
catalog version, reuses a recurring text's candidates at that version, and embeds
a question for examples only when there are examples: a change to the catalog, or
an example remembered through another replica, must show in the very next answer,
exactly as a replica that kept nothing would give it.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from obsai.v1 import catalog_pb2 as C
from obsai_catalog.catalog import Catalog, ExampleQuery
from obsai_catalog.embedding import Embedder
from obsai_catalog.search import question_terms
from obsai_catalog.store import CatalogStore, init_connection
from obsai_common import db
from tests.integration.catalog.harness import SERVICE, CatalogHandle, catalog_server
from tests.integration.catalog.test_catalog_api import SERVICES, WORLD, apply, complete, metric

pytestmark = pytest.mark.integration

QUESTIONS = [
    "how many 503 errors does payment return",
    "p95 latency of checkout in production",
    "memory of the cache service in staging",
    "how many teapot brews failed in the kitchen",
    "open file descriptors of prometheus",
]
MORE = ["request duration seconds", "memory usage bytes"]
KITCHEN = metric(
    "brews_total",
    type=C.METRIC_TYPE_COUNTER,
    help="Brews attempted, by outcome.",
    labels={"outcome": ["teapot", "brewed"], "service": ["kitchen"]},
    services=("kitchen",),
)


def _request(text: str, *, examples: bool = True) -> C.GroundQuestionRequest:
    return C.GroundQuestionRequest(
        search=C.SearchMetricsRequest(text=text, k=3, more_texts=MORE),
        examples=C.FindSimilarExamplesRequest(text=text, k=2, min_similarity=0.3)
        if examples
        else None,
    )


async def _answers(catalog: CatalogHandle) -> list[C.GroundQuestionResponse]:
    return [await catalog.stub.GroundQuestion(_request(q), metadata=SERVICE) for q in QUESTIONS]


async def _fresh_answers(database_url: str, embedder: Embedder) -> list[C.GroundQuestionResponse]:
    async with catalog_server(database_url, embedder) as fresh:
        return await _answers(fresh)


async def test_a_changed_catalog_shows_in_the_next_answer(
    catalog: CatalogHandle, database_url: str, embedder: Embedder
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    await complete(catalog, "s1")
    before = await _answers(catalog)  # read, and kept, at this version
    assert before == await _fresh_answers(database_url, embedder)
    assert "payment" in before[0].search.services

    # A new service with a new label value, and payment gone stale.
    await apply(
        catalog, "s2", [*WORLD[2:], KITCHEN], [*SERVICES[2:], C.DiscoveredService(name="kitchen")]
    )
    await complete(catalog, "s2")
    after = await _answers(catalog)
    assert after == await _fresh_answers(database_url, embedder)
    assert "payment" not in after[0].search.services
    assert list(after[3].search.services) == ["kitchen"]
    assert ("outcome", "teapot", "brews_total") in {
        (m.label, m.value, m.metric) for m in after[3].search.label_matches
    }


async def test_examples_remembered_through_another_replica_are_found_at_once(
    catalog: CatalogHandle, database_url: str, embedder: Embedder
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    first = await catalog.stub.GroundQuestion(_request(QUESTIONS[1]), metadata=SERVICE)
    assert not first.examples.examples
    async with catalog_server(database_url, embedder) as other:
        await other.stub.RememberExample(
            C.RememberExampleRequest(question="p95 latency of checkout", promql="up"),
            metadata=SERVICE,
        )
    again = await catalog.stub.GroundQuestion(_request(QUESTIONS[1]), metadata=SERVICE)
    assert [e.question for e in again.examples.examples] == ["p95 latency of checkout"]
    assert again.search == first.search
    alone = await catalog.stub.FindSimilarExamples(
        _request(QUESTIONS[1]).examples, metadata=SERVICE
    )
    assert [e.id for e in again.examples.examples] == [e.id for e in alone.examples]
    without = await catalog.stub.GroundQuestion(
        _request(QUESTIONS[1], examples=False), metadata=SERVICE
    )
    assert without.search == first.search
    assert not without.examples.examples


@pytest.fixture
async def store(catalog: CatalogHandle, database_url: str) -> AsyncIterator[CatalogStore]:
    pool = await db.create_pool(
        database_url, "catalog", init=functools.partial(init_connection, ef_search=100)
    )
    try:
        yield CatalogStore(pool, 100)
    finally:
        await pool.close()


async def test_the_recognition_index_reads_what_the_recognise_statement_reads(
    catalog: CatalogHandle, store: CatalogStore
) -> None:
    await apply(catalog, "s1", [*WORLD, KITCHEN], [*SERVICES, C.DiscoveredService(name="kitchen")])
    index = await store.recognition()
    assert index is not None
    for question in [*QUESTIONS, "Checkout vs PAYMENT 500s and 200s", "cache-checkout le 0.1"]:
        terms = question_terms(question)
        for service in ("", "checkout", "kitchen", "prometheus"):
            read = await store.recognise(terms, service)
            known = index.recognise(terms, service, has_examples=False)
            assert known.catalog_version == read.catalog_version
            assert known.services == read.services
            # The statement sorts hits by value only.
            assert sorted(known.label_hits, key=repr) == sorted(read.label_hits, key=repr)
            assert [h.value for h in known.label_hits] == [h.value for h in read.label_hits]


async def test_the_vector_index_reads_what_the_nearest_statement_reads(
    catalog: CatalogHandle, store: CatalogStore, embedder: Embedder
) -> None:
    await apply(catalog, "s1", [*WORLD, KITCHEN], [*SERVICES, C.DiscoveredService(name="kitchen")])
    await complete(catalog, "s1")
    version = await store.version()
    index = await store.vector_index(version, embedder.model_id)
    assert index is not None
    assert index.version == version
    assert len(index) == len(WORLD) + 1
    vectors = embedder.embed([*QUESTIONS, *MORE])
    for service in ("", "checkout", "kitchen", "nobody"):
        for limit in (1, 3, 100):
            held = index.nearest(vectors, service, limit)
            read = await store.nearest(vectors, service, limit, embedder.model_id)
            assert held.ranked == read.ranked
            assert held.facts == read.facts


async def test_vectors_of_another_model_are_never_compared(
    catalog: CatalogHandle, store: CatalogStore, embedder: Embedder
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    version = await store.version()
    vectors = embedder.embed(QUESTIONS)
    assert (await store.nearest(vectors, "", 5, embedder.model_id)).facts
    other = f"{embedder.model_id}-int4"
    index = await store.vector_index(version, other)
    assert index is not None
    assert len(index) == 0
    assert index.nearest(vectors, "", 5).ranked == [[] for _ in QUESTIONS]
    assert (await store.nearest(vectors, "", 5, other)).ranked == [[] for _ in QUESTIONS]
    index = await store.vector_index(version, embedder.model_id)
    assert index is not None
    assert len(index) == len(WORLD)


async def test_a_catalog_too_large_to_hold_is_recognised_and_searched_by_the_database(
    catalog: CatalogHandle, store: CatalogStore, database_url: str, embedder: Embedder
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    pool = await db.create_pool(
        database_url, "catalog", init=functools.partial(init_connection, ef_search=100)
    )
    try:
        small = CatalogStore(pool, 100, max_recognised_values=3, max_vector_metrics=3)
        assert await small.recognition() is None
        model = embedder.model_id
        assert await small.vector_index(await small.version(), model) is None
        assert await store.vector_index(await store.version(), model) is not None
        grounded = [
            await Catalog(s, embedder).ground(q, "", 3, MORE, ExampleQuery(q, 2, 0.3))
            for q in QUESTIONS
            for s in (small, store)
        ]
    finally:
        await pool.close()
    assert grounded[0::2] == grounded[1::2]
    assert any(found.label_matches for found, _ in grounded)


async def test_metric_embeddings_are_kept_in_their_rows(
    catalog: CatalogHandle, store: CatalogStore, database_url: str
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    pool = await db.create_pool(database_url, "catalog")
    try:
        storage = await pool.fetchval(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'catalog.metrics'::regclass AND attname = 'embedding'"
        )
        # A row of WORLD is past TOAST's 2 kB target with its vector: out of line
        # (pgvector's default) it would take a chunk of the TOAST table.
        toast = await pool.fetchval(
            "SELECT reltoastrelid::regclass::text FROM pg_class"
            " WHERE oid = 'catalog.metrics'::regclass"
        )
        chunks = await pool.fetchval(f"SELECT count(*) FROM {toast}")
        row_size = await pool.fetchval("SELECT max(pg_column_size(m.*)) FROM metrics m")
    finally:
        await pool.close()
    assert storage == b"p"
    assert row_size > 2032
    assert chunks == 0


async def test_records_read_for_a_search_are_the_metrics_as_listed(
    catalog: CatalogHandle, store: CatalogStore
) -> None:
    await apply(catalog, "s1", [*WORLD, KITCHEN], SERVICES)
    ids = [r["id"] for r in await store._pool.fetch("SELECT id FROM metrics")]
    for _ in range(2):  # the second time, every metric's labels are known
        found = await store.metrics_by_id(ids)
        assert len(found) == len(ids)
        for record in found.values():
            assert record == await store.get_metric(record.name)


async def test_remembered_records_are_the_versions_and_searches_read_them_fresh(
    catalog: CatalogHandle, store: CatalogStore, embedder: Embedder
) -> None:
    await apply(catalog, "s1", WORLD, SERVICES)
    await complete(catalog, "s1")
    version = await store.version()
    (vector,) = embedder.embed(QUESTIONS[1:2])
    (ids,) = (await store.nearest([vector], "", 3, embedder.model_id)).ranked
    read_at, records = await store.metrics_by_id_at(ids)
    assert read_at == version
    assert len(records) == 3
    assert records == await store.metrics_by_id(ids)
    assert await store.metrics_by_id_at([]) == (version, {})

    grounds = Catalog(store, embedder)
    first, _ = await grounds.ground(QUESTIONS[1], "", 3, MORE)
    # A scan that sees the same metrics again touches last_seen_at, not the version.
    await apply(catalog, "s2", WORLD, SERVICES)
    assert await store.version() == version
    again, _ = await grounds.ground(QUESTIONS[1], "", 3, MORE)
    assert again == first  # remembered, last_seen_at included
    searched = await grounds.search(QUESTIONS[1], "", 3, MORE)
    assert [r.metric.name for r in searched.results] == [r.metric.name for r in first.results]
    assert all(
        s.metric.last_seen_at > f.metric.last_seen_at
        for s, f in zip(searched.results, first.results, strict=True)
    )
    assert [
        replace(r.metric, last_seen_at=f.metric.last_seen_at)
        for r, f in zip(searched.results, first.results, strict=True)
    ] == [r.metric for r in first.results]
