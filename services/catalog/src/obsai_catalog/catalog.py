"""The catalog's use cases: validate, describe, embed, store, search.

Plain Python over two collaborators passed in: the `CatalogStore` (PostgreSQL)
and an `Embedder`. Embedding is CPU-bound and runs in a worker thread so the
server keeps answering while a discovery batch is embedded.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from obsai_catalog import pagination
from obsai_catalog.candidates import CandidateFacts, Candidates
from obsai_catalog.describe import content_hash, describe, text_hash
from obsai_catalog.embedding import Embedder, to_pgvector
from obsai_catalog.recognition import LabelHit, Recognised, ServiceHit
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
    Fused,
    FusionWeights,
    fuse,
    question_terms,
    semantic_text,
    tsquery,
)
from obsai_catalog.store import (
    CatalogState,
    CatalogStore,
    LexicalQuery,
    PreparedMetric,
)
from obsai_catalog.vectors import VectorIndex
from obsai_common.errors import InvalidArgument, NotFound

MAX_BATCH_METRICS = 5000
MAX_BATCH_SERVICES = 5000
MAX_LABEL_VALUES = 1000
MAX_NAME_LENGTH = 512
MAX_TEXT_LENGTH = 2000
MAX_PROMQL_LENGTH = 10000
DEFAULT_K = 10
MAX_K = 100
MAX_MORE_TEXTS = 8
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
        signal_cache_size: int = 1024,
        record_cache_size: int = 2048,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._grace = stale_grace_seconds
        self._candidates = search_candidates
        self._weights = weights or FusionWeights()
        self._signals = SignalCache(signal_cache_size)
        self._records = RecordCache(record_cache_size)

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

    async def search(
        self, text: str, service: str = "", k: int = 0, more_texts: Sequence[str] = ()
    ) -> SearchResult:
        """Hybrid search for `text` and, in the same round trips, its other phrasings.

        Each text is searched on its own (recognition, meaning, both signals,
        fusion, its best k); the texts' results are then merged, a metric found by
        several listed once with its best score. Services and label matches are
        `text`'s.
        """
        found, _ = await self.ground(text, service, k, more_texts, exact_last_seen=True)
        return found

    async def ground(
        self,
        text: str,
        service: str = "",
        k: int = 0,
        more_texts: Sequence[str] = (),
        examples: ExampleQuery | None = None,
        *,
        exact_last_seen: bool = False,
    ) -> tuple[SearchResult, list[Example]]:
        """`search`, and `find_similar_examples` when `examples` is given, together:
        every text embedded in one run of the model while the database ranks the
        texts' words, then the nearest metrics and the examples read side by side.

        A text searched before at the same catalog version (the vocabulary's search
        words recur across questions) reuses its candidates from both signals; the
        question is embedded for the examples only when there are examples to find.
        The metrics' records read before at the same version are reused too, unless
        `exact_last_seen`: a scan touches `last_seen_at` without moving the version,
        so a remembered record's may be older (grounding does not show it).
        """
        text = _require(text, "text", MAX_TEXT_LENGTH)
        texts = [text, *self._more_texts(text, more_texts)]
        k = _k(k, DEFAULT_K, MAX_K)
        examples = examples.checked() if examples is not None else None
        service = service.strip()
        if service:
            await self.get_service(service)
        n = max(self._candidates, k * 3)
        terms = [question_terms(t) for t in texts]
        asked = [term for words in terms for term in words]
        examples_key = self._embedder.model_id if examples is not None else None
        recognised, check = await self._recognise(asked, service, examples_key)
        found = await self._search(
            texts, terms, service, k, n, examples, recognised, check, exact_last_seen
        )
        if found is None:
            # The catalog changed since the recognition index was read: once more,
            # recognised by the database at the version it reads.
            recognised = await self._store.recognise(asked, service, examples_key)
            found = await self._search(
                texts, terms, service, k, n, examples, recognised, None, exact_last_seen
            )
            assert found is not None
        return found

    async def _recognise(
        self, terms: Sequence[str], service: str, examples_key: str | None
    ) -> tuple[Recognised, asyncio.Future[CatalogState] | None]:
        """What `terms` name: from the in-memory index (at once, with the catalog's
        state read beside it to confirm the index's version), or from the database
        when the catalog is too large to index."""
        index = await self._store.recognition()
        if index is None:
            recognised = await self._store.recognise(terms, service, examples_key)
            if recognised.catalog_version != self._store.recognition_version:
                # Counted again at each new version: the catalog may fit once more.
                await self._store.recognition(recognised.catalog_version)
            return recognised, None
        check = asyncio.ensure_future(self._store.state(examples_key))
        recognised = index.recognise(terms, service, self._store.may_have_examples(examples_key))
        return recognised, check

    async def _search(
        self,
        texts: Sequence[str],
        terms: Sequence[Sequence[str]],
        service: str,
        k: int,
        n: int,
        examples: ExampleQuery | None,
        recognised: Recognised,
        check: asyncio.Future[CatalogState] | None,
        exact_last_seen: bool,
    ) -> tuple[SearchResult, list[Example]] | None:
        """`ground` once recognised; None when `check` shows the recognition was read
        at another catalog version than the catalog's."""
        version = recognised.catalog_version
        readings = [
            _Reading(t, set(words), recognised.services, recognised.label_hits)
            for t, words in zip(texts, terms, strict=True)
        ]
        queries = list(dict.fromkeys(LexicalQuery(r.meaning, r.tsquery) for r in readings))
        meanings = list(dict.fromkeys(r.meaning for r in readings))
        by_query = self._signals.known(version, ("lexical", service, n), queries)
        by_meaning = self._signals.known(version, ("vector", service, n), meanings)
        # The lexical signal needs no embedding: the database ranks words while the
        # model embeds the texts.
        unranked = [q for q in queries if q not in by_query]
        lexical = (
            asyncio.ensure_future(self._store.lexical(unranked, service, n, version))
            if unranked
            else None
        )
        unsearched = [m for m in meanings if m not in by_meaning]
        # The embeddings in memory are read (when the catalog has changed) while the
        # model runs.
        model = self._embedder.model_id
        index = (
            asyncio.ensure_future(self._store.vector_index(version, model)) if unsearched else None
        )
        try:
            wanted = examples if examples is not None and recognised.has_examples else None
            embedded = list(unsearched)
            if wanted is not None:
                embedded.append(wanted.text)
            vectors = await self._vectors(embedded)
            if check is not None:
                state = await check
                if state.version != version:
                    await self._store.recognition(state.version)
                    return None
                if examples is not None and state.has_examples and wanted is None:
                    # The first examples since this process last looked.
                    wanted = examples
                    vectors.update(await self._vectors([wanted.text]))
            nearest = self._nearest([vectors[m] for m in unsearched], service, n, version, index)
            similar: list[Example] = []
            if wanted is None:
                near = await nearest
            else:
                near, similar = await asyncio.gather(
                    nearest, self._similar(vectors[wanted.text], wanted)
                )
            words = await lexical if lexical is not None else None
        finally:
            for task in (lexical, check, index):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        if near is not None:
            by_meaning.update(
                self._signals.remember(version, ("vector", service, n), near, unsearched)
            )
        if words is not None:
            by_query.update(
                self._signals.remember(version, ("lexical", service, n), words, unranked)
            )
        facts: dict[int, CandidateFacts] = {}
        for ranked in (*by_meaning.values(), *by_query.values()):
            facts.update(ranked.facts)
        fused = [
            r.fuse(
                by_meaning[r.meaning].ids,
                by_query[LexicalQuery(r.meaning, r.tsquery)].ids,
                facts,
                self._weights,
            )[:k]
            for r in readings
        ]
        best = fused[0] if len(fused) == 1 else _merged(fused)
        ids = [f.id for f in best]
        records = (
            await self._store.metrics_by_id(ids)
            if exact_last_seen
            else await self._remembered_records(ids, version)
        )
        # A metric dropped by a scan since its candidates were read is left out.
        best = [f for f in best if f.id in records]
        if len(fused) > 1:
            # Several texts: ties are broken by name, as a reader would sort them.
            best.sort(key=lambda f: (-f.score, records[f.id].name))
        chosen = {f.id for f in fused[0]}
        first = readings[0]
        matches = sorted(
            {
                LabelMatch(hit.label, hit.value, records[hit.metric_id].name)
                for hit in first.label_hits
                if hit.metric_id in chosen and hit.metric_id in records
            },
            key=lambda m: (m.metric, m.label, m.value),
        )
        result = SearchResult(
            [ScoredMetric(records[f.id], f.score, f.matched) for f in best],
            [s.name for s in first.services],
            matches,
        )
        return result, similar

    async def _remembered_records(
        self, ids: Sequence[int], version: int
    ) -> dict[int, MetricRecord]:
        """The records of `ids` at catalog `version`: those read before at it from
        memory, the others from the database (kept if read at `version`)."""
        records = self._records.known(version, ids)
        missing = [i for i in ids if i not in records]
        if missing:
            read_at, fetched = await self._store.metrics_by_id_at(missing)
            if read_at == version:
                self._records.remember(version, fetched)
            records.update(fetched)
        return records

    async def _vectors(self, texts: Sequence[str]) -> dict[str, list[float]]:
        unique = list(dict.fromkeys(texts))
        return dict(zip(unique, await self._embed(unique), strict=True)) if unique else {}

    async def _nearest(
        self,
        vectors: Sequence[Sequence[float]],
        service: str,
        n: int,
        version: int,
        index: asyncio.Future[VectorIndex | None] | None,
    ) -> Candidates | None:
        """The nearest metrics from memory when the index is at the search's catalog
        `version`, else from pgvector."""
        if not vectors:
            return None
        held = await index if index is not None else None
        if held is not None and held.version == version:
            return held.nearest(vectors, service, n)
        return await self._store.nearest(vectors, service, n, self._embedder.model_id)

    @staticmethod
    def _more_texts(text: str, more_texts: Sequence[str]) -> list[str]:
        if len(more_texts) > MAX_MORE_TEXTS:
            raise InvalidArgument(
                f"at most {MAX_MORE_TEXTS} more texts", details={"field": "more_texts"}
            )
        others = [_require(t, "more_texts", MAX_TEXT_LENGTH) for t in more_texts]
        return [t for t in dict.fromkeys(others) if t != text]

    # -- examples ----------------------------------------------------------------

    async def remember_example(self, question: str, promql: str) -> Example:
        question = _require(question, "question", MAX_TEXT_LENGTH)
        promql = _require(promql, "promql", MAX_PROMQL_LENGTH)
        (vector,) = await self._embed([question])
        return await self._store.remember_example(
            question, question_key(question), promql, vector, self._embedder.model_id
        )

    async def find_similar_examples(
        self, text: str, k: int = 0, min_similarity: float = 0.0
    ) -> list[Example]:
        query = ExampleQuery(text, k, min_similarity).checked()
        (vector,) = await self._embed([query.text])
        return await self._similar(vector, query)

    async def _similar(self, vector: Sequence[float], query: ExampleQuery) -> list[Example]:
        return await self._store.similar_examples(
            vector, self._embedder.model_id, query.k, query.min_similarity
        )


@dataclass(frozen=True, slots=True)
class ExampleQuery:
    """Which remembered examples to find: the `k` most similar to `text`, at least
    `min_similarity` (cosine) alike; k 0 means the default."""

    text: str
    k: int = 0
    min_similarity: float = 0.0

    def checked(self) -> ExampleQuery:
        text = _require(self.text, "text", MAX_TEXT_LENGTH)
        k = _k(self.k, DEFAULT_EXAMPLES, MAX_EXAMPLES)
        if not 0.0 <= self.min_similarity <= 1.0:
            raise InvalidArgument(
                "min_similarity must be between 0 and 1", details={"field": "min_similarity"}
            )
        return ExampleQuery(text, k, self.min_similarity)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One text's candidates from one signal: ids, best first, and their facts."""

    ids: list[int]
    facts: dict[int, CandidateFacts]


Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class VersionedLru(Generic[Key, Value]):
    """Values as read at one catalog version, the least recently used dropped first
    beyond `size`; a newer version empties it (an older one is not kept)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._version = -1
        self._items: OrderedDict[Key, Value] = OrderedDict()

    def known(self, version: int, keys: Iterable[Key]) -> dict[Key, Value]:
        """The remembered values of those of `keys` read at `version`."""
        found: dict[Key, Value] = {}
        if version != self._version:
            return found
        items = self._items
        for key in keys:
            value = items.get(key)
            if value is not None:
                items.move_to_end(key)
                found[key] = value
        return found

    def remember(self, version: int, values: Mapping[Key, Value]) -> None:
        """Keeps `values`, read at `version`, if it is the newest version seen."""
        if version > self._version:
            self._items.clear()
            self._version = version
        if version != self._version or self._size <= 0:
            return
        self._items.update(values)
        for key in values:
            self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class SignalCache:
    """Each search text's candidates from each signal, at one catalog version.

    The same text, service and candidate count at the same catalog version get the
    same candidates, so a recurring text (the vocabulary's search words recur
    across questions) is ranked by the database once per version. Bounded: the
    least recently used go first; a new version empties it.
    """

    def __init__(self, size: int) -> None:
        self._items: VersionedLru[tuple[Hashable, Hashable], Ranked] = VersionedLru(size)

    def known(self, version: int, signal: Hashable, keys: Sequence[Key]) -> dict[Key, Ranked]:
        """The cached candidates of those of `keys` seen at `version`."""
        found = self._items.known(version, ((signal, key) for key in keys))
        return {key: found[(signal, key)] for key in keys if (signal, key) in found}

    def remember(
        self, version: int, signal: Hashable, found: Candidates, keys: Sequence[Key]
    ) -> dict[Key, Ranked]:
        """`found` split by text (`keys`, in its queries' order), kept if `version`
        is the newest seen."""
        ranked = {
            key: Ranked(ids, {i: found.facts[i] for i in ids})
            for key, ids in zip(keys, found.ranked, strict=True)
        }
        self._items.remember(version, {(signal, key): item for key, item in ranked.items()})
        return ranked


class RecordCache(VersionedLru[int, MetricRecord]):
    """Metric records by id, as read at one catalog version.

    Everything a record holds moves the catalog's version when it changes, except
    `last_seen_at` (a scan touches it on every metric it sees again), so a record
    read at a version stands for that version's, that one field aside. Bounded:
    the least recently used go first; a newer version empties it.
    """


class _Reading:
    """One search text as the search reads it: the services and label values it
    names, what it asks about (`meaning`) and its full-text query."""

    def __init__(
        self,
        text: str,
        asked: set[str],
        services: Sequence[ServiceHit],
        label_hits: Sequence[LabelHit],
    ) -> None:
        self.asked = asked
        self.services = [s for s in services if s.key in asked]
        self.label_hits = [h for h in label_hits if h.key in asked]
        entities = {s.name.lower() for s in self.services} | {
            h.value.lower() for h in self.label_hits if h.label in ENTITY_LABELS
        }
        self.meaning = semantic_text(text, entities)
        self.tsquery = tsquery(self.meaning)

    def fuse(
        self,
        vector: Sequence[int],
        lexical: Sequence[int],
        facts: Mapping[int, CandidateFacts],
        weights: FusionWeights,
    ) -> list[Fused]:
        named = {s.name for s in self.services}
        candidates = {*vector, *lexical}
        service_ids = (
            {i for i in candidates if not named.isdisjoint(facts[i].services)} if named else set()
        )
        distinct: dict[int, set[str]] = {}
        for hit in self.label_hits:
            distinct.setdefault(hit.metric_id, set()).add(hit.value.lower())
        values_per_metric = {mid: len(values) for mid, values in distinct.items()}
        asked = self.asked
        names_per_metric = {
            i: len(asked.intersection(facts[i].label_names_lower)) for i in candidates
        }
        return fuse(
            vector,
            lexical,
            service_ids,
            values_per_metric,
            weights,
            names_per_metric,
        )


def _merged(fused: Sequence[Sequence[Fused]]) -> list[Fused]:
    """Several texts' results as one list, each metric with its best score."""
    best: dict[int, Fused] = {}
    for results in fused:
        for item in results:
            if item.id not in best or item.score > best[item.id].score:
                best[item.id] = item
    return list(best.values())


def _page(
    items: list[T], size: int, total: int, filters: tuple[object, ...], key: Callable[[T], str]
) -> Page[T]:
    """`items` holds up to size + 1 rows: the extra one says another page exists."""
    if len(items) <= size:
        return Page(items, "", total)
    items = items[:size]
    return Page(items, pagination.encode_token(key(items[-1]), filters), total)
