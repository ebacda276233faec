"""A retrieval signal's candidates: each query's metric ids, best first, and what
fusion needs of every candidate (the database's and the in-memory signals alike)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple


class CandidateFacts(NamedTuple):
    """What fusion needs of a candidate besides its ranks (a tuple: hundreds are made
    per search)."""

    label_names: tuple[str, ...]
    services: tuple[str, ...]
    # The label names lower-cased, as fusion compares them with a question's words.
    label_names_lower: frozenset[str] = frozenset()

    @classmethod
    def of(cls, label_names: Sequence[str], services: Sequence[str]) -> CandidateFacts:
        return cls(tuple(label_names), tuple(services), frozenset(n.lower() for n in label_names))


@dataclass(frozen=True, slots=True)
class Candidates:
    """One signal's candidates for several queries: each query's ids, best first,
    and what fusion needs of every candidate."""

    ranked: list[list[int]]
    facts: dict[int, CandidateFacts]

    @classmethod
    def of(cls, rows: Iterable[Sequence[Any]], queries: int) -> Candidates:
        """From rows of (id, label_names, services, texts[], ranks[]) in that order,
        texts 1-based."""
        ranks: list[list[tuple[int, int]]] = [[] for _ in range(queries)]
        facts: dict[int, CandidateFacts] = {}
        of = CandidateFacts.of
        for metric_id, label_names, services, texts, text_ranks in rows:
            facts[metric_id] = of(label_names, services)
            for text, rank in zip(texts, text_ranks, strict=True):
                ranks[text - 1].append((rank, metric_id))
        return cls([[i for _, i in sorted(found)] for found in ranks], facts)
