"""Stage 2 — choose: which label values the question names, and which metric(s) answer it.

Filters: every label value of the candidate metrics that the question names,
word for word (separators and plurals aside), or by a glossary phrase ("root
filesystem"); the label is the one named beside the value ("the X namespace"),
else the glossary's priority.

Metrics are scored against the intent, never picked from a list:

    + the question's words in the metric's name (3) or help (1), counted once per
      word, through the glossary's synonyms and the name's spelt-out short forms
    + carrying every named value on a label (+2), or in its name (+1); a metric
      whose label lacks the value, or that has no such label, is far down (-3, -4)
    + the type the measure is usually carried by; labels that can give the asked
      grouping; the catalog's own relevance score
    - words of other measures, qualifiers not asked ("limit" when usage is meant),
      name words the question does not explain (simpler names win ties)

Words of names are matched as they are, through their spelt-out short forms, and
as shortenings or run-together words of the question's ("retrans" → retransmitted,
"pgmajfault" → page, major, fault). A measure said just before another word ("key
TTL") only says what that word is of; a word just before a measure ("dirty memory",
"heap memory") names its kind, as much as the measure; the words of a "to be …" clause
("waiting to be written back to disk") weigh half. A measure said alone means what the
glossary says it implies ("memory": the memory in use), a tie-breaker only. A level now
("established connections") is no counter of events.

Ratios need partners, found by the words of their names: used/limit,
available/size (or a count and the same name less "free"), hits/misses and other
complements, errors/total, a duration total and its count, a byte counter and the
count of its events ("average size of a write"), and a histogram's _bucket/_sum/_count;
"A as a share of B" ranks A and B on their own words and on how alike they are — so too
"what percentage of segments are retransmitted" (two counts of events) and "what
percentage of the host's RAM is redis using" (B another thing's, filtered on its own).
Counters that are the parts of one whole (user/system seconds, commits/rollbacks) are
found by the glossary's `parts`.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import Intent, measures_in, side_of
from obsai_query.planner.vocabulary import (
    Measure,
    Vocabulary,
    agent_noun,
    inflections,
    split_name,
    split_phrase,
    stem,
)

# The weight of a qualifier no word says, that the measure implies ("memory": in use).
_IMPLIED_WEIGHT = 0.3
# At most this many candidates are scored (the grounding comes ranked by relevance).
MAX_CANDIDATES = 200
# What a name written as it is ("max_connections") adds to a metric that has it: more than
# the measures and qualifiers its words might also read as.
_NAME_WRITTEN = 6.0
# "were forked", "got evicted": a passive verb names the events counted.
_PASSIVE = frozenset({"was", "were", "been", "being", "got", "get"})
_PASSIVE_WEIGHT = 2.0
# "how long did prometheus take to replay its WAL": the verb after "take to" is what is timed,
# more telling than what it is done to.
_TIMED = re.compile(r"\b(?:take|takes|took|taking)\s+to\s+$")
_TIMED_WEIGHT = 1.5
# "is redis still loading its dataset": what a yes-or-no question asks is going on.
_GOING_ON = re.compile(r"^\s*(?:is|are)\s+(?:[a-z'\-]+\s+){1,2}$")
# Name parts every metric of a kind has; they say nothing about what it measures.
SUFFIX_WORDS = frozenset(
    {"total", "bucket", "sum", "count", "byte", "second", "info", "ratio", "seconds", "usec"}
)
_PATH = re.compile(r"(?:(?<=\s)|^)(/[a-z0-9_\-.]+(?:/[a-z0-9_\-.]+)*)(?=[\s?,]|$)")
_NUMBERS = re.compile(r"(?<![\w.])(\d{1,4})(?![\d.])")
_SUBWORD = re.compile(r"[a-z0-9]+")
_STATUS_VALUE = re.compile(r"^[1-5][0-9][0-9]$")


# --- filters


@dataclass(frozen=True, slots=True)
class Mention:
    """Words of the question that name label values: one span, the (label, value)s it fits."""

    start: int
    end: int
    text: str
    options: tuple[tuple[str, str], ...]
    # Named only through a glossary phrase or a punctuation value: weaker evidence.
    exact: bool = True
    # Also a word for what is measured ("scrape", "memory"): a filter where it fits,
    # never a reason to pass over a metric without it.
    weak: bool = False
    # A word shared by several values ("the probe jobs": http-probe, tcp-probe): it names
    # them all at once, not one of them.
    every: bool = False

    @property
    def words(self) -> frozenset[str]:
        return frozenset(split_phrase(self.text))


@functools.lru_cache(maxsize=262144)
def value_key(value: str) -> str:
    """A label value as words: "api-gateway" → "api gateway", "/api/v1/orders" → "api v1 orders"."""
    return " ".join(_SUBWORD.findall(value.lower()))


def _subwords(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _SUBWORD.finditer(text)]


def _question_keys(
    text: str, consumed: Sequence[tuple[int, int]]
) -> dict[str, list[tuple[int, int, bool]]]:
    """Every run of 1..5 words of the text as a lookup key → [(start, end, exact)]."""
    parts = [p for p in _subwords(text) if not _inside(p[1], p[2], consumed)]
    keys: dict[str, list[tuple[int, int, bool]]] = {}
    for i in range(len(parts)):
        for n in range(1, 6):
            run = parts[i : i + n]
            if len(run) < n or any(b[1] - a[2] > 3 for a, b in itertools.pairwise(run)):
                break
            start, end = run[0][1], run[-1][2]
            key = " ".join(p[0] for p in run)
            keys.setdefault(key, []).append((start, end, True))
            if n > 1:
                # Values written as one word: "access share locks" → accesssharelock.
                keys.setdefault(key.replace(" ", ""), []).append((start, end, False))
            last = run[-1][0]
            # Plurals and "503s": the singular names the value too.
            for cut in ("es", "s"):
                if len(last) > len(cut) + 1 and last.endswith(cut):
                    singular = " ".join([*(p[0] for p in run[:-1]), last[: -len(cut)]])
                    keys.setdefault(singular, []).append((start, end, False))
                    if n > 1:
                        keys.setdefault(singular.replace(" ", ""), []).append((start, end, False))
    return keys


def _inside(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _pieces_inside(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    """ "up/down": every word of a slashed token is inside a span (each read already)."""
    pieces = [m.span() for m in re.finditer(r"[a-z0-9]+", text[start:end])]
    return len(pieces) > 1 and all(_inside(start + a, start + b, spans) for a, b in pieces)


def _is_status_label(label: str, values: Sequence[str], vocab: Vocabulary) -> bool:
    return label in vocab.status_labels or (
        bool(values) and all(_STATUS_VALUE.match(v) for v in values)
    )


def find_mentions(
    intent: Intent, metrics: Sequence[MetricInfo], vocab: Vocabulary, original: str = ""
) -> list[Mention]:
    """Label values the question names, longest first; shorter overlapping ones dropped."""
    text = intent.text
    keys = _question_keys(text, intent.consumed)
    found: dict[tuple[int, int], dict[tuple[str, str], bool]] = {}
    punctuation: dict[str, set[str]] = {}
    # Every helper below reads the same pairs: gathered once (a grounding may be 5,000).
    labels = distinct_labels(metrics)
    for label, values in labels:
        status = None
        for value in values:
            key = value_key(value)
            if not key:
                if value.strip():
                    punctuation.setdefault(value, set()).add(label)
                continue
            if key.replace(" ", "").isdigit():
                if status is None:
                    status = _is_status_label(label, values, vocab)
                if not status:
                    continue
            if len(key) < 2:
                continue
            for start, end, exact in keys.get(key, ()):
                options = found.setdefault((start, end), {})
                options[(label, value)] = options.get((label, value), False) or exact
    mentions = [
        Mention(
            start,
            end,
            text[start:end],
            tuple(sorted(o for o, exact in options.items() if exact)) or tuple(sorted(options)),
        )
        for (start, end), options in found.items()
    ]
    mentions += _phrase_mentions(intent, labels, vocab, punctuation)
    mentions += _shared_word_mentions(text, keys, labels, vocab)
    mentions += _kind_left_out(text, labels)
    mentions = [m for m in mentions if not _idle_word(m, intent, vocab, original)]
    mentions = [m for m in (_not_grouped(m, intent, vocab) for m in mentions) if m is not None]
    measure_words = vocab.measure_say_words
    mentions = [
        replace(m, weak=True) if m.words and m.words <= measure_words else m for m in mentions
    ]
    mentions.sort(key=lambda m: (-(m.end - m.start), m.start))
    kept: list[Mention] = []
    for mention in mentions:
        if any(mention.start < k.end and k.start < mention.end for k in kept):
            continue
        kept.append(mention)
    kept = [m for m in (_not_the_doer(m, kept, intent.text) for m in kept) if m is not None]
    return sorted(kept, key=lambda m: m.start)


# "is prometheus able to scrape the probes": the one able to do it, as the one taking the time.
_DOER_BEFORE = re.compile(r"\b(?:does|did|do|will|is|are|was|were)\s+(?:the\s+)?$")
_DOER_AFTER = re.compile(
    r"(?:'s)?\s+(?:take|takes|need|needs|spend|spends|able|unable)\s+to\s+[a-z]+\b"
)


def _not_the_doer(mention: Mention, mentions: Sequence[Mention], text: str) -> Mention | None:
    """ "how long does prometheus take to scrape the tcp probes": the one doing it is not the
    thing measured when that thing is named after it by a value of the same label."""
    if not (_DOER_BEFORE.search(text[: mention.start]) and _DOER_AFTER.match(text, mention.end)):
        return mention
    after = {label for m in mentions if m.start > mention.end for label, _ in m.options}
    options = tuple(o for o in mention.options if o[0] not in after)
    if options == mention.options:
        return mention
    # Its words name no value to filter on, and nothing to measure either.
    return replace(mention, options=options, weak=not options)


# Words before "<value> <label noun>" that make it a kind of thing, not one of them:
# "each postgres database", "which postgres database", "the biggest postgres database".
_GROUPING_BEFORE = re.compile(
    r"\b(?:each|every|per|all|which|what|top|bottom|most|least|[a-z]+est)\s+(?:\d+\s+)?"
    r"(?:the\s+)?$"
)


def _not_grouped(mention: Mention, intent: Intent, vocab: Vocabulary) -> Mention | None:
    """ "each postgres database" groups databases: "postgres" names no database there, only
    the system they are in; the options on the label named after it are dropped."""
    following = re.match(r"\W*([a-z]+)", intent.text[mention.end :])
    if not following:
        return mention
    word = set(split_phrase(following.group(1)))
    # "postgres database size by database": grouped by the very label it would filter.
    grouped = word & {stem(w) for phrase in intent.group_words for w in phrase.split()}
    if not grouped and not _GROUPING_BEFORE.search(intent.text[: mention.start]):
        return mention
    options = tuple(o for o in mention.options if not word & _label_words(o[0], vocab))
    if options == mention.options:
        return mention
    return replace(mention, options=options) if options else None


def imply_qualifier(intent: Intent, mentions: Sequence[Mention], vocab: Vocabulary) -> None:
    """ "redis memory", "the node's memory", "heap memory": a measure said alone, or by its
    own words, means what the glossary says it implies (the memory in use); "dirty memory"
    and "resident memory" say which memory themselves."""
    if not intent.implied_qualifier:
        return
    spans = [
        match.span()
        for measure in vocab.measures
        if measure.name in intent.measures and measure.implies == intent.implied_qualifier
        for pattern in measure.say
        for match in pattern.finditer(intent.text)
    ]
    said = {stem(intent.text[a:b]) for a, b in spans}
    if not said or any(" " in word for word in said):
        return  # "resident memory": a phrase that says which memory
    if any(not measures_in(full, vocab) for w in said for full in vocab.abbreviations.get(w, ())):
        return  # "rss": short for a word that alone names no measure ("resident"), a kind
    named = [(m.start, m.end) for m in mentions]
    previous = ""
    for word, start, end in intent.tokens:
        if any(a == start for a, _ in spans):
            plain = previous and previous not in vocab.common_words and previous not in said
            if plain and previous not in vocab.operation_words:
                return  # "dirty memory": a kind of it
        previous = "" if _inside(start, end, named) else word
    intent.qualifiers.add(intent.implied_qualifier)


Labels = Sequence[tuple[str, tuple[str, ...]]]


def distinct_labels(metrics: Sequence[MetricInfo]) -> list[tuple[str, tuple[str, ...]]]:
    """(label, values) of the metrics, each distinct pair once (metrics share label sets)."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    out = []
    for metric in metrics:
        for label, values in metric.labels.items():
            if label.startswith("__") or label in ("le", "quantile"):
                continue
            key = (label, tuple(values))
            if key not in seen:
                seen.add(key)
                out.append(key)
    return out


# A label value that is a name made of words ("http-probe", "tcp_probe"), not an address.
_WORDY_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z][a-z0-9]*)+$")


def _shared_word_mentions(
    text: str,
    keys: Mapping[str, list[tuple[int, int, bool]]],
    labels: Labels,
    vocab: Vocabulary,
) -> list[Mention]:
    """ "the probe jobs": a word that is one word of several values of a subject label
    (http-probe, tcp-probe), said before a word naming that label, names all of them. Said
    alone ("each probe") it is only a word; a longer mention of one value ("tcp probe")
    wins, being longer."""
    sharing: dict[tuple[str, str], set[str]] = {}
    for label, values in labels:
        if label not in vocab.subject_labels:
            continue
        for value in values:
            if _WORDY_NAME.match(value.lower()):
                for word in value_key(value).split():
                    sharing.setdefault((label, word), set()).add(value)
    out: list[Mention] = []
    for (label, word), shared in sorted(sharing.items()):
        if len(shared) < 2:
            continue
        for start, end, _ in keys.get(word, ()):
            if not _label_said_after(text, end, label, vocab):
                continue
            options = tuple((label, v) for v in sorted(shared))
            out.append(Mention(start, end, word, options, exact=False, every=True))
    return out


# "non-template databases": a kind of thing, by the word its names begin with, left out.
_NON_KIND = re.compile(r"\bnon-?([a-z]{3,})\b")


def _kind_left_out(text: str, labels: Labels) -> list[Mention]:
    """ "non-template databases": the values of a label whose names begin with the word
    (template0, template1), all of them, to be left out — when some values do not."""
    out: list[Mention] = []
    for match in _NON_KIND.finditer(text):
        word = match.group(1)
        for label, values in labels:
            kind = [v for v in values if v.lower().startswith(word)]
            if kind and len(kind) < len(values):
                options = tuple((label, v) for v in sorted(kind))
                start, end = match.span()
                out.append(Mention(start, end, word, options, exact=False, every=True))
    return out


def kind_left_out(mention: Mention, text: str) -> bool:
    """The mention is a kind of thing left out ("non-template")."""
    return mention.every and bool(_NON_KIND.fullmatch(text, mention.start, mention.end))


def _label_said_after(text: str, end: int, label: str, vocab: Vocabulary) -> bool:
    """ "probe jobs": the word after the one at `end` names the label."""
    following = re.match(r"\W*([a-z]+)", text[end:])
    if following is None:
        return False
    return bool(set(split_phrase(following.group(1))) & _label_words(label, vocab))


def _phrase_mentions(
    intent: Intent,
    pairs: Labels,
    vocab: Vocabulary,
    punctuation: Mapping[str, set[str]],
) -> list[Mention]:
    """Values named by a glossary phrase ("root filesystem"), or punctuation values ("/")
    standing alone next to a word that names their label ("the / filesystem")."""
    text = intent.text
    labels_with = {(label, value) for label, values in pairs for value in values}
    out: list[Mention] = []
    for pattern, assignment in vocab.value_phrases:
        for match in pattern.finditer(text):
            options = tuple((k, v) for k, v in assignment.items() if (k, v) in labels_with)
            if options:
                out.append(Mention(match.start(), match.end(), match.group(0), options, False))
    # "the probe to /health": a path said alone names the values (URLs) that end with it.
    for match in _PATH.finditer(text):
        path = match.group(1)
        if path in punctuation:
            continue
        ends = tuple(
            sorted(
                (label, value)
                for label, values in pairs
                for value in values
                if value.lower().endswith(path)
            )
        )
        if any(len(value) > len(path) for _, value in ends):
            out.append(Mention(match.start(1), match.end(1), path, ends, False))
    for value, labels in punctuation.items():
        for match in re.finditer(r"(?:(?<=\s)|^)" + re.escape(value) + r"(?=\s|$|\?)", text):
            around = set(split_phrase(text[max(0, match.start() - 25) : match.end() + 25]))
            named = [label for label in sorted(labels) if around & _label_words(label, vocab)]
            if not named and len(labels) == 1:
                named = sorted(labels)  # the one label that has it
            if named:
                options = tuple((label, value) for label in named)
                out.append(Mention(match.start(), match.end(), value, options, False))
    return out


def _idle_word(mention: Mention, intent: Intent, vocab: Vocabulary, original: str) -> bool:
    """A value that is also an everyday or glossary word ("up", "total", "get") is a filter
    only when written in capitals ("GET") or beside the name of its label."""
    words = split_phrase(mention.text)
    if not words or not all(w in vocab.common_words or w in vocab.operation_words for w in words):
        return False
    if original and re.search(r"\b" + re.escape(mention.text.upper()) + r"\b", original):
        return False
    # "GETs", "PUTs": the capitals with a plural.
    capitals = {v.upper() for _, v in mention.options if v.isalpha()}
    if original and any(re.search(rf"\b{re.escape(v)}s\b", original) for v in capitals):
        return False
    # "/metrics", "/api/health": a value written with its punctuation names that value.
    spelt = [v for v in (mention.text, *(v for _, v in mention.options)) if not v.isalnum()]
    spelt = [v for v in spelt if len(v) > 2 and not v.replace(" ", "").isalnum()]
    if original and any(v.lower() in original.lower() for v in spelt):
        return False
    around = set(split_phrase(intent.text[max(0, mention.start - 20) : mention.end + 20]))
    return not any(around & _label_words(label, vocab) for label, _ in mention.options)


def _label_words(label: str, vocab: Vocabulary) -> frozenset[str]:
    return vocab.label_words(label)


def label_for(
    mention: Mention, metric: MetricInfo, intent: Intent, vocab: Vocabulary
) -> tuple[str, str] | None:
    """The (label, value) a mention filters on for this metric, or None if it cannot."""
    options = [
        (label, value) for label, value in mention.options if _has_value(metric, label, value)
    ]
    if not options:
        return None
    if len(options) == 1:
        return options[0]
    text = intent.text
    before = split_phrase(text[max(0, mention.start - 25) : mention.start])[-1:]
    following = re.match(r"\W*([a-z]+)", text[mention.end :])
    # "the shop database" names a database; "postgres databases" are postgres's.
    after = (
        split_phrase(following.group(1))[:1]
        if following and not following.group(1).endswith("s")
        else []
    )
    named = [o for o in options if set(before + after) & _label_words(o[0], vocab)]
    pool = named or options
    priority = {label: i for i, label in enumerate(vocab.filter_label_priority)}
    return min(pool, key=lambda o: (priority.get(o[0], len(priority)), o[0]))


def _every_value(mention: Mention, metric: MetricInfo) -> list[tuple[str, str]]:
    """The values of a shared word's mention that the metric has, all of one label."""
    return [(label, value) for label, value in mention.options if _has_value(metric, label, value)]


def _has_value(metric: MetricInfo, label: str, value: str) -> bool:
    values = metric.labels.get(label)
    if values is None:
        return False
    # A label cut to a sample may have the value all the same.
    return value in values or label in metric.truncated_labels


# "…, not counting prometheus", "except redis", "excluding the probes", "(not idle)": a value
# left out.
_EXCLUDED = re.compile(
    r"\b(?:not(?:\s+counting)?|except(?:\s+for)?|excluding|apart\s+from|other\s+than|leaving\s+out)"
    r"(?:\s+(?:the|a|an|its|their))?\s*$"
)
# "leave prometheus out", "keep the probes aside": a value left out, said around it.
_LEFT_OUT = re.compile(
    r"\b(?:leave|leaves|leaving|left|keep|keeping|take|taking|count|counting)"
    r"(?:\s+(?:the|a|an|its|their))?\s*$"
)
_OUT = re.compile(r"\s*(?:out|aside)\b")
EXCLUDED_SUFFIX = "!"


def excluded_key(label: str) -> str:
    """A filter's key for a value left out: `label!` (selector() writes `label!="v"`)."""
    return label + EXCLUDED_SUFFIX


def filter_label(key: str) -> str:
    """The label of a filter's key, left out or not."""
    return key.removesuffix(EXCLUDED_SUFFIX)


def filters_for(
    metric: MetricInfo, mentions: Sequence[Mention], intent: Intent, vocab: Vocabulary
) -> tuple[dict[str, list[str]], list[Mention]]:
    """label → values this metric is filtered on, and the mentions it cannot carry."""
    filters: dict[str, list[str]] = {}
    dropped: list[Mention] = []
    name_words = vocab.metric_words(metric.name)
    for mention in mentions:
        if mention.every and (every := _every_value(mention, metric)):
            label = every[0][0]
            if kind_left_out(mention, intent.text):
                label = excluded_key(label)  # "non-template": all of the kind left out
            values = filters.setdefault(label, [])
            values.extend(v for _, v in every if v not in values)
            continue
        chosen = label_for(mention, metric, intent, vocab)
        if chosen is None:
            # A system named by one word ("redis") may be in the name instead of a label;
            # a value of several words in a name ("idle in transaction") is a coincidence.
            if not (len(mention.words) == 1 and mention.words <= name_words):
                dropped.append(mention)
            continue
        label, value = chosen
        before = intent.text[max(0, mention.start - 30) : mention.start]
        if _EXCLUDED.search(before) or (
            _LEFT_OUT.search(before) and _OUT.match(intent.text, mention.end)
        ):
            label = excluded_key(label)  # "not counting prometheus": every job but that one
        values = filters.setdefault(label, [])
        if value not in values:
            values.append(value)
    return filters, dropped


# --- grouping


def group_labels(words: Iterable[str], metric: MetricInfo, vocab: Vocabulary) -> list[str]:
    """Labels of the metric that "by X / per X / each X / which X" name, in order."""
    chosen: list[str] = []
    for phrase in words:
        for label in _labels_named(phrase, metric, vocab):
            if label not in chosen:
                chosen.append(label)
    return chosen


def _labels_named(phrase: str, metric: MetricInfo, vocab: Vocabulary) -> list[str]:
    labels = metric.labels
    stems = split_phrase(phrase)
    if not stems:
        return []
    found: list[str] = []
    for joined in dict.fromkeys(("_".join(stems), stems[-1], stems[0])):
        found = [
            label
            for label in labels
            if label not in ("le", "__name__", "quantile")
            and (stem(label) == joined or "_".join(split_name(label)) == joined)
        ][:1]
        if found:
            break
    if not found:
        for key in (phrase, " ".join(stems), stems[-1], stems[0]):
            options = vocab.label_synonyms.get(key, ()) or vocab.label_synonyms.get(
                key.rstrip("s"), ()
            )
            usable = [o for o in options if o in labels and _tells_apart(metric, o)]
            if usable:
                found = usable[:1]
                break
    if not found:
        return []
    label = found[0]
    identity = vocab.identity_labels.get(label)
    if identity:
        return [part for part in identity if part in labels]
    return [label]


def _tells_apart(metric: MetricInfo, label: str) -> bool:
    values = metric.labels.get(label, ())
    return len(values) != 1 or label in metric.truncated_labels


# --- scoring


@dataclass(frozen=True, slots=True)
class Concept:
    """One thing the question says about the metric: a word and its stand-ins."""

    word: str
    alternatives: frozenset[str]
    weight: float = 1.0
    measure: str = ""
    # The words the question said it with ("resident memory", "goroutines").
    said: frozenset[str] = frozenset()
    # A word of the question as it is (no measure, qualifier or glossary phrase).
    plain: bool = False
    # Found in names only: "the node exporter" says what kind of thing node is, and a help
    # that names its own exporter ("node_exporter: …") says nothing of what is asked.
    name_only: bool = False


@dataclass
class Choice:
    metric: MetricInfo
    score: float
    reasons: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[Mention] = field(default_factory=list)
    covered: int = 0  # concepts found in the name or help


@dataclass
class Context:
    """What scoring needs of the intent, computed once per question."""

    intent: Intent
    concepts: list[Concept]
    mentions: list[Mention]
    wanted: frozenset[str]
    unwanted: frozenset[str]
    group_words: list[str]
    groupable: set[str]  # group words some candidate can group by
    preferred_type: str
    # Name words of every counter among the candidates (to find complements fast).
    counters: frozenset[tuple[str, ...]] = frozenset()
    preferred_unit: str = ""
    # Words of the question outside the values it names.
    free_words: frozenset[str] = frozenset()
    # The question speaks of targets, instances, probes …: things that are series.
    series_things: bool = False
    # The candidates (for pairs of metrics of one thing).
    metrics: Sequence[MetricInfo] = ()
    # The question's content words: what shortened words of names may stand for.
    asked: frozenset[str] = frozenset()
    # Every word of the question (stemmed).
    stems: frozenset[str] = frozenset()
    # The numbers the question says ("5-minute load" → 5).
    numbers: frozenset[str] = frozenset()
    # Every measure asked is a level now (connections, memory), none a flow of events.
    levels_only: bool = False
    # Per question caches: shortened name words, pairs of a whole and what is left of it.
    short: dict[str, frozenset[str]] = field(default_factory=dict)
    wholes: dict[str, tuple[MetricInfo, MetricInfo] | None] = field(default_factory=dict)
    sizes: dict[str, MetricInfo | None] = field(default_factory=dict)
    telling: frozenset[str] | None = None

    @functools.cached_property
    def initials(self) -> frozenset[str]:
        """First letters of the question's content words: a name word starting otherwise
        shortens none of them."""
        return frozenset(w[0] for w in self.asked)

    def shortened(self, word: str, vocab: Vocabulary) -> frozenset[str]:
        found = self.short.get(word)
        if found is None:
            found = vocab.abbreviated(word, self.asked)
            self.short[word] = found
        return found

    @functools.cached_property
    def alternatives(self) -> frozenset[str]:
        """Every word a concept of the question may be written as in a name."""
        return frozenset().union(*(c.alternatives for c in self.concepts))

    def asked_measures(self, vocab: Vocabulary) -> list[Measure]:
        return [m for m in vocab.measures if m.name in self.intent.measures]

    def telling_labels(self, vocab: Vocabulary) -> frozenset[str]:
        """ "received over all network interfaces": labels that tell apart the things
        said (interfaces) of a measure. Not a word that names the measure's metrics
        itself ("commands"), nor a label named after a measure ("cores": cpu)."""
        if self.telling is None:
            measures = _measure_names(vocab)
            own = {m.name: m.metric_words for m in vocab.measures}
            things = {
                w
                for c in self.concepts
                if c.measure
                for w in c.said
                if w in vocab.label_synonyms
                and w not in measures
                and not vocab.word_forms(w) & own.get(c.measure, frozenset())
            }
            self.telling = frozenset(
                label for w in things for label in vocab.label_synonyms[w] if label not in measures
            )
        return self.telling

    def used_of_whole(
        self, metric: MetricInfo, vocab: Vocabulary
    ) -> tuple[MetricInfo, MetricInfo] | None:
        if metric.name not in self.wholes:
            self.wholes[metric.name] = used_of_whole(
                metric, self.metrics, self.intent, vocab, self.sizes
            )
        return self.wholes[metric.name]


def concepts_of(
    intent: Intent,
    mentions: Sequence[Mention],
    vocab: Vocabulary,
    group_words: Sequence[str] | None = None,
) -> list[Concept]:
    """The measures, then every other content word of the question (with its synonyms);
    the words that name a grouping are labels, not concepts."""
    text = intent.text
    concepts: list[Concept] = []
    covered: list[tuple[int, int]] = [*intent.consumed, *((m.start, m.end) for m in mentions)]
    measure_spans: dict[str, list[tuple[int, int]]] = {}
    for measure in vocab.measures:
        if measure.name not in intent.measures:
            continue
        said: set[str] = set()
        for pattern in measure.say:
            for match in pattern.finditer(text):
                said.update(split_phrase(match.group(0)))
                covered.append(match.span())
                measure_spans.setdefault(measure.name, []).append(match.span())
        # "rss": the word it is short for ("resident") is the very word said, as names write it.
        said.update(f for w in list(said) for f in vocab.abbreviations.get(w, ()) if " " not in f)
        # "how many targets are up": the targets are the things up or down; the words of
        # their measure ("scrape") say nothing of whether they are.
        things = bool(said) and all(w in vocab.series_words for w in said)
        state = "availability" in intent.measures and measure.name != "availability"
        concepts.append(
            Concept(
                measure.name,
                frozenset(said if things and state else measure.metric_words | said),
                1.5,
                measure.name,
                frozenset(w for w in said if w not in vocab.common_words),
            )
        )
    synonym_spans: list[tuple[int, int]] = []
    for (start, end), synonym_words in vocab.synonyms_in(text):
        if _inside(start, end, [(m.start, m.end) for m in mentions]):
            continue
        if any(start < e and s < end for s, e in synonym_spans):
            continue  # "major page faults", not also "page faults" (longest first)
        synonym_spans.append((start, end))
        said = set(split_phrase(text[start:end]))
        # One word said stands for itself too; a phrase's words one by one ("page") do not.
        alternatives = set(synonym_words) | (said if len(said) == 1 else set())
        noun = _names_label_of_mention(start, end, mentions, text, vocab)
        concepts.append(Concept(text[start:end], frozenset(alternatives), 1.0, name_only=noun))
        covered.append((start, end))
    measured = list(covered)
    for name, qualifier in vocab.qualifiers.items():
        spans = [m.span() for pattern in qualifier.say for m in pattern.finditer(text)]
        covered.extend(spans)
        # A qualifier said only inside a measure ("failures" of errors) adds nothing.
        implied = not spans  # "p99" implies percentiles without saying so
        if name in intent.qualifiers and (
            implied or not all(_inside(a, b, measured) for a, b in spans)
        ):
            words_said = frozenset(
                w
                for a, b in spans
                for w in split_phrase(text[a:b])
                if w not in vocab.common_words and len(w) > 2
            )
            # One the measure implies ("memory": in use) only breaks ties.
            weight = _IMPLIED_WEIGHT if name == intent.implied_qualifier else qualifier.weight
            concepts.append(
                Concept(name, qualifier.metric_words | words_said, weight, said=words_said)
            )
    if intent.code_said is not None and not _inside(
        intent.code_said[2], intent.code_said[3], [(m.start, m.end) for m in mentions]
    ):
        # "not returning a 200" with no label holding 200: a metric that is a status code.
        concepts.append(Concept("status code", frozenset({"status", "code"}), 1.5))
        covered.append(intent.code_said[2:])
    seen = {c.word for c in concepts}
    groups = intent.group_words if group_words is None else group_words
    seen.update(w for phrase in groups for w in split_phrase(phrase))
    operation_words = vocab.operation_words
    previous = ""
    for word, start, end in intent.tokens:
        before, previous = previous, word
        if _inside(start, end, covered) or word in seen:
            continue
        if "/" in word and _pieces_inside(text, start, end, covered):
            continue
        if word in vocab.common_words or word in operation_words or word.isdigit():
            continue
        if len(word) < 2:
            continue
        seen.add(word)
        alternatives = {
            word,
            *vocab.abbreviations.get(word, ()),
            *inflections(word),
            *agent_noun(word),
        }
        # "how many processes were forked": what happened to them is what was counted,
        # more telling than the things it happened to.
        weight = _PASSIVE_WEIGHT if before in _PASSIVE and word.endswith("ed") else 1.0
        if _TIMED.search(text, 0, start) or (
            word.endswith("ing") and _GOING_ON.match(text, 0, start)
        ):
            weight = _TIMED_WEIGHT
        if _in_parentheses(intent.text, start, end):
            # "heap allocations (mallocs)": the asker's gloss, the thing's own name.
            weight = max(weight, _GLOSS_WEIGHT)
        concepts.append(Concept(word, frozenset(alternatives), weight, plain=True))
    concepts = _kinds(_heads(concepts, measure_spans, intent, vocab), measure_spans, intent, vocab)
    return _purpose_clause(concepts, measure_spans, intent)


def _names_label_of_mention(
    start: int, end: int, mentions: Sequence[Mention], text: str, vocab: Vocabulary
) -> bool:
    """ "the node exporter": the words at start..end, right after a value, name its label."""
    said = set(split_phrase(text[start:end]))
    return any(
        not text[m.end : start].strip() and said & _label_words(label, vocab)
        for m in mentions
        if m.end <= start
        for label, _ in m.options
    )


_GLOSS_WEIGHT = 2.5
_GLOSS_WORDS = 3


def _in_parentheses(text: str, start: int, end: int) -> bool:
    """The word is inside "( … )" of the question: a name for what it says before ("(sys)",
    "(promhttp handler)"), not a description of it ("(process heaps and stacks)"), nor what
    is left out ("the dataset (w/o overhead)")."""
    opened, closed = text.rfind("(", 0, start), text.find(")", end)
    if opened <= text.rfind(")", 0, start) or closed < 0:
        return False
    inside = text[opened + 1 : closed]
    return len(inside.split()) <= _GLOSS_WORDS and not _LEFT_OUT_GLOSS.search(inside)


_LEFT_OUT_GLOSS = re.compile(r"(?:^|\s)(?:w/o|without|not|no|excluding|except|minus)\b")


def _kinds(
    concepts: list[Concept],
    measure_spans: Mapping[str, list[tuple[int, int]]],
    intent: Intent,
    vocab: Vocabulary,
) -> list[Concept]:
    """ "dirty memory", "slab memory", "tcp connections": a plain word just before a measure
    says which kind of it is asked, as much as the measure itself (the name must say it)."""
    before: dict[int, str] = {}
    previous = ""
    for word, start, _end in intent.tokens:
        before[start] = previous
        previous = word
    kinds = {
        before.get(start, "")
        for spans in measure_spans.values()
        for start, end in spans
        if not any(s < start < e for other in measure_spans.values() for s, e in other)
        # "the exporter up": a state said of a thing, not a noun it names a kind of.
        and stem(intent.text[start:end]) not in vocab.operation_words
    }
    out = [
        replace(c, weight=1.5) if c.plain and c.weight == 1.0 and c.word in kinds else c
        for c in concepts
    ]
    # "heap memory", "rss memory": a word of the measure before its plainest word names the
    # kind as well; the name must say it.
    seen = {c.word for c in out}
    for spans in measure_spans.values():
        for a, b in spans:
            word = stem(intent.text[a:b])
            # Words apart ("heap memory"), not alternatives ("up/down").
            follows = intent.text[b : b + 1] == " " and any(a2 == b + 1 for a2, _ in spans)
            if follows and " " not in word and word not in seen:
                seen.add(word)
                forms = {word, *vocab.abbreviations.get(word, ())}
                out.append(Concept(word, frozenset(forms), 1.5, plain=True))
    return out


# "… waiting to be written back to disk": what is to be done with the thing asked about.
_TO_BE = re.compile(r"\bto\s+be\s+[a-z]+")


def _purpose_clause(
    concepts: list[Concept], measure_spans: Mapping[str, list[tuple[int, int]]], intent: Intent
) -> list[Concept]:
    """ "How much dirty memory is waiting to be written back to disk": the words of a "to be
    …" clause say what will happen to the thing a measure before it names ("memory"); they
    weigh half a plain word, not as what is measured."""
    clause = _TO_BE.search(intent.text)
    if clause is None:
        return concepts
    at = clause.start()
    if not any(a < at for spans in measure_spans.values() for a, _ in spans):
        return concepts
    positions: dict[str, list[int]] = {}
    for word, start, _end in intent.tokens:
        positions.setdefault(word, []).append(start)
    out = []
    for concept in concepts:
        if concept.measure:
            starts = [a for a, _ in measure_spans.get(concept.measure, ())]
        else:
            starts = positions.get(concept.word, []) or [
                m.start() for m in re.finditer(re.escape(concept.word), intent.text)
            ]
        later = bool(starts) and all(a >= at for a in starts)
        out.append(replace(concept, weight=0.5) if later else concept)
    return out


def _heads(
    concepts: list[Concept],
    measure_spans: Mapping[str, list[tuple[int, int]]],
    intent: Intent,
    vocab: Vocabulary,
) -> list[Concept]:
    """ "key TTL", "disk temperature": a measure said just before another content word
    only says what that word is of; the word after it is what is measured."""
    plain = {c.word: c for c in concepts if not c.measure and c.alternatives and c.weight == 1.0}
    starts = sorted(start for _, start, _ in intent.tokens)
    following: dict[int, str] = {}
    for word, start, _end in intent.tokens:
        following[start] = word
    modifiers: set[str] = set()
    heads: set[str] = set()

    def content(word: str) -> bool:
        return bool(word) and word not in vocab.common_words and word not in vocab.operation_words

    for name, spans in measure_spans.items():
        nexts = []
        for _start, end in spans:
            after = next((s for s in starts if s > end), None)
            word = following.get(after, "") if after is not None else ""
            # The head ends the phrase: "key TTL per db", not "packets dropped".
            later = next((s for s in starts if after is not None and s > after), None)
            if later is not None and content(following.get(later, "")):
                word = ""
            nexts.append(word)
        if nexts and all(n in plain for n in nexts):
            modifiers.add(name)
            heads.update(nexts)
    # "the TTL of keys", "the size of tables": the measure after "of" says what it is of.
    for name, spans in measure_spans.items():
        if name in modifiers:
            continue
        befores = []
        for start, _end in spans:
            # "the TTL of redis keys": the system's name may come between.
            before = re.search(
                r"([a-z][a-z0-9]*)\s+of\s+(?:the\s+)?(?:([a-z][a-z0-9\-]*)\s+)?$",
                intent.text[:start],
            )
            between = stem(before.group(2)) if before and before.group(2) else ""
            if between and (between in vocab.measure_say_words or between in plain):
                before = None
            befores.append(stem(before.group(1)) if before else "")
        if befores and all(b in plain for b in befores):
            modifiers.add(name)
            heads.update(befores)
    if not modifiers:
        return concepts
    return [
        replace(c, weight=1.0)
        if c.measure in modifiers
        else (replace(c, weight=1.25) if not c.measure and c.word in heads else c)
        for c in concepts
    ]


# "all postgres databases", "across all the redis instances": every one of them, together.
_ALL_OF = re.compile(r"\b(?:all|across)(?:\s+of)?(?:\s+(?:the|our|these|those))?\s*$")


def context_for(
    intent: Intent, mentions: list[Mention], metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> Context:
    asked = [m for m in vocab.measures if m.name in intent.measures]
    others = [m for m in vocab.measures if m.name not in intent.measures]
    wanted = frozenset().union(*(m.metric_words for m in asked)) if asked else frozenset()
    unwanted = (
        frozenset().union(*(m.metric_words for m in others)) - wanted if others else frozenset()
    )
    group_words = list(intent.group_words)
    for mention in mentions:
        if intent.total and _ALL_OF.search(intent.text[: mention.start]):
            # "the total of all postgres databases", "across all the …": one number
            continue
        if kind_left_out(mention, intent.text):
            continue  # "non-template databases": the databases are what is counted
        following = re.match(r"\s+([a-z][a-z_\-]*s)\b", intent.text[mention.end :])
        if following and following.group(1) not in group_words:
            word = following.group(1)
            if stem(word) in vocab.measure_say_words or stem(word) in vocab.series_words:
                continue
            if any(_labels_named(word, m, vocab) for m in metrics):
                group_words.append(word)
    # "lock modes", "connection states": a measure's things told apart by a label.
    for measure in vocab.measures:
        if measure.name not in intent.measures:
            continue
        for pattern in measure.say:
            for match in pattern.finditer(intent.text):
                following = re.match(r"\s+([a-z][a-z_\-]*s)\b", intent.text[match.end() :])
                if not following or following.group(1) in group_words:
                    continue
                word = following.group(1)
                if stem(word) in vocab.measure_say_words or stem(word) in vocab.series_words:
                    continue
                if any(_labels_named(word, m, vocab) for m in metrics):
                    group_words.append(word)
    groupable = {
        word for word in group_words if any(_labels_named(word, m, vocab) for m in metrics)
    }
    # "what Go version": a subject no label tells apart is a word of what is measured.
    concepts = concepts_of(
        intent, mentions, vocab, [w for w in group_words if w in groupable or " " in w]
    )
    unwanted = (
        unwanted - frozenset().union(*(c.alternatives for c in concepts)) if concepts else unwanted
    )
    preferred = next((m.prefer for m in asked if m.prefer), "")
    counters = frozenset(split_name(m.name) for m in metrics if m.is_counter_like)

    unit = next((m.unit for m in asked if m.unit), "")
    levels_only = bool(asked) and all(m.prefer == "gauge" for m in asked)
    return Context(
        intent,
        concepts,
        mentions,
        wanted,
        unwanted,
        group_words,
        groupable,
        preferred,
        counters,
        stem(unit) if unit else "",
        frozenset(
            w
            for w, start, end in intent.tokens
            if not any(m.start <= start and end <= m.end for m in mentions)
        ),
        any(w in vocab.series_words for w, _, _ in intent.tokens),
        metrics,
        frozenset(
            w
            for w, _, _ in intent.tokens
            if len(w) >= 3
            and w.isalpha()
            and w not in vocab.common_words
            and w not in vocab.operation_words
        ),
        frozenset(intent.stems),
        frozenset(str(int(n)) for n in _NUMBERS.findall(intent.text)),
        levels_only=levels_only,
    )


def score_metric(metric: MetricInfo, ctx: Context, vocab: Vocabulary) -> Choice:
    intent = ctx.intent
    name_words = vocab.metric_words(metric.name)
    help_words = vocab.text_words(metric.help)
    parts = split_name(metric.name)
    # The name without a closing kind word (_total, _bytes …): what it is about.
    core = (
        frozenset(vocab.metric_words("_".join(parts[:-1])))
        if parts[-1:] and (parts[-1] in SUFFIX_WORDS)
        else name_words
    )
    score = 0.0
    reasons: list[str] = []
    covered = 0
    explained: set[str] = set()
    question_words = ctx.stems
    # Words of the name that shorten or run together the question's ("retrans", "pgfault").
    short = (
        {
            w: ctx.shortened(w, vocab)
            for w in parts
            if (w[:1] in ctx.initials or w[:2] in vocab.short_words) and w not in vocab.word_list
        }
        if ctx.asked
        else {}
    )
    short.update(_initials_in(parts, ctx.asked))
    fuzzy = frozenset().union(*short.values()) if short else frozenset()
    for concept in ctx.concepts:
        in_name = concept.alternatives & (name_words | fuzzy)
        if in_name:
            score += 3.0 * concept.weight
            covered += 1
            # One word of the name answers a concept; more of its synonyms are extra.
            hit = next(
                (
                    w
                    for w in parts
                    if (vocab.word_forms(w) | short.get(w, frozenset())) & concept.alternatives
                ),
                "",
            )
            explained.add(hit)
            reasons.append(f"its name says {concept.word}")
            # The very words said ("goroutines", "in use"), not only the measure's.
            score += 0.5 * min(len(concept.said & (name_words | fuzzy)), 2)
        elif concept.alternatives & help_words and not concept.name_only:
            score += (1.0 if concept.measure else 0.6) * concept.weight
            covered += 1
            if concept.said and _counts_said(metric.help, concept.said):
                # "number of connections in this state": it counts the very thing said.
                score += 2.0
                reasons.append(f"its help counts {concept.word}")
    if _has_name_written(parts, ctx, vocab):
        # "shared_buffers as a % of RAM": the name written is the metric's own words.
        score += _NAME_WRITTEN
        reasons.insert(0, "its name has the words written")
    if ctx.telling_labels(vocab) & metric.labels.keys():
        score += 0.6
        reasons.append("a label of it names the things said")
    unwanted = (name_words & ctx.unwanted) - SUFFIX_WORDS
    score -= min(0.3 * len(unwanted), 1.0)
    # What is left of a thing: "available" over "free" (what can be used, not what is
    # unused), unless the question says the very word the name has.
    order = vocab.pairs.get("available", ())
    left = [w for w in order if w in core]
    if left and not set(order) & question_words and order.index(left[0]) <= 1:
        score += 0.2
    share = intent.percent or intent.ratio or intent.share_of_limit or intent.near_limit
    for name, qualifier in vocab.qualifiers.items():
        if core & qualifier.metric_words and name not in intent.qualifiers:
            if name == "setting" and "limit" in intent.qualifiers:
                continue  # a limit is usually a setting
            if share and name in ("size", "available"):
                continue  # a share of a whole: the whole and what is left are its parts
            if name in ("size", "available") and ctx.used_of_whole(metric, vocab):
                continue  # what is used of a whole: its size less what is left
            score += qualifier.unasked
    if (
        not intent.qualifiers
        and not intent.implied_qualifier
        and intent.measures
        and not _counted_over_time(intent)
        and not metric.is_counter_like
        and core & frozenset(vocab.pairs.get("used", ()))
    ):
        score += 0.5  # "redis memory", "open files": an amount said alone is the amount in use
    # The type the measure is usually carried by.
    kind = _kind(metric)
    if kind == "unknown" and "current" in name_words:
        kind = "gauge"  # an untyped "CurrEstab": its name says it is a level now
    preferred = ctx.preferred_type
    if intent.per_second and preferred == "gauge":
        preferred = "counter"  # "connections per second": new ones, counted
    elif (
        intent.count_of
        and intent.window_word == "in"
        and preferred == "gauge"
        and "availability" not in intent.measures
    ):
        preferred = "counter"  # "how many new connections … in the last 15 min": counted
    if intent.predict_seconds and not intent.per_second:
        preferred = "gauge"  # where an amount will be
    if intent.growth:
        preferred = "gauge"  # how fast an amount grows, also "in MB per hour"
    if "availability" in intent.measures and kind == "counter" and not _counted_over_time(intent):
        score -= 1.5  # "is it up": a state, never a count of changes
    elif (
        (intent.count_of or intent.share_of_things)
        and preferred != "counter"
        and not _counted_over_time(intent)
    ):
        preferred = "gauge"  # "how many keys": how many there are now, not a count of events
    if kind == "counter" and ctx.levels_only and not _counted_over_time(intent):
        score -= 1.0  # "established connections": how many there are, not how many were made
    if preferred:
        if kind == preferred or (preferred == "counter" and kind == "unknown_counter"):
            score += 1.5
        elif preferred == "histogram" and kind == "summary":
            score += 1.0
        elif preferred == "histogram" and kind == "counter" and "second" in name_words:
            score += 0.3
        elif kind in ("histogram", "summary") and preferred != "histogram":
            score -= 1.5
    if ctx.preferred_unit == "count":
        if metric.unit.lower() in ("bytes", "seconds") or set(parts[-2:]) & {"byte", "second"}:
            score -= 1.0  # operations are counted, not measured in bytes or seconds
    elif ctx.preferred_unit and ctx.preferred_unit in (metric.unit.lower(), *parts[-2:]):
        score += 1.0  # network traffic is counted in bytes, unless packets are asked
    if intent.reach is not None and intent.reach.kind in ("bytes", "seconds"):
        # "until it reaches 1 GB": the level said is in the unit of what is measured.
        score += 1.0 if _unit_of(metric) == intent.reach.kind else -1.0
    elif intent.unit is not None and intent.unit[0] in ("bytes", "seconds"):
        # "in MB/s", "in ms": the unit asked says what is measured.
        score += 1.0 if _unit_of(metric) == intent.unit[0] else -1.0
    if intent.quantiles and kind not in ("histogram", "summary"):
        score -= 3.0  # only a distribution has percentiles
    counter = kind in ("counter", "unknown_counter")
    if (intent.per_second or intent.rate_word) and counter:
        score += 0.5
    if intent.per_second and kind == "gauge" and not core & _RATE_WORDS and not intent.growth:
        score -= 1.0  # "reads per second": events counted, not a level
    if (intent.ratio or intent.percent) and counter and _has_complement(metric, ctx, vocab):
        score += 2.0  # "hit ratio": one outcome of two counted ones
    if intent.down and core & _HEALTH_WORDS:
        score += 2.5
    if (
        (intent.down or "availability" in intent.measures)
        and (ctx.series_things or ctx.mentions)
        and _series_are_targets(metric, vocab)
    ):
        # "which targets are down", "is the node up": one series per target, not per
        # collector or network device.
        score += 2.0
    if "usage" in intent.qualifiers and ctx.used_of_whole(metric, vocab):
        # Its size less what is left is what is used: as if its name said so.
        usage = next((c for c in ctx.concepts if c.word == "usage"), None)
        literal = 0.5 * min(len(usage.said), 2) if usage is not None else 0.0
        weight = usage.weight if usage is not None else vocab.qualifiers["usage"].weight
        score += 3.0 * weight + literal
    if intent.count_of and any(
        _tells_apart(metric, label)
        for word in intent.count_of.split()[-1:]
        for label in _labels_named(word, metric, vocab)
    ):
        score += 1.0  # "how many interfaces": it has one series per interface to count
    if intent.uptime and is_timestamp(metric, vocab):
        score += 1.5  # "time since the last save": a point in time, its age asked
        if _unit_of(metric) == "seconds":
            score += 0.5  # time() - it is an age in seconds (not in milliseconds)
    elif intent.point_in_time and is_timestamp(metric, vocab):
        score += 2.0  # "when was it last restarted": a point in time, as it is
    elif intent.since and kind != "counter" and not core & {"uptime", "age", "since"}:
        # "how long ago was the last save": no duration, an age of a time (unless the name
        # says what it counts since: "changes since last save").
        score -= 1.5
    if "errors" in intent.measures and counter and status_label(metric, vocab) is not None:
        score += 2.0  # it can tell errors from the rest by a status-like label
    # "which clocksource": a label of an info metric named after "which", its value asked.
    label_asked = (
        intent.which
        and metric.name.endswith("_info")
        and any(w in ctx.groupable and _labels_named(w, metric, vocab) for w in ctx.group_words)
    )
    # Metadata, not measurements: build/version info, OpenMetrics creation times — unless
    # what is asked is carried by info series ("which distro": a name, in its labels).
    if metric.name.endswith(("_info", "_created")) or "build" in name_words:
        info_asked = label_asked or any("info" in m.metric_words for m in ctx.asked_measures(vocab))
        score += 1.0 if info_asked and metric.name.endswith("_info") else -3.0
    # Filters: a metric that carries every value the question names.
    filters, dropped = filters_for(metric, ctx.mentions, intent, vocab)
    for mention in ctx.mentions:
        if mention in dropped:
            if mention.weak:
                continue
            has_label = any(label in metric.labels for label, _ in mention.options)
            score -= 3.0 if has_label else 4.0
        elif (
            mention.words
            and mention.words <= name_words
            and not any(label in filters for label, _ in mention.options)
        ):
            score += 1.0  # its name says it: a value of no label of it
        else:
            score += 1.0 if mention.weak or not mention.exact else 2.0
            if (
                len(mention.words) == 1
                and parts[:1]
                and mention.words <= vocab.word_forms(parts[0])
                and not _label_named_after(mention, ctx.intent, vocab)
                and not _of_a_part(parts, explained, ctx.stems | ctx.alternatives, vocab)
            ):
                # The system named is the metric's namespace (redis_*, node_*): its own
                # measurement, not the exporter's process_* or go_* about itself.
                score += 1.0
    for word in ctx.group_words:
        if word in ctx.groupable:
            named = _labels_named(word, metric, vocab)
            # "per job" of a metric one job has: a grouping that tells nothing apart.
            apart = any(_tells_apart(metric, label) for label in named)
            if named and not apart and label_asked:
                # "which clocksource is the kernel using": an info metric's one value of the
                # label said is the answer, not a grouping.
                score += 2.0
                covered += 1
                reasons.append(f"its {named[0]} label says which")
            else:
                score += (0.5 if apart else -0.5) if named else -4.5
    # "the 5-minute load": a number of the name that the question says (load5, not load1).
    numbers = [w for w in parts if w.isdigit()]
    if numbers and ctx.numbers:
        score += 1.0 if set(numbers) & ctx.numbers else -0.5
    # Other words of the question in the name ("total" RAM, "running" processes).
    question = ctx.stems
    said = (core & ctx.free_words) - explained - vocab.common_words
    # … not once more as what a word already counted stands for ("S" of SReclaimable: slab).
    said -= frozenset().union(*(vocab.word_forms(w) for w in explained))
    score += 0.5 * min(len(said), 2)
    # Name words the question does not explain: simpler names win ties.
    # Words that only say events happened ("completed") say nothing more of what it is,
    # and words the question said of a measure ("heap" memory, "mem") are no extra.
    events = vocab.event_words
    said_words = frozenset().union(*(c.said for c in ctx.concepts)) if ctx.concepts else frozenset()
    extra = [
        w
        for w in parts
        if w not in explained
        and w not in question
        and w not in SUFFIX_WORDS
        and w not in events
        and not w.isdigit()
        and not vocab.word_forms(w) & said_words
    ]
    score -= min(0.25 * len(extra), 2.0)
    # A metric many services expose is the likelier subject of a question naming none.
    if not any(not m.weak for m in ctx.mentions):
        score += 0.5 * math.sqrt(min(len(metric.services), 10))
    score += 2.0 * metric.score
    return Choice(metric, score, reasons[:2], filters, dropped, covered)


def _of_a_part(
    parts: Sequence[str], explained: set[str], said: frozenset[str], vocab: Vocabulary
) -> bool:
    """ "prometheus_treecache_watcher_goroutines": after its namespace, two words or more the
    question does not say name a part of the system (its tree cache's watchers), not the
    system itself."""
    unsaid = [
        w
        for w in parts[1:]
        if w not in explained and w not in SUFFIX_WORDS and not vocab.word_forms(w) & said
    ]
    return len(unsaid) >= 2


def _has_name_written(parts: Sequence[str], ctx: Context, vocab: Vocabulary) -> bool:
    """The name has, in order, the words of a name the question writes with underscores
    ("work_mem"), on the side of the question being read (its tokens say them). A name
    with a value of a label in it ("blackbox_exporter") names that thing, not a metric."""
    if not ctx.intent.names_written:
        return False  # most questions: nothing to gather for each of 200 metrics
    said = {w for w, _, _ in ctx.intent.tokens}
    named = frozenset().union(*(m.words for m in ctx.mentions)) if ctx.mentions else frozenset()
    for written in ctx.intent.names_written:
        if not all(w in said or vocab.word_forms(w) & said for w in written):
            continue
        if named & set(written):
            continue
        n = len(written)
        if any(tuple(parts[i : i + n]) == written for i in range(len(parts) - n + 1)):
            return True
    return False


def _initials_in(parts: Sequence[str], asked: frozenset[str]) -> dict[str, frozenset[str]]:
    """Single letters of a name that begin the word after them, as /proc/meminfo writes
    "SUnreclaim" (slab, unreclaimable) and "KReclaimable" (kernel): each stands for the
    question's words that begin with it, when the question says the word after it too
    (the two are one term). A letter after a number is a unit ("2M", "4k")."""
    found: dict[str, frozenset[str]] = {}
    if not asked or all(len(part) != 1 for part in parts):
        return found
    for before, letter, after in zip(("", *parts), parts, (*parts[1:], ""), strict=False):
        if len(letter) != 1 or not letter.isalpha() or before.isdigit() or len(after) < 3:
            continue
        if any(w.startswith(after) for w in asked):
            words = frozenset(w for w in asked if w.startswith(letter) and len(w) > 2)
            if words:
                found[letter] = words
    return found


def _measure_names(vocab: Vocabulary) -> frozenset[str]:
    return frozenset(stem(m.name) for m in vocab.measures)


def _counted_over_time(intent: Intent) -> bool:
    """ "how many … in the last hour", "… per second": events counted, not an amount now."""
    return bool(
        intent.window_word or intent.per_second or intent.rate_word or intent.offset_seconds
    )


def _label_named_after(mention: Mention, intent: Intent, vocab: Vocabulary) -> bool:
    """ "the node job": the value is said to be one of a label's, not a system's name."""
    following = re.match(r"\W*([a-z]+)", intent.text[mention.end :])
    if not following:
        return False
    word = set(split_phrase(following.group(1)))
    return any(word & _label_words(label, vocab) for label, _ in mention.options)


_HEALTH_WORDS = frozenset({"up", "success", "healthy", "health", "alive"})
# Name words of a gauge that already holds a rate ("…_per_second", "…_rate").
_RATE_WORDS = frozenset({"per", "rate", "persecond", "ps"})


def _series_are_targets(metric: MetricInfo, vocab: Vocabulary) -> bool:
    """Every label that tells the metric's series apart names a target (job, instance …)."""
    return all(
        label in vocab.subject_labels or not _tells_apart(metric, label)
        for label in metric.labels
        if not label.startswith("__")
    )


def _has_complement(metric: MetricInfo, ctx: Context, vocab: Vocabulary) -> bool:
    parts = split_name(metric.name)
    asked = ctx.stems
    for index, word in enumerate(parts):
        if word in asked and word in vocab.complements:
            for other in vocab.complements[word]:
                if (*parts[:index], other, *parts[index + 1 :]) in ctx.counters:
                    return True
    return False


def _kind(metric: MetricInfo) -> str:
    if metric.type == "unknown":
        return "unknown_counter" if metric.is_counter_like else "unknown"
    return metric.type


def family(name: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def rank(
    intent: Intent,
    metrics: Sequence[MetricInfo],
    mentions: list[Mention],
    vocab: Vocabulary,
) -> tuple[list[Choice], Context]:
    """Candidates best first, one per histogram/summary family (its _bucket when it has one)."""
    pool = list(metrics[:MAX_CANDIDATES])
    ctx = context_for(intent, mentions, pool, vocab)
    choices = sorted(
        (score_metric(m, ctx, vocab) for m in pool), key=lambda c: (-c.score, c.metric.name)
    )
    by_name = {m.name: m for m in pool}
    seen: set[str] = set()
    ranked: list[Choice] = []
    for choice in choices:
        metric = choice.metric
        if metric.type in ("histogram", "summary"):
            key = family(metric.name)
            if key in seen:
                continue
            seen.add(key)
            bucket = by_name.get(f"{key}_bucket")
            base = by_name.get(key)
            representative = bucket or (
                base if base is not None and "quantile" in base.labels else None
            )
            if representative is not None and representative.name != metric.name:
                filters, dropped = filters_for(representative, mentions, intent, vocab)
                choice = Choice(
                    representative, choice.score, choice.reasons, filters, dropped, choice.covered
                )
        ranked.append(choice)
    return ranked, ctx


def of_another_thing(intent: Intent) -> bool:
    """ "A as a share of the host's RAM": the whole is said as another thing's."""
    if intent.ratio_of is None:
        return False
    start, end = intent.ratio_of[1]
    return bool(re.search(r"[a-z]'s\b", intent.text[start:end]))


def rank_ratio(
    intent: Intent,
    metrics: Sequence[MetricInfo],
    mentions: list[Mention],
    vocab: Vocabulary,
    per_thing: str = "",
    per_event: bool = False,
) -> list[tuple[Choice, Choice]]:
    """ "A as a share of B", "A vs its B": the best metrics for A, each with the best for B.

    B is scored on its own words and on what it shares with A ("connected clients vs its
    maxclients": redis's clients; "… as a fraction of the maximum": the maximum of A's thing).
    """
    sides = intent.ratio_of or _event_sides(intent, mentions)
    if sides is None:
        return []
    # A share of events ("segments retransmitted" of all segments): two counts of events.
    events = intent.ratio_of is None
    pool = list(metrics[:MAX_CANDIDATES])
    a_span, b_span = sides
    # "the host's RAM": B is another thing's; the values named elsewhere are not of it. (A part
    # of a whole is the same thing's: "what % of prometheus's heap has been released".)
    another_things = of_another_thing(intent)
    if another_things:
        inside = [m for m in mentions if b_span[0] <= m.start < b_span[1]]
        a_mentions = mentions if intent.part_of_whole else [m for m in mentions if m not in inside]
        b_mentions = inside
    else:
        a_mentions = b_mentions = mentions
    a_side = side_of(intent, a_span, vocab)
    # "memory per key": memory said alone is the memory in use on its side too.
    imply_qualifier(a_side, a_mentions, vocab)
    a_ranked, a_ctx = rank(a_side, pool, a_mentions, vocab)
    b_ctx = context_for(side_of(intent, b_span, vocab), b_mentions, pool, vocab)
    if not b_ctx.concepts:
        return []
    b_choices = [
        choice
        for metric in pool
        if metric.type not in ("histogram", "summary")
        and any(c.alternatives & vocab.metric_words(metric.name) for c in b_ctx.concepts)
        and (choice := score_metric(metric, b_ctx, vocab)) is not None
    ]
    limit_words = frozenset(vocab.pairs.get("limit", ()))
    size_words = frozenset(vocab.pairs.get("size", ()))
    roles = (
        frozenset(vocab.pairs.get("used", ()))
        | frozenset(vocab.pairs.get("available", ()))
        | limit_words
    )
    state_ctx = (
        context_for(side_of(intent, (intent.share_state_at, a_span[1]), vocab), [], pool, vocab)
        if events
        else None
    )
    # "GETs as a % of all redis commands": values named in A alone narrow A, not B, when B
    # is said as all of them.
    of_all = bool(_ALL_OF.match(intent.text, b_span[0]))
    a_only = (
        set()
        if not of_all
        else {label for m in mentions if a_span[0] <= m.start < a_span[1] for label, _ in m.options}
        - {
            label
            for m in mentions
            if b_span[0] <= m.start < b_span[1]
            for label in _whose(m, vocab)
        }
    )
    # "what % of the RAM is anonymous memory": the words only the part's side says name the
    # part; a metric that says them is another part of its kind, not the whole.
    part_words = (
        frozenset().union(*(c.alternatives for c in a_ctx.concepts))
        - frozenset().union(*(c.alternatives for c in b_ctx.concepts))
        if intent.part_of_whole
        else frozenset()
    )
    pairs: list[tuple[float, Choice, Choice]] = []
    events_per_event = bool(a_ranked) and a_ranked[0].metric.is_counter_like
    # "what % of the probe's time is spent on the connect": a part named by a value alone.
    a_named = {
        label for m in a_mentions if a_span[0] <= m.start < a_span[1] for label, _ in m.options
    }
    for a in a_ranked[:3]:
        narrowed = set(a.filters) & a_only
        named = intent.part_of_whole and set(a.filters) & a_named
        if (a.covered == 0 and not narrowed and not named) or a.metric.type in (
            "histogram",
            "summary",
        ):
            continue
        if per_thing and per_thing in vocab.metric_words(a.metric.name):
            continue  # "samples per scrape" of a metric of scrapes: it is per scrape already
        if state_ctx is not None:
            # The events that end so say how: "retransmitted" (RetransSegs), and are counted
            # (no gauge); one of two outcomes ("rolled back") is composed with its whole, both
            # outcomes, instead.
            if a.metric.type == "gauge" or score_metric(a.metric, state_ctx, vocab).covered == 0:
                continue
            if complement_partner(a.metric, pool, vocab, split_name(a.metric.name)):
                continue
        mine = _kin_words(a.metric, vocab)
        own = core_words(a.metric, vocab, roles)
        best: tuple[float, str, Choice] | None = None
        for b in b_choices:
            if b.metric.name == a.metric.name and narrowed and not events:
                # The same metric, A filtered on what only A names, B on the rest: a part of
                # all of it.
                b = replace(b, filters={k: v for k, v in b.filters.items() if k not in narrowed})
            elif b.metric.name == a.metric.name:
                continue
            elif not per_thing and not _same_unit(a.metric, b.metric):
                continue  # a share is of the same unit; "bytes per key" is not a share
            # "memory per key": an amount now over the things there are now; "commands/sec per
            # client": a rate now over them; "average size of a command", and "rows inserted
            # per committed transaction" when A's words name events best: events over events.
            counted = (a.metric.is_counter_like, b.metric.is_counter_like)
            wanted = (True, False) if intent.per_second else (per_event, per_event)
            events_over_events = all(counted) and events_per_event and not intent.per_second
            if per_thing and any(counted) and counted != wanted and not events_over_events:
                continue
            if per_thing and any(
                c.alternatives & vocab.metric_words(b.metric.name)
                for c in a_ctx.concepts
                # "the shop db": a thing a label of B tells apart, not what A measures.
                if not group_labels(sorted(c.alternatives), b.metric, vocab)
            ):
                continue  # "samples per scrape": scraped samples count no scrapes
            if events and b.metric.type == "gauge":
                continue
            if part_words & vocab.metric_words(b.metric.name):
                continue
            # Words of B's name that A's has too (in any form): how alike they are.
            # (Not when B is another thing's: "shared_buffers as a % of the machine's RAM" is
            # of all its RAM, not of the machine's buffers.)
            kin = sum(
                1.0
                for w in split_name(b.metric.name)
                if w not in SUFFIX_WORDS and vocab.word_forms(w) & mine and not another_things
            )
            if part_words:
                # The whole says no more than its part does, but that it is the whole.
                kin -= sum(
                    1.0
                    for w in split_name(b.metric.name)
                    if w not in SUFFIX_WORDS and w not in roles and not vocab.word_forms(w) & mine
                )
            # B is the whole: of levels alike, one whose name says it is a whole ("MemTotal"
            # for "the machine's RAM") over its parts (Slab, Buffers).
            if not b.metric.is_counter_like and set(split_name(b.metric.name)) & size_words:
                kin += 0.5
            # Names that say "used" and "its limit" of one thing are a pair by themselves.
            if set(split_name(b.metric.name)) & limit_words:
                theirs = core_words(b.metric, vocab, roles)
                if theirs == own:
                    kin += 1.5
                elif theirs < own and len(own - theirs) == 1:
                    kin += 0.5
            key = (b.score + kin, b.metric.name, b)
            if best is None or key[:2] > best[:2]:
                best = key
        if best is not None:
            pairs.append((a.score + best[0], a, best[2]))
    # The pair that fits best as a whole: A's words, B's words, and how alike they are.
    pairs.sort(key=lambda p: -p[0])
    return [(a, b) for _, a, b in pairs]


_ALL_OF = re.compile(r"\s*(?:the\s+)?(?:all|every|total)\b")


def _whose(mention: Mention, vocab: Vocabulary) -> set[str]:
    """The labels a value names: only its subject's ("the total postgres database size":
    the postgres job's, not a database called postgres) when it can be one."""
    labels = {label for label, _ in mention.options}
    return (labels & set(vocab.subject_labels)) or labels


def _event_sides(
    intent: Intent, mentions: Sequence[Mention]
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The two sides of "what percentage of <things> are <state>ed", unless the state is a
    value of a label (then the share is of series in that state, told apart by it)."""
    if intent.share_of_events is None:
        return None
    if any(m.end > intent.share_state_at for m in mentions):
        return None
    return intent.share_of_events


def _kin_words(metric: MetricInfo, vocab: Vocabulary) -> frozenset[str]:
    """The words of what a metric is about (its name less kind words), short forms spelt out."""
    return frozenset().union(
        *(vocab.word_forms(w) for w in split_name(metric.name) if w not in SUFFIX_WORDS)
    )


# --- partners for ratios


def core_words(metric: MetricInfo, vocab: Vocabulary, drop: Iterable[str] = ()) -> frozenset[str]:
    """What a metric's name is about: its words less kind words and `drop`, short forms
    spelt out ("node_memory_MemTotal" is node memory, "mem" said twice)."""
    return _core_words(metric.name, vocab, frozenset(drop))


def _core_words(name: str, vocab: Vocabulary, drop: frozenset[str]) -> frozenset[str]:
    def make() -> frozenset[str]:
        dropped = drop | SUFFIX_WORDS
        words = set()
        for word in split_name(name):
            if word in dropped:
                continue
            long = vocab.abbreviations.get(word, ())
            words.add(long[0] if len(long) == 1 and long[0] not in dropped else word)
        return frozenset(words)

    return vocab.memo(("core:" + name, " ".join(sorted(drop))), make)


def _same_unit(a: MetricInfo, b: MetricInfo) -> bool:
    return _unit_of(a) == _unit_of(b)


def _unit_of(metric: MetricInfo) -> str:
    unit = metric.unit.lower()
    name = metric.name.removesuffix("_total")
    if unit in ("bytes", "byte") or name.endswith("_bytes"):
        return "bytes"
    if unit in ("seconds", "second") or name.endswith("_seconds"):
        return "seconds"
    return unit


def limit_partner(
    metric: MetricInfo, metrics: Sequence[MetricInfo], vocab: Vocabulary, kind: str = "limit"
) -> MetricInfo | None:
    """The metric of the same thing that holds its limit (kind "limit") or whole ("size")."""
    limit_words = frozenset(vocab.pairs.get(kind, ()))
    role_words = (
        frozenset(vocab.pairs.get("used", ()))
        | frozenset(vocab.pairs.get("available", ()))
        | limit_words
    )
    own = core_words(metric, vocab, role_words)
    best: tuple[float, str, MetricInfo] | None = None
    for other in metrics:
        if other.name == metric.name or other.type not in ("gauge", "unknown"):
            continue
        words = split_name(other.name)
        if not set(words) & limit_words or not _same_unit(metric, other):
            continue
        if set(words) & frozenset(vocab.pairs.get("available", ())):
            continue
        theirs = core_words(other, vocab, role_words)
        shared = len(own & theirs)
        missing = len(own - theirs)
        extra = len(theirs - own)
        if shared == 0 or missing > 1 or extra > 0:
            continue
        key = (shared - 0.5 * (missing + extra), other.name, other)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def limit_pair(
    metric: MetricInfo,
    metrics: Sequence[MetricInfo],
    vocab: Vocabulary,
    sizes: dict[str, MetricInfo | None] | None = None,
) -> tuple[str, MetricInfo, MetricInfo] | None:
    """("used", used, limit) or ("available", available, size) for the metric's thing.

    `sizes`: the whole found for each metric of what is left, kept across calls on the
    same candidates (one question)."""
    sizes = {} if sizes is None else sizes
    used_words = frozenset(vocab.pairs.get("used", ()))
    free_words = frozenset(vocab.pairs.get("available", ()))
    limit_words = frozenset(vocab.pairs.get("limit", ()))
    roles = used_words | free_words | limit_words
    words = set(split_name(metric.name))
    own = core_words(metric, vocab, roles)
    if words & used_words and (limit := limit_partner(metric, metrics, vocab)):
        return "used", metric, limit
    # What is left of it and its size: "1 - available / size" (node memory, disks).
    order = list(vocab.pairs.get("available", ()))

    def rank_free(candidate: MetricInfo) -> int:
        found = [order.index(w) for w in split_name(candidate.name) if w in order]
        return min(found) if found else len(order)

    lefts = [
        m
        for m in metrics
        if m is not metric
        and not free_words.isdisjoint(split_name(m.name))
        and not m.is_counter_like
    ]
    candidates = [metric, *sorted(lefts, key=rank_free)]
    # What is left of this very thing, every word of it ("swap" free, not memory's) …
    for strict in (True, False):
        for candidate in candidates:
            if candidate.is_counter_like or free_words.isdisjoint(split_name(candidate.name)):
                continue
            theirs = core_words(candidate, vocab, roles)
            alike = not own - theirs if strict else len(theirs & own) >= 2
            # … else of what it is part of (shared memory: the node's memory).
            if candidate is metric or (alike and len(theirs - own) <= 1):
                if candidate.name not in sizes:
                    sizes[candidate.name] = limit_partner(
                        candidate, metrics, vocab, "size"
                    ) or _whole_of(candidate, metrics, free_words)
                size = sizes[candidate.name]
                if size is not None:
                    return "available", candidate, size
    if not words & limit_words and (limit := limit_partner(metric, metrics, vocab)):
        return "used", metric, limit
    if words & limit_words:
        # The limit itself was chosen ("percent of its memory limit"): find what uses it.
        for candidate in metrics:
            cwords = set(split_name(candidate.name))
            if candidate.is_counter_like or cwords & (limit_words | free_words):
                continue
            if core_words(candidate, vocab, roles) == own:
                return "used", candidate, metric
    return None


def used_of_whole(
    metric: MetricInfo,
    metrics: Sequence[MetricInfo],
    intent: Intent,
    vocab: Vocabulary,
    sizes: dict[str, MetricInfo | None] | None = None,
) -> tuple[MetricInfo, MetricInfo] | None:
    """(available, size) when the question asks how much of a whole is used, and the
    metric is the whole or what is left of it, with no metric of its own for the used part
    ("memory used on the node" = MemTotal - MemAvailable; as a share, 1 - available / size)."""
    if "usage" not in intent.qualifiers or metric.is_counter_like:
        return None
    roles = frozenset(vocab.pairs.get("available", ())) | frozenset(vocab.pairs.get("size", ()))
    if not set(split_name(metric.name)) & roles:
        return None
    found = limit_pair(metric, metrics, vocab, sizes)
    if found is None or found[0] != "available":
        return None
    if metric.name not in (found[1].name, found[2].name):
        return None
    return found[1], found[2]


def _whole_of(
    free: MetricInfo, metrics: Sequence[MetricInfo], free_words: frozenset[str]
) -> MetricInfo | None:
    """The metric named as the free one less its "free" word: files_free → files."""
    whole = tuple(w for w in split_name(free.name) if w not in free_words)
    return next(
        (
            m
            for m in metrics
            if m.name != free.name
            and not m.is_counter_like
            and split_name(m.name) == whole
            and _same_unit(m, free)
        ),
        None,
    )


def complement_partner(
    metric: MetricInfo, metrics: Sequence[MetricInfo], vocab: Vocabulary, asked: Iterable[str]
) -> tuple[str, MetricInfo] | None:
    """The counter of the other outcome: hits ↔ misses, rollbacks ↔ commits."""
    mine = split_name(metric.name)
    asked = set(asked)
    for index, word in enumerate(mine):
        if word not in asked or word not in vocab.complements:
            continue
        for other_word in vocab.complements[word]:
            wanted = (*mine[:index], other_word, *mine[index + 1 :])
            for other in metrics:
                if other.name != metric.name and split_name(other.name) == wanted:
                    return word, other
    return None


def whole_of_parts(
    metric: MetricInfo, metrics: Sequence[MetricInfo], intent: Intent, vocab: Vocabulary
) -> list[MetricInfo]:
    """The counters that are the parts of the metric's whole (redis cpu user/sys seconds),
    when the question names none of the parts, or every one of them; else []."""
    return _parts(metric, metrics, intent, vocab, named_only=False)


def named_part_of(
    metric: MetricInfo, metrics: Sequence[MetricInfo], intent: Intent, vocab: Vocabulary
) -> list[MetricInfo]:
    """The counters that are the parts of the metric's whole, the metric first, when the
    question names the metric's part and not every one ("what fraction of the cpu time is
    sys"); else []."""
    return _parts(metric, metrics, intent, vocab, named_only=True)


def _parts(
    metric: MetricInfo,
    metrics: Sequence[MetricInfo],
    intent: Intent,
    vocab: Vocabulary,
    named_only: bool,
) -> list[MetricInfo]:
    mine = split_name(metric.name)
    for index, word in enumerate(mine):
        for group in vocab.parts:
            own = next((part for part in group if word in part), None)
            if own is None:
                continue
            found = {own: metric}
            for other in metrics:
                theirs = split_name(other.name)
                if (
                    other.name == metric.name
                    or other.is_counter_like != metric.is_counter_like
                    or len(theirs) != len(mine)
                    or theirs[:index] != mine[:index]
                    or theirs[index + 1 :] != mine[index + 1 :]
                    or set(other.labels) != set(metric.labels)
                ):
                    continue
                part = next((p for p in group if theirs[index] in p), None)
                if part is not None and part not in found:
                    found[part] = other
            if len(found) < 2:
                continue
            asked = intent
            if named_only and intent.contrast_at >= 0:
                # "… is sys rather than user": only what is said before the contrast names.
                cut = intent.contrast_at
                asked = replace(
                    intent, text=intent.text[:cut], tokens=[t for t in intent.tokens if t[1] < cut]
                )
            named = [part for part in found if _part_named(part, group, asked, vocab)]
            if named_only:
                if named == [own]:
                    return [
                        metric,
                        *sorted(
                            (m for m in found.values() if m is not metric), key=lambda m: m.name
                        ),
                    ]
                return []
            if not named or len(named) == len(found):
                return sorted(found.values(), key=lambda m: m.name)
            return []
    return []


def _part_named(
    part: frozenset[str], group: Sequence[frozenset[str]], intent: Intent, vocab: Vocabulary
) -> bool:
    """The question names this part: its words, or a measure said only of it ("incoming")."""
    said = set(intent.stems)
    for word in intent.stems:
        said.update(inflections(word))
    for _span, synonym_words in vocab.synonyms_in(intent.text):
        said.update(synonym_words)
    if part & said:
        return True
    for measure in vocab.measures:
        if measure.name in intent.measures:
            parts_of_it = [p for p in group if p & measure.metric_words]
            if parts_of_it == [part]:
                return True
    return False


def total_partner(
    metric: MetricInfo,
    metrics: Sequence[MetricInfo],
    vocab: Vocabulary,
    removed: Iterable[str],
    counts_only: bool = False,
) -> MetricInfo | None:
    """The counter of all events, for a counter of some of them (failed calls → calls),
    or of their count, for a counter of their total time (duration seconds → commands;
    `counts_only`: a count of events, never bytes or seconds)."""
    removable = set(removed)
    own = core_words(metric, vocab)
    events = frozenset(vocab.event_words)
    best: tuple[int, str, MetricInfo] | None = None
    for other in metrics:
        if other.name == metric.name or not other.is_counter_like:
            continue
        if other.name.endswith(("_bucket", "_sum")):
            continue
        if counts_only and set(split_name(other.name)) & {"byte", "second"}:
            continue
        # "reads completed" counts reads: words that only say "events" do not count.
        theirs = core_words(other, vocab) - events
        if not theirs or not theirs < own:
            continue
        gone = own - theirs
        if not gone <= removable:
            continue
        if set(other.labels) - set(metric.labels) - {"__name__"}:
            continue
        key = (len(theirs), other.name, other)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def event_count_partner(
    metric: MetricInfo, metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> MetricInfo | None:
    """The counter of the events a bytes or seconds counter adds up, named as the same thing
    ("written bytes" → "writes completed"): the average size (or time) of one event is the
    one over the other. Words that only say events happened, and a part's synonyms
    (written/write), do not tell them apart."""
    amounts = frozenset({"byte", "second", "time", "size", "sector"})
    own = core_words(metric, vocab) - amounts
    if not own or not set(split_name(metric.name)) & amounts:
        return None
    events = frozenset(vocab.event_words)
    best: tuple[int, str, MetricInfo] | None = None
    for other in metrics:
        if other.name == metric.name or not other.is_counter_like:
            continue
        if other.name.endswith(("_bucket", "_sum")) or set(split_name(other.name)) & amounts:
            continue
        if set(other.labels) - set(metric.labels) - {"__name__"}:
            continue
        theirs = core_words(other, vocab) - events
        if not theirs or len(theirs) != len(own):
            continue
        if not all(any(_same_word(a, b, vocab) for b in own) for a in theirs):
            continue
        if not all(any(_same_word(a, b, vocab) for b in theirs) for a in own):
            continue
        key = (len(core_words(other, vocab)), other.name, other)
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best else None


def _same_word(a: str, b: str, vocab: Vocabulary) -> bool:
    """One word in two forms: the same, a short form of the other, or synonyms of one part."""
    if a == b or vocab.word_forms(a) & vocab.word_forms(b):
        return True
    return any(a in part and b in part for group in vocab.parts for part in group)


def family_part(metric: MetricInfo, suffix: str, by_name: Mapping[str, MetricInfo]) -> MetricInfo:
    """`<family>_<suffix>` of a histogram/summary, from the grounding or described from its kin."""
    name = f"{family(metric.name)}{suffix}"
    known = by_name.get(name)
    if known is not None:
        return known
    labels = {k: v for k, v in metric.labels.items() if k not in ("le", "quantile")}
    return MetricInfo(
        name,
        metric.type,
        metric.help,
        metric.unit,
        family(metric.name),
        labels,
        metric.series_count,
        metric.services,
        metric.truncated_labels,
    )


_TIMESTAMP_WORDS = frozenset({"time", "timestamp", "boot", "start", "epoch", "created"})


def is_timestamp(metric: MetricInfo, vocab: Vocabulary) -> bool:
    """A gauge whose value is a point in time (seconds since the epoch)."""
    words = set(split_name(metric.name))
    if not words & _TIMESTAMP_WORDS or metric.is_counter_like:
        return False
    help_words = vocab.text_words(metric.help)
    return "timestamp" in words or bool(
        help_words & {"epoch", "unixtime", "unix", "timestamp", "since"}
    )


def status_label(metric: MetricInfo, vocab: Vocabulary) -> str | None:
    """The label of a metric that carries HTTP-style status codes, if it has one."""
    for label, values in metric.labels.items():
        if values and all(_STATUS_VALUE.match(v) for v in values):
            return label
    for label in vocab.status_labels:
        if label in metric.labels:
            return label
    return None


def idle_label(metric: MetricInfo, vocab: Vocabulary) -> tuple[str, str] | None:
    """(label, value) of the idle state of a per-mode time counter ("CPU in use" = not idle)."""
    for label, values in metric.labels.items():
        for value in values:
            if value.lower() in vocab.idle_values:
                return label, value
    return None


def estimate_series(metric: MetricInfo, filters: Mapping[str, Sequence[str]]) -> float:
    """Series the selector is expected to match: the catalog's count narrowed by the filters."""
    if metric.series_count <= 0:
        return math.inf
    estimate = float(metric.series_count)
    for key, chosen in filters.items():
        label = filter_label(key)
        values = metric.labels.get(label, ())
        if key != label and values and label not in metric.truncated_labels:
            estimate *= max(len(values) - len(chosen), 1) / len(values)
            continue
        if label in metric.truncated_labels or not values:
            return max(estimate, 2.0) if estimate > 1 else estimate
        estimate *= min(len(chosen), len(values)) / len(values)
    return estimate


def whole_by_name(metric: MetricInfo, metrics: Sequence[MetricInfo]) -> MetricInfo | None:
    """The gauge named as this one less one word of its thing: keys_expiring → keys (the
    keys, some of which expire); a share of it is this one over that."""
    parts = split_name(metric.name)
    if metric.is_counter_like or len(parts) < 3:
        return None
    wholes = {parts[:i] + parts[i + 1 :] for i in range(1, len(parts))}
    return next(
        (
            m
            for m in metrics
            if m.name != metric.name
            and not m.is_counter_like
            and split_name(m.name) in wholes
            and _same_unit(m, metric)
        ),
        None,
    )


_COUNT_OF = re.compile(r"\bnumber\s+of\s+([a-z]+)(?:\s+([a-z]+))?")


def _counts_said(help_text: str, said: frozenset[str]) -> bool:
    """The help text says the metric is the number of a thing the question names ("number
    of connections", "number of open connections")."""
    return any(
        stem(word) in said
        for m in _COUNT_OF.finditer(help_text.lower())
        for word in m.groups()
        if word
    )
