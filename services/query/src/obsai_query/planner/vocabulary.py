"""The glossary (glossary.yaml), loaded, and the text handling every stage shares.

Questions and metric names are compared as *words*: lower-case, singular, with
metric names split on "_" and camelCase (``node_memory_MemAvailable_bytes`` →
node, memory, mem, available, avail, byte) and their short forms spelt out from
the glossary's abbreviations.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NAME_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


# Singular English words that end in -us (the rest of "-us" words are plurals: cpus).
_SINGULAR_US = frozenset({"status", "bus", "virus", "corpus", "campus", "nexus", "consensus"})


@functools.cache
def stem(word: str) -> str:
    """A light, consistent singular: requests → request, processes → process, keys → key."""
    w = word.lower()
    if len(w) <= 3 or w.endswith(("ss", "is")) or w in _SINGULAR_US:
        return w
    if w.endswith("ies") and len(w) > 4 and w != "series":
        return w[:-3] + "y"
    if w.endswith(("sses", "xes", "ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("series"):
        return w[:-1]
    return w


def words(text: str) -> list[str]:
    """The stemmed words of a text, in order (underscores split words)."""
    return [stem(w) for w in _WORD.findall(text.lower().replace("_", " "))]


@functools.lru_cache(maxsize=32768)
def split_name(name: str) -> tuple[str, ...]:
    """A metric or label name's words: underscores and camelCase split, lower-case, stemmed."""
    parts: list[str] = []
    for chunk in name.split("_"):
        pieces = _NAME_PART.findall(chunk) or [chunk]
        parts.extend(stem(p.lower()) for p in pieces if p)
    return tuple(p for p in parts if p)


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as a regex over lower-case text: whole words, plural tolerant, any spacing."""
    tokens = [re.escape(w) for w in phrase.lower().split()]
    body = r"\s+".join(tokens)
    if re.match(r"\w", phrase):
        body = r"(?<![\w])" + body
    if re.search(r"\w$", phrase):
        body = body + r"(?:s|es)?(?![\w])"
    return re.compile(body)


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    say: tuple[re.Pattern[str], ...]
    metric_words: frozenset[str]
    prefer: str = ""
    aggregate: str = "sum"
    unit: str = ""
    # The qualifier meant when none is said ("memory" is the memory in use).
    implies: str = ""
    # Each sample of its series is one of these events (a scrape writes one): "how many
    # times … in the last minute" counts the samples.
    sampled: bool = False
    # Words after it before the other party ("sent to its clients"): no measure there.
    counterpart: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Qualifier:
    name: str
    say: tuple[re.Pattern[str], ...]
    metric_words: frozenset[str]
    unasked: float = 0.0
    # How much a metric naming it counts when the question asks for it (a plain word: 1).
    weight: float = 0.8


@dataclass(frozen=True)
class Vocabulary:
    measures: tuple[Measure, ...]
    qualifiers: Mapping[str, Qualifier]
    operations: Mapping[str, tuple[re.Pattern[str], ...]]
    # Role → the words of names that have it, most telling first.
    pairs: Mapping[str, tuple[str, ...]]
    complements: Mapping[str, tuple[str, ...]]
    idle_values: frozenset[str]
    synonyms: Mapping[str, tuple[str, ...]]
    abbreviations: Mapping[str, tuple[str, ...]]
    series_words: frozenset[str]
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    status_classes: Mapping[str, tuple[tuple[re.Pattern[str], ...], str]]
    status_labels: tuple[str, ...]
    label_synonyms: Mapping[str, tuple[str, ...]]
    identity_labels: Mapping[str, tuple[str, ...]]
    value_phrases: tuple[tuple[re.Pattern[str], Mapping[str, str]], ...]
    filter_label_priority: tuple[str, ...]
    subject_labels: tuple[str, ...]
    common_words: frozenset[str]
    units: Mapping[str, tuple[str, float]]
    defaults: Mapping[str, Any]
    status_code: re.Pattern[str] = re.compile(r"(?!)")
    # Words of counter names that only say "events happened" ("reads completed").
    event_words: tuple[str, ...] = ()
    occurrence_words: tuple[str, ...] = ()
    run_target_words: frozenset[str] = frozenset()
    range_ends: tuple[tuple[str, str], ...] = ()
    # "probe times": words that, after a run's measure, ask how long a run takes (measure).
    run_time_words: frozenset[str] = frozenset()
    run_time_measure: str = ""
    # A name word of what is left after a stage ("post"), and words asking what it dropped.
    after_stage_words: frozenset[str] = frozenset()
    loss_words: frozenset[str] = frozenset()
    # Words of counter names that are the parts of one whole (user/system CPU seconds,
    # commits/rollbacks): each part is a set of words that name it.
    parts: tuple[tuple[frozenset[str], ...], ...] = ()
    # Words of the operations' phrases ("per", "rate", "top" …): never a measure or value.
    operation_words: frozenset[str] = frozenset()
    # Words of a unitless gauge's name or help that say its value is an amount of data
    # ("body length", "memory used by client buffers"): asked in KB or MB, it is bytes.
    byte_words: frozenset[str] = frozenset({"size", "length", "byte"})
    percent_words: frozenset[str] = frozenset()
    # The words of what is measured: what misspellings are corrected towards.
    known_words: frozenset[str] = field(default_factory=frozenset)
    _synonym_patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()
    _cache: dict[tuple[str, str], frozenset[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    # --- reading text

    def rewrite(self, text: str) -> str:
        for pattern, replacement in self.rewrites:
            text = pattern.sub(replacement, text)
        # "commits/s", "packets/sec": things counted per second (a unit's "Mbits/s" is not).
        return _THINGS_PER_SECOND.sub(_per_second, text)

    def says(self, operation: str, text: str) -> bool:
        return any(p.search(text) for p in self.operations.get(operation, ()))

    def where(self, operation: str, text: str) -> list[tuple[int, int]]:
        """Spans of the text where the operation's phrases are said."""
        return [m.span() for p in self.operations.get(operation, ()) for m in p.finditer(text)]

    def synonyms_in(self, text: str) -> list[tuple[tuple[int, int], tuple[str, ...]]]:
        """(span, metric words) of the glossary's synonyms said in the text."""
        return [(m.span(), words) for p, words in self._synonym_patterns for m in p.finditer(text)]

    @functools.cached_property
    def metric_vocabulary(self) -> frozenset[str]:
        return frozenset().union(*(m.metric_words for m in self.measures))

    def word_forms(self, word: str) -> frozenset[str]:
        """A word of a name and what it stands for: its short form spelt out, its plain form
        ("appended" → append), the words run together in it ("numbackends" → num, backend)."""
        key = ("word", word)
        found = self._cache.get(key)
        if found is None:
            forms = {word, *self.abbreviations.get(word, ())}
            forms.update(inflections(word))
            if len(word) >= 6 and word not in self.word_list:
                forms.update(self._segments(word))
            found = frozenset(forms)
            self._cache[key] = found
        return found

    def memo(self, key: tuple[str, str], make: Callable[[], frozenset[str]]) -> frozenset[str]:
        """`make()` once per key: words derived from a name, kept for the next question."""
        found = self._cache.get(key)
        if found is None:
            found = make()
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def abbreviated(self, word: str, asked: frozenset[str]) -> frozenset[str]:
        """The question's words that a word of a metric name shortens or runs together
        ("retrans" → retransmitted, "segs" → segments, "pgmajfault" → page, major, fault,
        "shmem" → shared, memory); empty when it is none of them."""
        return frozenset(_abbreviated(word, asked, self.word_list, self.abbreviations))

    def _segments(self, word: str) -> list[str]:
        for cut in range(2, len(word) - 2):
            head, tail = word[:cut], stem(word[cut:])
            if (head in self.word_list or head in self.abbreviations) and tail in self.word_list:
                return [head, tail, *self.abbreviations.get(head, ())]
        return []

    @functools.cached_property
    def word_list(self) -> frozenset[str]:
        """Words the glossary knows in any role: the vocabulary of splitting run-together names."""
        found = set(self.known_words) | set(self.metric_vocabulary) | set(self.common_words)
        for qualifier in self.qualifiers.values():
            found |= qualifier.metric_words
        for roles in self.pairs.values():
            found.update(roles)
        for values in self.synonyms.values():
            found.update(values)
        found.update(w for values in self.abbreviations.values() for w in values)
        return frozenset(w for w in found if len(w) >= 2)

    @functools.cached_property
    def phrase_words(self) -> frozenset[str]:
        """Every word of the operations' phrases ("how close", "time since"): words to read
        as they are, never as misspellings of others."""
        found: set[str] = set()
        for patterns in self.operations.values():
            for pattern in patterns:
                found.update(re.findall(r"[a-z]{3,}", pattern.pattern.replace(r"\b", " ")))
        return frozenset(found)

    @functools.cached_property
    def short_words(self) -> frozenset[str]:
        """Known words of two letters: what joins the pieces of run-together names ("inuse")."""
        return frozenset(w for w in self.word_list if len(w) == 2)

    @functools.cached_property
    def measure_say_words(self) -> frozenset[str]:
        """Every word the measures are said with ("memory", "scrape", "probes" …)."""
        found: set[str] = set()
        for measure in self.measures:
            for pattern in measure.say:
                found.update(stem(w) for w in re.findall(r"[a-z]+", pattern.pattern))
        return frozenset(w for w in found if len(w) > 2)

    @functools.cached_property
    def qualifier_say_words(self) -> frozenset[str]:
        """Every word the qualifiers are said with ("max", "limit", "used" …)."""
        found: set[str] = set()
        for qualifier in self.qualifiers.values():
            for pattern in qualifier.say:
                found.update(re.findall(r"[a-z]+", pattern.pattern.replace(r"\b", " ")))
        return frozenset(w for w in found if len(w) > 2)

    def label_words(self, label: str) -> frozenset[str]:
        """Words that name a label: its own, and the glossary's ("database" for datname)."""
        key = ("label", label)
        found = self._cache.get(key)
        if found is None:
            words_ = {stem(label), *split_name(label)}
            for word, labels in self.label_synonyms.items():
                if label in labels:
                    words_.update(split_phrase(word))
            found = frozenset(words_)
            self._cache[key] = found
        return found

    def metric_words(self, name: str) -> frozenset[str]:
        """A metric name's words with short forms spelt out (mem → memory too)."""
        found = self._cache.get(("name", name))
        if found is None:
            found = frozenset().union(*(self.word_forms(w) for w in split_name(name)))
            self._cache[("name", name)] = found
        return found

    def text_words(self, text: str) -> frozenset[str]:
        """A help text's words with short forms spelt out."""
        found = self._cache.get(("text", text))
        if found is None:
            found = _expanded(tuple(words(text)), self.abbreviations)
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[("text", text)] = found
        return found

    # --- loading

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Vocabulary:
        def patterns(items: Iterable[Any]) -> tuple[re.Pattern[str], ...]:
            return tuple(phrase_pattern(str(w)) for w in items)

        def stems(items: Iterable[Any]) -> frozenset[str]:
            return frozenset(w for item in items for w in split_phrase(str(item)))

        measures = tuple(
            Measure(
                str(name),
                patterns(spec.get("say", ())),
                stems(spec.get("metric", ())),
                str(spec.get("prefer", "")),
                str(spec.get("aggregate", "sum")),
                str(spec.get("unit", "")),
                str(spec.get("implies", "")),
                bool(spec.get("sampled", False)),
                tuple(str(w) for w in spec.get("counterpart") or ()),
            )
            for name, spec in (data.get("measures") or {}).items()
        )
        qualifiers = {
            str(name): Qualifier(
                str(name),
                patterns(spec.get("say", ())),
                stems(spec.get("metric", ())),
                float(spec.get("unasked", 0.0)),
                float(spec.get("weight", 0.8)),
            )
            for name, spec in (data.get("qualifiers") or {}).items()
        }
        synonyms = {
            str(k): tuple(w for v in values for w in split_phrase(str(v)))
            for k, values in (data.get("synonyms") or {}).items()
        }
        abbreviations: dict[str, tuple[str, ...]] = {
            stem(str(k)): tuple(split_phrase(str(v)))
            for k, v in (data.get("abbreviations") or {}).items()
        }
        units: dict[str, tuple[str, float]] = {}
        for kind, table in (data.get("units") or {}).items():
            for unit, factor in table.items():
                units[str(unit).lower()] = (str(kind), float(factor))
        # What misspellings are corrected to: the words of what is measured.
        known: set[str] = set()
        for section in ("measures", "qualifiers"):
            for spec in (data.get(section) or {}).values():
                for phrase in [*spec.get("say", ()), *spec.get("metric", ())]:
                    known.update(_WORD.findall(str(phrase).lower()))
        for key in synonyms:
            known.update(_WORD.findall(key.lower()))
        return cls(
            measures=measures,
            qualifiers=qualifiers,
            operations={str(k): patterns(v) for k, v in (data.get("operations") or {}).items()},
            pairs={
                str(k): tuple(dict.fromkeys(w for item in v for w in split_phrase(str(item))))
                for k, v in (data.get("pairs") or {}).items()
            },
            complements={
                stem(str(k)): tuple(stem(str(w)) for w in v)
                for k, v in (data.get("complements") or {}).items()
            },
            idle_values=frozenset(str(v).lower() for v in data.get("idle_values") or ()),
            synonyms=synonyms,
            abbreviations=abbreviations,
            series_words=frozenset(stem(str(w)) for w in data.get("series_words") or ()),
            rewrites=tuple(
                (phrase_pattern(str(k)), str(v)) for k, v in (data.get("rewrites") or {}).items()
            ),
            status_classes={
                str(name): (patterns(spec.get("say", ())), str(spec["pattern"]))
                for name, spec in (data.get("status_classes") or {}).items()
            },
            status_labels=tuple(str(v) for v in data.get("status_labels") or ()),
            label_synonyms={
                str(k): tuple(str(v) for v in values)
                for k, values in (data.get("label_synonyms") or {}).items()
            },
            identity_labels={
                str(k): tuple(str(v) for v in values)
                for k, values in (data.get("identity_labels") or {}).items()
            },
            value_phrases=tuple(
                (phrase_pattern(str(k)), {str(a): str(b) for a, b in v.items()})
                for k, v in (data.get("value_phrases") or {}).items()
            ),
            filter_label_priority=tuple(str(v) for v in data.get("filter_label_priority") or ()),
            subject_labels=tuple(str(v) for v in data.get("subject_labels") or ()),
            common_words=frozenset(stem(str(w).lower()) for w in data.get("common_words") or ()),
            units=units,
            defaults=dict(data.get("defaults") or {}),
            operation_words=frozenset(
                stem(str(phrase).lower())
                for phrases in (data.get("operations") or {}).values()
                for phrase in phrases
                if _WORD.fullmatch(str(phrase).lower()) and len(str(phrase)) > 1
            )
            | frozenset(
                stem(w)
                for w in _WORD.findall(
                    " ".join(
                        str(p)
                        for p in (data.get("measures") or {}).get("availability", {}).get("say", ())
                    ).lower()
                )
            ),
            event_words=tuple(stem(str(w)) for w in data.get("event_words") or ()),
            byte_words=frozenset(stem(str(w).lower()) for w in data.get("byte_words") or ()),
            percent_words=frozenset(stem(str(w).lower()) for w in data.get("percent_words") or ()),
            occurrence_words=tuple(stem(str(w)) for w in data.get("occurrence_words") or ()),
            run_target_words=frozenset(stem(str(w)) for w in data.get("run_target_words") or ()),
            range_ends=tuple((str(a), str(b)) for a, b in data.get("range_ends") or ()),
            run_time_words=frozenset(
                str(w) for w in (data.get("run_time") or {}).get("words") or ()
            ),
            run_time_measure=str((data.get("run_time") or {}).get("measure") or ""),
            after_stage_words=frozenset(str(w) for w in data.get("after_stage_words") or ()),
            loss_words=frozenset(stem(str(w)) for w in data.get("loss_words") or ()),
            parts=tuple(
                tuple(frozenset(split_phrase(str(part))) for part in group)
                for group in data.get("parts") or ()
            ),
            status_code=re.compile(
                r"(?<![\w.])(" + str(data.get("status_code") or "(?!)") + r")s?(?![\w.])"
            ),
            known_words=frozenset(w for w in known if len(w) >= 3),
            _synonym_patterns=tuple(
                sorted(
                    ((phrase_pattern(k), v) for k, v in synonyms.items()),
                    key=lambda item: -len(item[0].pattern),
                )
            ),
        )


def _prefix_of(piece: str, asked: frozenset[str]) -> set[str]:
    """Question words the piece begins, at least three letters of it ("maj" → major)."""
    return {w for w in asked if len(piece) >= 3 and len(w) > len(piece) and w.startswith(piece)}


def _initials_of(piece: str, asked: frozenset[str]) -> set[str]:
    """Question words whose letters the piece keeps, in order, from the first ("pg" → page)."""
    found = set()
    for word in asked:
        if 2 <= len(piece) <= 3 and len(word) >= len(piece) + 2 and word[0] == piece[0]:
            letters = iter(word)
            if all(ch in letters for ch in piece):
                found.add(word)
    return found


def _abbreviated(
    word: str,
    asked: frozenset[str],
    known: frozenset[str],
    abbreviations: Mapping[str, tuple[str, ...]],
) -> set[str]:
    # Words the glossary knows are matched as they are ("time" is no "timeout").
    if len(word) < 3 or not word.isalpha() or word in asked or word in known:
        return set()
    if whole := _prefix_of(word, asked):
        return whole  # a prefix: "retrans", "segs"
    if len(word) < 5:
        return set()
    # Run together: at most three pieces, one a whole word ("fault", "mem"); the others
    # begin a word of the question ("maj"), keep its initials ("pg", first only), or are
    # one short joining word ("in").
    best: set[str] = set()

    def split(
        rest: str, matched: set[str], anchored: bool, fillers: int, depth: int, weak: set[str]
    ) -> None:
        nonlocal best
        if not rest:
            # Two letters that only begin a word ("re" of "rewrite") are too few to stand
            # for it alone, only beside another word of the question ("sh" + "mem").
            said = matched & asked
            enough = len(said) >= 2 or bool(said - weak)
            if anchored and said and enough and len(matched) > len(best):
                best = set(matched)
            return
        if depth == 3:
            return
        for cut in range(2, len(rest) + 1):
            piece = rest[:cut]
            if len(piece) >= 3 and (piece in asked or piece in known or piece in abbreviations):
                forms = {piece, *abbreviations.get(piece, ())}
                split(rest[cut:], matched | forms, True, fillers, depth + 1, weak)
            if hits := _prefix_of(piece, asked):
                split(rest[cut:], matched | hits, anchored, fillers, depth + 1, weak)
            if depth == 0 and (hits := _initials_of(piece, asked)):
                begun = {w for w in hits if len(piece) == 2 and w.startswith(piece)}
                split(rest[cut:], matched | hits, anchored, fillers, depth + 1, weak | begun)
            if len(piece) == 2 and (piece in known or piece in abbreviations) and not fillers:
                split(rest[cut:], matched, anchored, fillers + 1, depth + 1, weak)

    split(word, set(), False, 0, 0, set())
    return best


_THINGS_PER_SECOND = re.compile(r"\b([a-z]{3,}s)/s(?:ec)?\b", re.IGNORECASE)
_BITS = re.compile(r"(?:kilo|mega|giga|[kmg])?bits", re.IGNORECASE)


def _per_second(match: re.Match[str]) -> str:
    things = match.group(1)
    return match.group(0) if _BITS.fullmatch(things) else f"{things} per second"


def inflections(word: str) -> list[str]:
    """Plain forms of an -ed/-ing word: appended → append, committed → commit, used → use."""
    out: list[str] = []
    for ending in ("ed", "ing"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            root = word[: -len(ending)]
            out += [root, root + "e"]
            if len(root) > 3 and root[-1] == root[-2]:
                out.append(root[:-1])
    return out


def agent_noun(word: str) -> list[str]:
    """What does an -ing word's work, as names call it: archiving → archiver, scraping →
    scraper, writing → writer."""
    if word.endswith("ing") and len(word) >= 7:
        return [word[:-3] + "er"]
    return []


def split_phrase(phrase: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(phrase.lower())]


def _expanded(
    tokens: tuple[str, ...], abbreviations: Mapping[str, tuple[str, ...]]
) -> frozenset[str]:
    out = set(tokens)
    for token in tokens:
        out.update(abbreviations.get(token, ()))
    return frozenset(out)


@functools.cache
def default_vocabulary() -> Vocabulary:
    text = (
        importlib.resources.files("obsai_query.planner")
        .joinpath("glossary.yaml")
        .read_text(encoding="utf-8")
    )
    return Vocabulary.from_mapping(yaml.safe_load(text))
