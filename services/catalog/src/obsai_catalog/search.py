"""Hybrid retrieval, the pure parts: reading a question, and fusing ranked lists.

`SearchMetrics` takes candidates from two independent signals — the question's
embedding against metric descriptions (vector), and its words against names
and help (full-text + trigram, lexical) — and fuses their ranks with reciprocal
rank fusion: score = Σ w / (K + rank). Metrics of a service the question names,
or carrying a label value it names ("payment", "production", "503"), get a
boost on top, sized to lift a metric a few places among the relevant ones, not
to pull in an unrelated one (boosts apply only to candidates of a signal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from obsai_catalog.describe import ABBREVIATIONS

# Words of a question split on anything but letters, digits and the characters
# that appear inside label values and service names.
_TERM_SPLIT = re.compile(r"[^\w\-./:]+")
_WORD = re.compile(r"[a-z0-9]+")
_TRIM = ".-/:_"
MAX_NGRAM = 3


# Labels whose values name *things* (a service, a pod, a namespace), not what is
# measured: a question naming one is filtered by it, and its words are no
# evidence about which metric is meant.
ENTITY_LABELS = frozenset(
    {
        "service",
        "job",
        "app",
        "application",
        "container",
        "namespace",
        "pod",
        "instance",
        "environment",
        "env",
        "cluster",
        "node",
        "host",
        "deployment",
        "statefulset",
        "region",
        "zone",
        "tenant",
    }
)

# Time ranges say when, never what: "over the last hour", "in the past 5 minutes".
_TIME_PHRASES = re.compile(
    r"\b(?:(?:over|in|during|for|within|from)\s+)?(?:the\s+)?(?:last|past|previous|next)\s+"
    r"(?:\d+(?:\.\d+)?\s*|few\s+|couple\s+of\s+)?"
    r"(?:seconds?|minutes?|mins?|hours?|days?|weeks?|months?|[smhdw])\b"
    r"|\b(?:right\s+now|currently|today|yesterday)\b"
    r"|\b(?:over|in|during|for|within)\s+\d+\s*(?:[smhdw]|mins?|minutes?|hours?|days?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FusionWeights:
    rrf_k: float = 10.0
    vector: float = 1.0
    lexical: float = 0.7
    service: float = 0.12
    label_value: float = 0.03
    label_name: float = 0.02


@dataclass(frozen=True, slots=True)
class Fused:
    id: int
    score: float
    matched: tuple[str, ...]


def _normal(word: str) -> str:
    word = word.lower().strip(_TRIM)
    return word.removesuffix("'s").removesuffix("\u2019s")


def semantic_text(text: str, entities: set[str]) -> str:
    """The question without the entities it names and without time ranges.

    "p95 latency of checkout over the last hour" asks about latency; checkout is
    a filter (a boost), the hour a range. Left in, both pull the embedding and
    the words toward metrics that merely mention them. The text is returned
    unchanged if nothing would be left.
    """
    words = text.split()
    keep = [True] * len(words)
    normal = [_normal(w) for w in words]
    for n in range(MAX_NGRAM, 0, -1):
        for i in range(len(words) - n + 1):
            gram = normal[i : i + n]
            joined = {joiner.join(gram) for joiner in ("-", "_", "")}
            if n == 1 and len(gram[0]) > 3 and gram[0].endswith("s"):
                joined.add(gram[0][:-1])
            if joined & entities and all(keep[i : i + n]):
                keep[i : i + n] = [False] * n
    stripped = " ".join(w for w, k in zip(words, keep, strict=True) if k)
    stripped = " ".join(_TIME_PHRASES.sub(" ", stripped).split())
    return stripped if _WORD.search(stripped.lower()) else text


def question_terms(text: str) -> list[str]:
    """Lower-cased words and 2 and 3 word n-grams joined as names are ("api-gateway").

    These are compared exactly with service names and sampled label values.
    """
    words = []
    terms: set[str] = set()
    for raw in _TERM_SPLIT.split(text.lower()):
        word = raw.strip(_TRIM)
        word = word.removesuffix("'s").removesuffix("\u2019s")
        if word:
            words.append(word)
        if raw.startswith("/") and len(raw) > 1:
            terms.add(raw.rstrip(_TRIM))  # a path, as endpoint labels hold it
    for i, word in enumerate(words):
        terms.add(word)
        if len(word) > 3 and word.endswith("s"):
            terms.add(word[:-1])  # "payments" names the payment service
        for n in range(2, MAX_NGRAM + 1):
            gram = words[i : i + n]
            if len(gram) == n:
                for joiner in ("-", "_", ""):
                    terms.add(joiner.join(gram))
    return sorted(terms)


def tsquery(text: str) -> str:
    """An OR of the question's words for `to_tsquery('english', ...)`; '' when none.

    Only [a-z0-9] words reach the query, so it can't be malformed; abbreviations
    are spelled out as they are in descriptions.
    """
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 2:
            continue
        words.append(word)
        words.extend(_WORD.findall(ABBREVIATIONS.get(word, "")))
    unique = list(dict.fromkeys(words))
    return " | ".join(unique)


def fuse(
    vector: Sequence[int],
    lexical: Sequence[int],
    service_hits: Iterable[int],
    label_hits: Mapping[int, int],
    weights: FusionWeights | None = None,
    label_name_hits: Mapping[int, int] | None = None,
) -> list[Fused]:
    """Reciprocal rank fusion of two ranked id lists, with boosts; best first.

    `label_hits` maps a metric id to how many distinct label values of the
    question it carries; the boost grows with it, with diminishing returns.
    `label_name_hits` counts the question's words that are label names of the
    metric ("which *service*", "per *pod*", "by *status*"): what to group by.
    """
    weights = weights or FusionWeights()
    scores: dict[int, float] = {}
    matched: dict[int, list[str]] = {}
    for name, ranked, weight in (
        ("vector", vector, weights.vector),
        ("lexical", lexical, weights.lexical),
    ):
        for rank, item in enumerate(ranked, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (weights.rrf_k + rank)
            matched.setdefault(item, []).append(name)
    for item in set(service_hits):
        if item in scores:
            scores[item] += weights.service
            matched[item].append("service")
    for item, count in label_hits.items():
        if item in scores and count > 0:
            scores[item] += weights.label_value * (1.0 + 0.5 * (min(count, 3) - 1))
            matched[item].append("label_value")
    for item, count in (label_name_hits or {}).items():
        if item in scores and count > 0:
            scores[item] += weights.label_name * min(count, 2)
            matched[item].append("label_name")
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return [Fused(i, scores[i], tuple(matched[i])) for i in order]
