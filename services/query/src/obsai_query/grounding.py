"""Grounding: what the catalog knows that is relevant to one question.

Candidate metrics (type, help, unit, label names and sample label values — never
metric values), the services and label values the question names, and verified
examples of similar questions. Engines write PromQL only from this; the
validator checks their answer against the catalog again.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from obsai_query.catalog_client import (
    CatalogClient,
    Example,
    LabelMatch,
    MetricInfo,
)
from obsai_query.time_range import TimeWindow

# Label values too generic to be taken as a filter when they appear in a question.
_MIN_VALUE_LENGTH = 2
# SearchMetricsRequest.more_texts takes at most 8 (catalog.proto); the catalog
# refuses more, and a question naming many outcomes ("hits, misses, errors …")
# can expand to more.
MAX_MORE_TEXTS = 8


@dataclass(frozen=True, slots=True)
class Grounding:
    question: str
    window: TimeWindow
    metrics: tuple[MetricInfo, ...] = ()
    services: tuple[str, ...] = ()
    label_matches: tuple[LabelMatch, ...] = ()
    examples: tuple[Example, ...] = ()
    default_rate_window: str = "5m"
    scrape_interval_seconds: float = 15.0
    _by_name: dict[str, MetricInfo] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update((m.name, m) for m in self.metrics)

    def metric(self, name: str) -> MetricInfo | None:
        return self._by_name.get(name)

    @property
    def by_name(self) -> Mapping[str, MetricInfo]:
        return self._by_name


@functools.lru_cache(maxsize=16384)
def _value_pattern(value: str) -> tuple[str, re.Pattern[str]] | None:
    """A label value as the question would contain it, and the pattern that finds it
    as a whole word; None for values too generic to be taken as a filter."""
    # Thousands of sampled label values overflow re's own 512-entry cache.
    if len(value) < _MIN_VALUE_LENGTH or value.replace(".", "").isdigit():
        return None
    folded = value.casefold()
    return folded, re.compile(r"(?<![\w-])" + re.escape(folded) + r"(?![\w-])")


def label_values_in(question: str, metrics: tuple[MetricInfo, ...]) -> list[LabelMatch]:
    """Label values of the candidate metrics that the question names word for word."""
    text = question.casefold()
    found: list[LabelMatch] = []
    seen: set[tuple[str, str, str]] = set()
    for metric in metrics:
        for label, values in metric.labels.items():
            if label.startswith("__") or label == "le":
                continue
            for value in values:
                known = _value_pattern(value)
                # A substring test first: most values are nowhere in the question.
                if known is None or known[0] not in text:
                    continue
                key = (label, value, metric.name)
                if key not in seen and known[1].search(text):
                    seen.add(key)
                    found.append(LabelMatch(label, value, metric.name))
    return found


class Grounder:
    def __init__(
        self,
        catalog: CatalogClient,
        *,
        metrics: int = 25,
        examples: int = 3,
        example_min_similarity: float = 0.75,
        default_rate_window: str = "5m",
        scrape_interval_seconds: float = 15.0,
        expand: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self._catalog = catalog
        # Extra search texts for a question (the vocabulary's words for what it
        # measures), so a terse question still finds the metrics it means.
        self._expand = expand
        self._k = metrics
        self._examples = examples
        self._min_similarity = example_min_similarity
        self._rate_window = default_rate_window
        self._scrape_interval = scrape_interval_seconds

    async def ground(self, question: str, window: TimeWindow) -> Grounding:
        # One call: the catalog searches every text, merges their results and
        # finds the examples, embedding all the texts together.
        more = (
            [t for t in dict.fromkeys(self._expand(question)) if t != question][:MAX_MORE_TEXTS]
            if self._expand
            else []
        )
        found = await self._catalog.ground(
            question, self._k, more, self._examples, self._min_similarity
        )
        result, examples = found.search, found.examples
        matches = list(result.label_matches)
        known = {(m.label, m.value, m.metric) for m in matches}
        matches += [
            m
            for m in label_values_in(question, result.metrics)
            if (m.label, m.value, m.metric) not in known
        ]
        return Grounding(
            question=question,
            window=window,
            metrics=result.metrics,
            services=result.services,
            label_matches=tuple(matches),
            examples=examples,
            default_rate_window=self._rate_window,
            scrape_interval_seconds=self._scrape_interval,
        )
