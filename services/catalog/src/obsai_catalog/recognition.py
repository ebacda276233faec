"""What a question's words name — services and sampled label values — without asking the database.

`CatalogStore.recognise` compares a question's terms with `lower(name)` of the live
services and `lower(value)` of the live metrics' sampled label values in one
statement. `RecognitionIndex` holds the same rows at one catalog version, read in
one statement (keys lowered by PostgreSQL itself, rows in its sort order), and
answers the same question in memory: a search need not wait for a round trip
before its texts go to the model. Whoever uses it checks the catalog's version
before trusting the answer (`Catalog.ground`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceHit:
    name: str
    # lower(name), as PostgreSQL lowers it: the question term it matched.
    key: str


@dataclass(frozen=True, slots=True)
class LabelHit:
    metric_id: int
    label: str
    value: str
    # lower(value), as PostgreSQL lowers it: the question term it matched.
    key: str


@dataclass(frozen=True, slots=True)
class Recognised:
    """What a question's terms name, and the catalog version they were read at.

    `has_examples`: whether any example was remembered with the embedding key the
    caller asked about (False when it asked about none)."""

    services: list[ServiceHit]
    label_hits: list[LabelHit]
    catalog_version: int
    has_examples: bool = False


class RecognitionIndex:
    """The live services and sampled label values at one catalog version, by key."""

    def __init__(
        self,
        version: int,
        services: Iterable[ServiceHit],
        label_values: Iterable[LabelHit],
        metric_services: Mapping[int, Sequence[str]],
    ) -> None:
        """`services` and `label_values` in the order the database sorts them by name
        and by value; `metric_services`: the services of each live metric."""
        self.version = version
        ordered = list(services)
        self._service_order = {hit: n for n, hit in enumerate(ordered)}
        self._services: dict[str, list[ServiceHit]] = {}
        for hit in ordered:
            self._services.setdefault(hit.key, []).append(hit)
        self._values: dict[str, list[tuple[int, LabelHit]]] = {}
        for position, value in enumerate(label_values):
            self._values.setdefault(value.key, []).append((position, value))
        self._metric_services = {i: frozenset(s) for i, s in metric_services.items()}

    def recognise(self, terms: Iterable[str], service: str, has_examples: bool) -> Recognised:
        """What `CatalogStore.recognise` reads for `terms` (label values of `service`'s
        metrics only, when one is given), at this index's version."""
        asked = set(terms)
        services = sorted(
            (hit for key in asked for hit in self._services.get(key, ())),
            key=self._service_order.__getitem__,
        )
        found = [
            item
            for key in asked
            for item in self._values.get(key, ())
            if not service or service in self._metric_services.get(item[1].metric_id, ())
        ]
        found.sort(key=lambda item: item[0])
        return Recognised(services, [hit for _, hit in found], self.version, has_examples)
