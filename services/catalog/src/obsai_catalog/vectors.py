"""The nearest metrics to a text's meaning, without asking the database.

`CatalogStore.nearest` asks pgvector's HNSW index for each query vector's nearest
live metrics. `VectorIndex` holds the same live metrics' unit vectors at one catalog
version and answers exactly, in memory: after the model has run, a search need not
wait for another round trip. A catalog of a few thousand metrics is a few MB of
vectors, and one matrix product over them costs less than the round trip it saves.
Whoever uses it checks the catalog's version before trusting the answer
(`Catalog.ground`); a catalog too large to hold is searched by the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from obsai_catalog.candidates import CandidateFacts, Candidates


class VectorIndex:
    """The live metrics' embeddings at one catalog version, one unit vector per row."""

    def __init__(
        self,
        version: int,
        ids: Sequence[int],
        vectors: npt.NDArray[np.float32],
        facts: Sequence[CandidateFacts],
    ) -> None:
        """Row `i` of `vectors` is metric `ids[i]`'s embedding; `facts[i]` what fusion
        needs of it (its label names and services)."""
        if len(ids) != len(vectors) or len(ids) != len(facts):
            raise ValueError("ids, vectors and facts must have one row per metric")
        self.version = version
        self._ids = np.asarray(ids, dtype=np.int64)
        self._vectors = vectors
        self._facts = dict(zip(ids, facts, strict=True))
        rows: dict[str, list[int]] = {}
        for row, fact in enumerate(facts):
            for service in fact.services:
                rows.setdefault(service, []).append(row)
        self._rows_by_service = {s: np.asarray(r, dtype=np.int64) for s, r in rows.items()}

    def __len__(self) -> int:
        return len(self._ids)

    def nearest(self, queries: Sequence[Sequence[float]], service: str, limit: int) -> Candidates:
        """What `CatalogStore.nearest` reads (each query's `limit` nearest metrics of
        `service`, or of all), by exact cosine distance; ties by id."""
        if not queries:
            return Candidates([], {})
        rows = self._rows_by_service.get(service) if service else None
        if service and rows is None:
            return Candidates([[] for _ in queries], {})
        ids = self._ids if rows is None else self._ids[rows]
        vectors = self._vectors if rows is None else self._vectors[rows]
        if len(ids) == 0:
            return Candidates([[] for _ in queries], {})
        scores = vectors @ np.asarray(queries, dtype=np.float32).T
        take = min(limit, len(ids))
        ranked: list[list[int]] = []
        for column in scores.T:
            # Every row as good as the `take`-th best, so a tie at the cut is settled
            # by id below, not by where the partition happened to put it.
            cut = np.partition(column, len(ids) - take)[len(ids) - take]
            best = np.flatnonzero(column >= cut)
            # Highest similarity first; equal scores by id, so an answer never depends
            # on the order rows were read in.
            order = np.lexsort((ids[best], -column[best]))[:take]
            ranked.append([int(i) for i in ids[best][order]])
        found = {i for ids_ in ranked for i in ids_}
        return Candidates(ranked, {i: self._facts[i] for i in found})
