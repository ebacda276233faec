"""The catalog's use cases: validate, describe, embed, store, search.

Plain Python over two collaborators passed in: the `CatalogStore` (PostgreSQL)
and an `Embedder`. Embedding is CPU-bound and runs in a worker thread so the
server keeps answering while a discovery batch is embedded.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from obsai_catalog import pagination
from obsai_catalog.describe import content_hash, describe, text_hash
from obsai_catalog.embedding import Embedder, to_pgvector
from obsai_catalog.records import (
    BatchResult,
    DiscoveredMetric,
    DiscoveredService,
    Example,
    LabelMatch,
    MetricRecord,
    MetricType,
    Page,
    ScanCompletion,
    ScoredMetric,
    SearchResult,
    ServiceRecord,
)
from obsai_catalog.search import (
    ENTITY_LABELS,
    FusionWeights,
    fuse,
    question_terms,
    semantic_text,
    tsquery,
)
from obsai_catalog.store import CatalogStore, PreparedMetric
from obsai_common.errors import InvalidArgument, NotFound

MAX_BATCH_METRICS = 5000
MAX_BATCH_SERVICES = 5000
MAX_LABEL_VALUES = 1000
MAX_NAME_LENGTH = 512
MAX_TEXT_LENGTH = 2000
MAX_PROMQL_LENGTH = 10000
DEFAULT_K = 10
MAX_K = 100
DEFAULT_EXAMPLES = 5
MAX_EXAMPLES = 50

_SPACE = re.compile(r"\s+")
T = TypeVar("T")


def _require(value: str, field: str, limit: int = MAX_NAME_LENGTH) -> str:
    value = value.strip()
    if not value:
        raise InvalidArgument(f"{field} is required", details={"field": field})
    if len(value) > limit:
        raise InvalidArgument(
            f"{field} is longer than {limit} characters", details={"field": field}
        )
    return value


def _k(requested: int, default: int, maximum: int, field: str = "k") -> int:
    if requested < 0:
        raise InvalidArgument(f"{field} must not be negative", details={"field": field})
    return min(requested or default, maximum)


def question_key(question: str) -> str:
    """The dedupe key of a remembered question: case, spacing, end punctuation ignored."""
    return _SPACE.sub(" ", question.lower()).strip().rstrip("?.!").strip()


def validate_metric(metric: DiscoveredMetric) -> DiscoveredMetric:
    _require(metric.name, "metrics.name")
    for label in metric.labels:
        _require(label.name, "metrics.labels.name")
        if len(label.values) > MAX_LABEL_VALUES:
            raise InvalidArgument(
                f"label {label.name} of {metric.name} has more than"
                f" {MAX_LABEL_VALUES} sampled values",
                details={"field": "metrics.labels.values"},
            )
    if metric.series_count < 0:
        raise InvalidArgument("series_count must not be negative")
    return replace(metric, family=metric.family or metric.name)


class Catalog:
    def __init__(
        self,
        store: CatalogStore,
        embedder: Embedder,
        *,
        stale_grace_seconds: int = 7 * 24 * 3600,
        search_candidates: int = 100,
        weights: FusionWeights | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._grace = stale_grace_seconds
        self._candidates = search_candidates
        self._weights = weights or FusionWeights()

    async def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._embedder.embed, list(texts))

    # -- discovery ---------------------------------------------------------------

    async def apply_batch(
        self,
        source: str,
        scan_id: str,
        services: Sequence[DiscoveredService],
        metrics: Sequence[DiscoveredMetric],
    ) -> BatchResult:
        source = _require(source, "source")
        scan_id = _require(scan_id, "scan_id")
        if len(metrics) > MAX_BATCH_METRICS or len(services) > MAX_BATCH_SERVICES:
            raise InvalidArgument(
                f"a batch holds at most {MAX_BATCH_METRICS} metrics and"
                f" {MAX_BATCH_SERVICES} services"
            )
        for service in services:
            _require(service.name, "services.name")
        checked = {m.name: validate_metric(m) for m in metrics}  # last one wins
        described = {name: describe(m) for name, m in checked.items()}
        keys = {
            name: f"{self._embedder.model_id}:{text_hash(text)}" for name, text in described.items()
        }
        stored = await self._store.embedding_keys(list(checked))
        stale = [name for name in checked if stored.get(name) != keys[name]]
        vectors = dict(zip(stale, await self._embed([described[n] for n in stale]), strict=True))
        prepared = [
            PreparedMetric(
                metric=m,
                description=described[name],
                content_hash=content_hash(m),
                embedding_key=keys[name],
                embedding=to_pgvector(vectors[name]) if name in vectors else None,
            )
            for name, m in checked.items()
        ]
        return await self._store.apply_batch(source, scan_id, services, prepared)

    async def complete_scan(
        self, source: str, scan_id: str, grace_seconds: int = 0
    ) -> ScanCompletion:
        source = _require(source, "source")
        scan_id = _require(scan_id, "scan_id")
        if grace_seconds < 0:
            raise InvalidArgument("stale_grace_seconds must not be negative")
        return await self._store.complete_scan(source, scan_id, grace_seconds or self._grace)

    # -- reads -------------------------------------------------------------------

    async def version(self) -> int:
        return await self._store.version()

    async def list_services(
        self, *, namespace: str, include_stale: bool, page_size: int, page_token: str
    ) -> Page[ServiceRecord]:
        size = pagination.page_size(page_size)
        filters = ("services", namespace, include_stale)
        after = pagination.decode_token(page_token, filters)
        items, total = await self._store.list_services(namespace, include_stale, after, size + 1)
        return _page(items, size, total, filters, lambda s: s.name)

    async def get_service(self, name: str) -> ServiceRecord:
        service = await self._store.get_service(_require(name, "name"))
        if service is None:
            raise NotFound(f"service {name!r} is not in the catalog")
        return service

    async def list_metrics(
        self,
        *,
        service: str = "",
        metric_type: MetricType = MetricType.UNSPECIFIED,
        name_prefix: str = "",
        include_stale: bool = False,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[MetricRecord]:
        size = pagination.page_size(page_size)
        filters = ("metrics", service, metric_type.value, name_prefix, include_stale)
        after = pagination.decode_token(page_token, filters)
        items, total = await self._store.list_metrics(
            service=service,
            metric_type=metric_type,
            name_prefix=name_prefix,
            include_stale=include_stale,
            after=after,
            limit=size + 1,
        )
        return _page(items, size, total, filters, lambda m: m.name)

    async def list_service_metrics(
        self, name: str, page_size: int, page_token: str
    ) -> Page[MetricRecord]:
        service = await self.get_service(name)
        return await self.list_metrics(
            service=service.name,
            include_stale=service.stale,
            page_size=page_size,
            page_token=page_token,
        )

    async def get_metric(self, name: str) -> MetricRecord:
        metric = await self._store.get_metric(_require(name, "name"))
        if metric is None:
            raise NotFound(f"metric {name!r} is not in the catalog")
        return metric

    # -- search ------------------------------------------------------------------

    async def search(self, text: str, service: str = "", k: int = 0) -> SearchResult:
        text = _require(text, "text", MAX_TEXT_LENGTH)
        k = _k(k, DEFAULT_K, MAX_K)
        service = service.strip()
        if service:
            await self.get_service(service)
        n = max(self._candidates, k * 3)
        terms = question_terms(text)
        services, label_hits = await self._store.recognise(terms, service)
        entities = {s.lower() for s in services} | {
            h.value.lower() for h in label_hits if h.label in ENTITY_LABELS
        }
        meaning = semantic_text(text, entities)
        (vector,) = await self._embed([meaning])
        query = tsquery(meaning)
        vector_ids, lexical_ids = await asyncio.gather(
            self._store.vector_candidates(to_pgvector(vector), service, n),
            self._store.lexical_candidates(meaning, query, service, n) if query else _none(),
        )
        service_ids = await self._store.metric_ids_of_services(services) if services else set()
        distinct: dict[int, set[tuple[str, str]]] = {}
        for hit in label_hits:
            distinct.setdefault(hit.metric_id, set()).add((hit.label, hit.value.lower()))
        values_per_metric = {mid: len({v for _, v in pairs}) for mid, pairs in distinct.items()}
        label_names = await self._store.label_names({*vector_ids, *lexical_ids})
        asked = set(terms)
        names_per_metric = {
            mid: len(asked & {n.lower() for n in names}) for mid, names in label_names.items()
        }
        fused = fuse(
            vector_ids,
            lexical_ids,
            service_ids,
            values_per_metric,
            self._weights,
            names_per_metric,
        )[:k]
        records = await self._store.metrics_by_id([f.id for f in fused])
        results = [ScoredMetric(records[f.id], f.score, f.matched) for f in fused]
        chosen = {f.id for f in fused}
        matches = sorted(
            {
                LabelMatch(hit.label, hit.value, records[hit.metric_id].name)
                for hit in label_hits
                if hit.metric_id in chosen
            },
            key=lambda m: (m.metric, m.label, m.value),
        )
        return SearchResult(results, services, matches)

    # -- examples ----------------------------------------------------------------

    async def remember_example(self, question: str, promql: str) -> Example:
        question = _require(question, "question", MAX_TEXT_LENGTH)
        promql = _require(promql, "promql", MAX_PROMQL_LENGTH)
        (vector,) = await self._embed([question])
        return await self._store.remember_example(
            question, question_key(question), promql, to_pgvector(vector), self._embedder.model_id
        )

    async def find_similar_examples(
        self, text: str, k: int = 0, min_similarity: float = 0.0
    ) -> list[Example]:
        text = _require(text, "text", MAX_TEXT_LENGTH)
        k = _k(k, DEFAULT_EXAMPLES, MAX_EXAMPLES)
        if not 0.0 <= min_similarity <= 1.0:
            raise InvalidArgument(
                "min_similarity must be between 0 and 1", details={"field": "min_similarity"}
            )
        (vector,) = await self._embed([text])
        return await self._store.similar_examples(
            to_pgvector(vector), self._embedder.model_id, k, min_similarity
        )


async def _none() -> list[int]:
    return []


def _page(
    items: list[T], size: int, total: int, filters: tuple[object, ...], key: Callable[[T], str]
) -> Page[T]:
    """`items` holds up to size + 1 rows: the extra one says another page exists."""
    if len(items) <= size:
        return Page(items, "", total)
    items = items[:size]
    return Page(items, pagination.encode_token(key(items[-1]), filters), total)
