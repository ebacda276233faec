"""The planner: a deterministic, grounded NL→PromQL engine with no network.

Three small stages over the grounding the catalog gave:

1. parse   the question into an `Intent` — what is measured, what to do with it
           (rate, quantiles, average, ratio, top-k, threshold, comparison with
           an earlier time, peak over a window), filters, grouping — using only
           the words in `vocabulary.yaml`;
2. choose  the metric(s) by scoring candidates against the intent: words in
           their names and help, their type and unit, the labels they carry;
3. compose PromQL from the metric's type: counters through rate()/increase(),
           gauges as they are, histograms through histogram_quantile() over
           `sum by (le, …)`, ratios with the same grouping on both sides.

A remembered example that is near-identical to the question is reused first.
The same question and catalog always give the same PromQL.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from obsai_query.catalog_client import MetricInfo
from obsai_query.engines.base import Generation, QueryPart
from obsai_query.grounding import Grounding
from obsai_query.time_range import format_duration

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SEPARATORS = re.compile(r"[\s_\-./:]+")
_EXAMPLE_REUSE_SIMILARITY = 0.97


@cache
def _stem(word: str) -> str:
    word = word.lower()
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _tokens(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower().replace("_", " "))]


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.lower().split()]
    body = r"\s+".join(words)
    if re.match(r"\w", phrase):
        body = r"(?<![\w])" + body
    if re.search(r"\w$", phrase):
        body = body + r"s?(?![\w])"
    return re.compile(body)


# --- vocabulary


@dataclass(frozen=True)
class Measure:
    name: str
    say: tuple[re.Pattern[str], ...]
    metric_words: frozenset[str]
    prefer: str = ""
    aggregate: str = "sum"


@dataclass(frozen=True)
class Vocabulary:
    measures: tuple[Measure, ...]
    qualifiers: Mapping[str, tuple[tuple[re.Pattern[str], ...], frozenset[str], float]]
    operations: Mapping[str, tuple[re.Pattern[str], ...]]
    status_classes: Mapping[str, tuple[tuple[re.Pattern[str], ...], str]]
    status_labels: tuple[str, ...]
    label_synonyms: Mapping[str, tuple[str, ...]]
    filter_label_priority: tuple[str, ...]
    subject_labels: tuple[str, ...]
    defaults: Mapping[str, Any]
    rewrites: tuple[tuple[re.Pattern[str], str], ...] = ()

    def rewrite(self, text: str) -> str:
        for pattern, replacement in self.rewrites:
            text = pattern.sub(replacement, text)
        return text

    def says(self, operation: str, text: str) -> bool:
        return any(p.search(text) for p in self.operations.get(operation, ()))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Vocabulary:
        def patterns(words: Iterable[str]) -> tuple[re.Pattern[str], ...]:
            return tuple(_phrase_pattern(str(w)) for w in words)

        measures = tuple(
            Measure(
                name,
                patterns(spec.get("say", ())),
                frozenset(_stem(str(w)) for w in spec.get("metric", ())),
                str(spec.get("prefer", "")),
                str(spec.get("aggregate", "sum")),
            )
            for name, spec in data.get("measures", {}).items()
        )
        qualifiers = {
            name: (
                patterns(spec.get("say", ())),
                frozenset(_stem(w) for w in spec["metric"]),
                float(spec.get("unasked", 0.0)),
            )
            for name, spec in data.get("qualifiers", {}).items()
        }
        return cls(
            measures=measures,
            qualifiers=qualifiers,
            operations={k: patterns(v) for k, v in data.get("operations", {}).items()},
            status_classes={
                name: (patterns(spec.get("say", ())), str(spec["pattern"]))
                for name, spec in data.get("status_classes", {}).items()
            },
            status_labels=tuple(data.get("status_labels", ())),
            label_synonyms={str(k): tuple(v) for k, v in data.get("label_synonyms", {}).items()},
            filter_label_priority=tuple(data.get("filter_label_priority", ())),
            subject_labels=tuple(data.get("subject_labels", ())),
            defaults=dict(data.get("defaults", {})),
            rewrites=tuple(
                (_phrase_pattern(str(k)), str(v)) for k, v in data.get("rewrites", {}).items()
            ),
        )


@cache
def default_vocabulary() -> Vocabulary:
    text = (
        importlib.resources.files("obsai_query.engines")
        .joinpath("vocabulary.yaml")
        .read_text(encoding="utf-8")
    )
    return Vocabulary.from_mapping(yaml.safe_load(text))


# --- stage 1: parse


@dataclass
class Intent:
    measures: list[str] = field(default_factory=list)
    quantiles: list[float] = field(default_factory=list)
    average: bool = False
    total: bool = False
    per_second: bool = False
    peak: str = ""  # max | min, over the question's window
    growth: bool = False
    percent: bool = False
    share_of_limit: bool = False
    near_limit: bool = False
    top: tuple[str, int] | None = None  # (topk | bottomk, k)
    threshold: tuple[str, float, bool] | None = None  # (op, value, given as %)
    offset_seconds: float = 0.0
    group_words: list[str] = field(default_factory=list)
    which: bool = False
    status_classes: list[str] = field(default_factory=list)
    qualifiers: set[str] = field(default_factory=set)
    question_tokens: set[str] = field(default_factory=set)


_QUANTILE_P = re.compile(r"\bp(\d{2,3}(?:\.\d+)?)\b")
_QUANTILE_TH = re.compile(r"\b(\d{1,2}(?:\.\d+)?)(?:st|nd|rd|th)\b")
_TOP_N = re.compile(
    r"\b(?:top|bottom|which|what|the)\s+(\d{1,3})\b|\b(\d{1,3})\s+(?:most|least|highest|lowest|busiest|slowest|biggest|largest)\b"
)
_THRESHOLD = re.compile(
    r"\b(above|over|more than|greater than|exceeding|exceeds|higher than|at least|"
    r"below|under|less than|lower than|at most)\s+(\d+(?:\.\d+)?)\s*(%|percent)?"
)
_AGO = re.compile(
    r"\b(\d+|an?|one|two|three|six|twelve|24)\s+(minute|hour|day|week)s?\s+ago\b"
    r"|\b(?:to|than|vs\.?|versus|with|against)\s+(?:the\s+)?(yesterday|last week|last hour)\b"
)
_GROUP = re.compile(
    r"\b(?:by|per|each|every|across|for all|for each|for every|all)\s+(?:the\s+)?"
    r"([a-z][a-z_ ]{1,30}?)"
    r"(?=$|[\s,?.!;]|\b(?:in|with|and|that|where)\b)"
)
_WHICH = re.compile(r"\bwhich\s+(?:\d+\s+)?([a-z][a-z_]+)")
_TOP_SUBJECT = re.compile(r"\b(?:top|bottom)\s+(?:\d+\s+)?(?:[a-z]+est\s+)?([a-z]+s)\b")
_SUBJECT_WITH = re.compile(r"\b([a-z]+s)\s+(?:with|where|that|having|whose)\b")
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "six": 6, "twelve": 12}
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_LESS = ("below", "under", "less than", "lower than", "at most")


def parse_intent(question: str, vocab: Vocabulary) -> Intent:
    text = vocab.rewrite(question.lower())
    intent = Intent(question_tokens=set(_tokens(text)))
    found = []
    for measure in vocab.measures:
        positions = [m.start() for p in measure.say for m in p.finditer(text)]
        if positions:
            found.append((min(positions), measure.name))
    intent.measures = [name for _, name in sorted(found)]
    for name, (patterns, _words, _unasked) in vocab.qualifiers.items():
        if any(p.search(text) for p in patterns):
            intent.qualifiers.add(name)

    for match in _QUANTILE_P.finditer(text):
        value = float(match.group(1))
        intent.quantiles.append(value / 1000 if value > 100 else value / 100)
    if "percentile" in text or "quantile" in text:
        for match in _QUANTILE_TH.finditer(text):
            intent.quantiles.append(float(match.group(1)) / 100)
    if vocab.says("median", text):
        intent.quantiles.append(0.5)
    intent.quantiles = sorted(dict.fromkeys(q for q in intent.quantiles if 0 < q < 1))

    intent.average = vocab.says("average", text)
    intent.total = vocab.says("total", text)
    intent.per_second = vocab.says("per_second", text)
    intent.growth = vocab.says("growth", text)
    intent.percent = vocab.says("percent", _THRESHOLD.sub(" ", text))
    intent.share_of_limit = vocab.says("share_of_limit", text)
    intent.near_limit = vocab.says("near_limit", text)
    if vocab.says("peak", text):
        intent.peak = "max"
    elif vocab.says("minimum_over_time", text):
        intent.peak = "min"

    if threshold := _THRESHOLD.search(text):
        op = "<" if threshold.group(1) in _LESS else ">"
        intent.threshold = (op, float(threshold.group(2)), bool(threshold.group(3)))

    top_n = _TOP_N.search(text)
    count = int(top_n.group(1) or top_n.group(2)) if top_n else 0
    if vocab.says("bottom", text):
        intent.top = ("bottomk", count or int(vocab.defaults.get("top_k", 5)))
    elif vocab.says("top", text) or count:
        intent.top = ("topk", count or int(vocab.defaults.get("top_k", 5)))
    if intent.threshold is not None or intent.peak:
        intent.top = None if not count else intent.top

    if ago := _AGO.search(text):
        if ago.group(3):
            intent.offset_seconds = {"yesterday": 86400, "last week": 604800}.get(
                ago.group(3), 3600
            )
        else:
            number = ago.group(1)
            n = int(number) if number.isdigit() else _NUMBER_WORDS.get(number, 1)
            intent.offset_seconds = float(n * _UNIT_SECONDS[ago.group(2)])
    elif vocab.says("compare", text) and re.search(r"\byesterday\b", text):
        intent.offset_seconds = 86400.0

    for match in _GROUP.finditer(text):
        intent.group_words.append(match.group(1).strip())
    for match in _WHICH.finditer(text):
        intent.group_words.append(match.group(1))
        intent.which = True
    for match in _TOP_SUBJECT.finditer(text):
        intent.group_words.append(match.group(1))
    for match in _SUBJECT_WITH.finditer(text):
        intent.group_words.append(match.group(1))
    if vocab.says("which", text):
        intent.which = True

    for name, (patterns, _pattern) in vocab.status_classes.items():
        if any(p.search(text) for p in patterns):
            intent.status_classes.append(name)
    # "client errors vs server errors" names both on purpose only if "server" is
    # said; "client errors" alone also matches the word "errors".
    both = {"server_error", "client_error"} <= set(intent.status_classes)
    if both and not re.search(r"\bserver\b|5xx", text):
        intent.status_classes.remove("server_error")
    return intent


def search_expansions(question: str, vocab: Vocabulary | None = None) -> list[str]:
    """One extra catalog search text: the metric words of the measures the question names."""
    vocab = vocab or default_vocabulary()
    text = vocab.rewrite(question.lower())
    words = sorted(
        {
            word
            for measure in vocab.measures
            if any(p.search(text) for p in measure.say)
            for word in measure.metric_words
        }
    )
    return [" ".join(words)] if words else []


# --- stage 2: choose


@dataclass(frozen=True)
class ValueMatch:
    label: str
    value: str
    start: int
    end: int


@functools.lru_cache(maxsize=65536)
def _value_pattern(value: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in _SEPARATORS.split(value.lower()) if w]
    return re.compile(r"(?<![\w])" + r"[\s_\-./]*".join(words) + r"s?(?![\w])")


def find_values(question: str, metrics: Sequence[MetricInfo]) -> list[ValueMatch]:
    """Label values the question names, longest first; overlapping shorter ones dropped."""
    text = question.lower()
    found: dict[tuple[str, str], ValueMatch] = {}
    for metric in metrics:
        for label, values in metric.labels.items():
            if label.startswith("__") or label == "le":
                continue
            for value in values:
                if len(value) < 2 or value.replace(".", "").isdigit():
                    continue
                if not re.search(r"[a-z]", value.lower()):
                    continue
                match = _value_pattern(value).search(text)
                if match and (label, value) not in found:
                    found[(label, value)] = ValueMatch(label, value, match.start(), match.end())
    ordered = sorted(found.values(), key=lambda m: (-(m.end - m.start), m.start, m.label))
    kept: list[ValueMatch] = []
    for candidate in ordered:
        overlaps = any(
            candidate.start < k.end
            and k.start < candidate.end
            and (k.end - k.start) > (candidate.end - candidate.start)
            for k in kept
        )
        if not overlaps:
            kept.append(candidate)
    return sorted(kept, key=lambda m: (m.start, m.label))


def _label_words(label: str, vocab: Vocabulary) -> set[str]:
    words = {_stem(label), _stem(label.replace("_", " "))}
    for word, labels in vocab.label_synonyms.items():
        if label in labels:
            words.add(_stem(word))
    return words


def resolve_filters(
    question: str, matches: Sequence[ValueMatch], vocab: Vocabulary
) -> dict[str, list[str]]:
    """One label per named value: the label the question names next to it, else by priority."""
    text = question.lower()
    by_span: dict[tuple[int, int], list[ValueMatch]] = {}
    for match in matches:
        by_span.setdefault((match.start, match.end), []).append(match)
    filters: dict[str, list[str]] = {}
    priority = {label: i for i, label in enumerate(vocab.filter_label_priority)}
    for (start, end), candidates in sorted(by_span.items()):
        around = _tokens(text[max(start - 20, 0) : start])[-1:] + _tokens(text[end : end + 25])[:1]
        named = [c for c in candidates if set(around) & _label_words(c.label, vocab)]
        # A label already holding a value named nearby wins ("staging vs production").
        held = [c for c in candidates if c.label in filters]
        pool = named or held or candidates
        chosen = min(pool, key=lambda c: (priority.get(c.label, len(priority)), c.label))
        values = filters.setdefault(chosen.label, [])
        if chosen.value not in values:
            values.append(chosen.value)
    return filters


def _group_labels(words: Sequence[str], labels: Iterable[str], vocab: Vocabulary) -> list[str]:
    available = list(labels)
    chosen: list[str] = []
    for phrase in words:
        stems = [_stem(w) for w in phrase.split()]
        options: list[str] = []
        for label in available:
            if label in ("le", "__name__"):
                continue
            if _stem(label) in stems or _stem(label.replace("_", " ")) == " ".join(stems):
                options.append(label)
        if not options:
            for stem in stems:
                for synonym in vocab.label_synonyms.get(stem, ()):
                    if synonym in available:
                        options.append(synonym)
                        break
                if options:
                    break
        for label in options[:1]:
            if label not in chosen:
                chosen.append(label)
    return chosen


@dataclass
class Choice:
    metric: MetricInfo
    score: float
    reasons: list[str]


# Name parts every metric of a kind has; they say nothing about what it measures.
_SUFFIX_TOKENS = frozenset({"total", "bucket", "sum", "count", "byte", "second", "info"})


@functools.lru_cache(maxsize=65536)
def _text_tokens(text: str) -> frozenset[str]:
    return frozenset(_tokens(text))


def _metric_tokens(metric: MetricInfo) -> tuple[frozenset[str], frozenset[str]]:
    return _text_tokens(metric.name), _text_tokens(metric.help)


def score_metric(
    metric: MetricInfo,
    intent: Intent,
    vocab: Vocabulary,
    filters: Mapping[str, Sequence[str]],
) -> Choice:
    name_tokens, help_tokens = _metric_tokens(metric)
    asked = [m for m in vocab.measures if m.name in intent.measures]
    others = [m for m in vocab.measures if m.name not in intent.measures]
    wanted = set().union(*(m.metric_words for m in asked)) if asked else set()
    unwanted = set().union(*(m.metric_words for m in others)) - wanted if others else set()
    score = 0.0
    reasons = []
    hits = name_tokens & wanted
    score += 3.0 * len(hits) + 1.0 * len((help_tokens - name_tokens) & wanted)
    if hits:
        reasons.append("name has " + ", ".join(sorted(hits)))
    score -= 1.0 * len(name_tokens & unwanted)
    for qualifier, (_patterns, words, unasked) in vocab.qualifiers.items():
        if name_tokens & words:
            score += 2.0 if qualifier in intent.qualifiers else unasked
    prefers = [m.prefer for m in asked if m.prefer]
    if prefers:
        kind = metric.type
        preferred = prefers[0]
        if kind == preferred or (preferred == "counter" and kind == "unknown"):
            score += 2.0
        elif preferred == "histogram" or kind in ("histogram", "summary"):
            score -= 2.0
    # Other words of the question that the name carries; simpler names win ties.
    score += 0.3 * len((name_tokens - wanted) & intent.question_tokens)
    score -= 0.2 * len(name_tokens - wanted - intent.question_tokens - _SUFFIX_TOKENS)
    for label in filters:
        if label in metric.labels:
            score += 1.0
        else:
            score -= 6.0
    # A metric many services expose is the likelier subject of a question naming none.
    score += 0.4 * math.sqrt(min(len(metric.services), 10))
    score += 0.5 * metric.score
    return Choice(metric, score, reasons)


# --- stage 3: compose


_RE_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _regex_alternatives(values: Sequence[str]) -> str:
    return "|".join(_RE_SPECIAL.sub(r"\\\1", v) for v in values)


def selector(
    name: str, filters: Mapping[str, Sequence[str]], extra: Sequence[str] = (), offset: str = ""
) -> str:
    """`name{label="v", other=~"a|b", extra…}`, with ` offset X` last when given."""
    parts = []
    for label in sorted(filters):
        values = list(filters[label])
        if len(values) == 1:
            parts.append(f"{label}={_quote(values[0])}")
        else:
            parts.append(f"{label}=~{_quote(_regex_alternatives(values))}")
    parts.extend(extra)
    text = name + ("{" + ", ".join(parts) + "}" if parts else "")
    return text + (f" offset {offset}" if offset else "")


def _range(sel: str, window: str) -> str:
    # selector() puts any offset last; the window goes before it.
    if " offset " in sel:
        base, _, off = sel.partition(" offset ")
        return f"{base}[{window}] offset {off}"
    return f"{sel}[{window}]"


def _agg(op: str, expr: str, by: Sequence[str]) -> str:
    return f"{op} by ({', '.join(by)}) ({expr})" if by else f"{op}({expr})"


@dataclass
class Plan:
    promql: str
    unit: str
    explanation: str
    assumptions: list[str]
    instant: bool = False
    confidence: float = 0.6
    additional: list[QueryPart] = field(default_factory=list)


class Planner:
    """Engine: deterministic PromQL from the grounding alone."""

    name = "planner"

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()

    async def generate(
        self, question: str, grounding: Grounding, feedback: Sequence[str] | None = None
    ) -> Generation:
        return self.plan(question, grounding)

    def plan(self, question: str, grounding: Grounding) -> Generation:
        for example in grounding.examples:
            if example.similarity >= _EXAMPLE_REUSE_SIMILARITY:
                return Generation(
                    promql=example.promql,
                    explanation=f"Reused the verified answer to a near-identical question: "
                    f"{example.question!r}.",
                    confidence=min(0.95, example.similarity),
                    assumptions=("the remembered example still applies",),
                    engine="example",
                )
        vocab = self.vocab
        intent = parse_intent(question, vocab)
        metrics = list(grounding.metrics)
        if not metrics:
            return Generation(
                promql="",
                explanation="The catalog has no metric that matches the question.",
                confidence=0.0,
                assumptions=("which metric is meant? name what to measure",),
                engine=self.name,
            )
        matches = find_values(question, metrics)
        filters = resolve_filters(question, matches, vocab)
        choices = sorted(
            (score_metric(m, intent, vocab, filters) for m in metrics),
            key=lambda c: (-c.score, c.metric.name),
        )
        primary = self._family_choice(choices, intent)
        metric = primary.metric
        # Filters the chosen metric cannot carry are dropped, and said so.
        assumptions: list[str] = []
        for label in list(filters):
            if label not in metric.labels:
                assumptions.append(
                    f"{metric.name} has no {label} label; ignored {label}="
                    + "|".join(filters.pop(label))
                )
        plan = self._compose(question, intent, metric, metrics, filters, grounding, assumptions)
        confidence = self._confidence(primary, intent, choices)
        plan.confidence = confidence
        explanation = plan.explanation
        if primary.reasons:
            explanation += f" Chose {metric.name} ({metric.type}; {primary.reasons[0]})."
        return Generation(
            promql=plan.promql,
            explanation=explanation,
            confidence=round(plan.confidence, 2),
            assumptions=tuple(dict.fromkeys(plan.assumptions)),
            engine=self.name,
            unit=plan.unit,
            instant=plan.instant,
            additional=tuple(plan.additional),
        )

    def _family_choice(self, choices: list[Choice], intent: Intent) -> Choice:
        """For latency, the histogram's _bucket (or _sum for averages) stands for its family."""
        best = choices[0]
        if best.metric.type not in ("histogram", "summary"):
            return best
        family = _family(best.metric.name)
        for choice in choices:
            if _family(choice.metric.name) == family and choice.metric.name.endswith("_bucket"):
                return Choice(choice.metric, best.score, best.reasons)
        return best

    def _confidence(self, primary: Choice, intent: Intent, choices: list[Choice]) -> float:
        confidence = 0.45
        if intent.measures:
            confidence += 0.2
        if primary.score >= 5:
            confidence += 0.15
        if len(choices) > 1 and primary.score - choices[1].score >= 2:
            confidence += 0.1
        return min(confidence, 0.9)

    # --- composition

    def _compose(
        self,
        question: str,
        intent: Intent,
        metric: MetricInfo,
        metrics: Sequence[MetricInfo],
        filters: dict[str, list[str]],
        grounding: Grounding,
        assumptions: list[str],
    ) -> Plan:
        vocab = self.vocab
        window = grounding.default_rate_window
        asked = grounding.window
        over_window = asked.is_range and (intent.average or intent.total or bool(intent.peak))
        if over_window and not intent.peak:
            window = format_duration(asked.duration)
        group = _group_labels(intent.group_words, metric.labels, vocab)
        if intent.which and not group:
            group = [label for label in vocab.subject_labels if label in metric.labels][:1]
        multi_valued = [label for label, values in filters.items() if len(values) > 1]
        for label in multi_valued:
            if label not in group:
                group.append(label)
        by = list(group) or [label for label in sorted(filters) if label in metric.labels]
        offset = format_duration(intent.offset_seconds) if intent.offset_seconds else ""

        is_latency = "latency" in intent.measures or (
            metric.type == "histogram" and not intent.measures
        )
        errors = "errors" in intent.measures or (
            bool(intent.status_classes) and metric.type == "counter"
        )

        def build(offset_text: str) -> tuple[str, str, str]:
            if metric.type in ("histogram", "summary") and is_latency:
                return self._latency(
                    intent, metric, metrics, filters, by, window, offset_text, assumptions
                )
            if errors and metric.is_counter_like:
                return self._error_ratio(
                    intent, metric, filters, by, window, offset_text, assumptions
                )
            if intent.share_of_limit and metric.type != "counter":
                limit = self._limit_partner(metric, metrics)
                if limit is not None:
                    return self._limit_ratio(metric, limit, filters, by, offset_text)
                assumptions.append("no limit metric found to compare with; showing the value")
            return self._plain(intent, metric, filters, by, window, offset_text, assumptions)

        promql, unit, what = build("")
        instant = False
        if offset:
            earlier, _, _ = build(offset)
            promql = f"({promql}) / ({earlier})"
            unit = "ratio"
            what = f"{what}, now relative to {format_duration(intent.offset_seconds)} earlier"
            assumptions.append("1 means unchanged; 2 means twice as much as then")
        if intent.peak and asked.is_range:
            step = grounding.default_rate_window
            span = format_duration(asked.duration)
            promql = f"{intent.peak}_over_time(({promql})[{span}:{step}])"
            extreme = "highest" if intent.peak == "max" else "lowest"
            what = f"the {extreme} {what} over {asked.description}"
            instant = True
        elif over_window:
            instant = True
            what = f"{what} over {asked.description}"
        if intent.percent and unit == "ratio":
            promql = f"100 * ({promql})"
            unit = "percent"
        threshold = intent.threshold
        if threshold is None and intent.near_limit and unit in ("ratio", "percent"):
            value = float(vocab.defaults.get("near_limit_threshold", 0.85))
            threshold = (">", value * (100 if unit == "percent" else 1), False)
            assumptions.append(f"'close to the limit' taken as above {value:.0%}")
        if threshold is not None:
            op, value, as_percent = threshold
            if as_percent and unit in ("ratio", "cores"):
                value /= 100
            promql = f"{promql} {op} {_number(value)}"
            what += f", only where {op} {_number(value)}"
        elif intent.top is not None and (by or group):
            kind, k = intent.top
            promql = f"{kind}({k}, {promql})"
            what = f"the {k} {'highest' if kind == 'topk' else 'lowest'}: {what}"
        plan = Plan(promql, unit, _sentence(what), assumptions, instant)
        if is_latency and len(intent.quantiles) > 1 and metric.type == "histogram":
            for q in intent.quantiles[1:]:
                extra = intent_with_quantile(intent, q)
                text, _, extra_what = self._latency(
                    extra, metric, metrics, filters, by, window, "", []
                )
                plan.additional.append(QueryPart(text, _sentence(extra_what), "seconds"))
        if "client_error" in intent.status_classes and "server_error" in intent.status_classes:
            other = Intent(**{**intent.__dict__, "status_classes": ["client_error"]})
            text, _, extra_what = self._error_ratio(other, metric, filters, by, window, "", [])
            plan.additional.append(QueryPart(text, _sentence(extra_what), "ratio"))
        return plan

    def _latency(
        self,
        intent: Intent,
        metric: MetricInfo,
        metrics: Sequence[MetricInfo],
        filters: Mapping[str, Sequence[str]],
        by: Sequence[str],
        window: str,
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        family = _family(metric.name)
        names = {m.name for m in metrics}
        if (intent.average and not intent.quantiles) or metric.type == "summary":
            total, count = f"{family}_sum", f"{family}_count"
            if total in names or count in names or metric.name in (total, count):
                num = _agg(
                    "sum", f"rate({_range(selector(total, filters, offset=offset), window)})", by
                )
                den = _agg(
                    "sum", f"rate({_range(selector(count, filters, offset=offset), window)})", by
                )
                return f"{num} / {den}", "seconds", f"average {family} (sum / count)"
        quantiles = intent.quantiles or [float(self.vocab.defaults.get("latency_quantile", 0.95))]
        if not intent.quantiles:
            assumptions.append(f"{_percentile(quantiles[0])} percentile (none was named)")
        q = quantiles[0]
        bucket = f"{family}_bucket"
        inner = _agg(
            "sum", f"rate({_range(selector(bucket, filters, offset=offset), window)})", ["le", *by]
        )
        return (
            f"histogram_quantile({_number(q)}, {inner})",
            "seconds",
            f"{_percentile(q)} percentile of {family}",
        )

    def _status_label(self, metric: MetricInfo) -> str | None:
        for label, values in metric.labels.items():
            if values and all(re.fullmatch(r"[1-5]\d\d", v) for v in values):
                return label
        for label in self.vocab.status_labels:
            if label in metric.labels:
                return label
        return None

    def _error_ratio(
        self,
        intent: Intent,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        by: Sequence[str],
        window: str,
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        status = self._status_label(metric)
        classes = intent.status_classes or ["server_error"]
        if status is None:
            assumptions.append(f"{metric.name} has no status label; showing its rate")
            expr = _agg(
                "sum", f"rate({_range(selector(metric.name, filters, offset=offset), window)})", by
            )
            return expr, "per_second", f"per-second rate of {metric.name}"
        kind = classes[0]
        pattern = self.vocab.status_classes[kind][1]
        assumptions.append(f'{kind.replace("_", " ")}s are {status}=~"{pattern}"')
        errors = selector(metric.name, filters, [f'{status}=~"{pattern}"'], offset)
        total = selector(metric.name, filters, offset=offset)
        num = _agg("sum", f"rate({_range(errors, window)})", by)
        den = _agg("sum", f"rate({_range(total, window)})", by)
        return (
            f"{num} / {den}",
            "ratio",
            f"share of {metric.name} that are {kind.replace('_', ' ')}s",
        )

    def _limit_partner(
        self, metric: MetricInfo, metrics: Sequence[MetricInfo]
    ) -> MetricInfo | None:
        limit_words = self.vocab.qualifiers.get("limit", ((), frozenset(), 0.0))[1]
        own = set(_tokens(metric.name)) - limit_words
        best: tuple[int, str, MetricInfo] | None = None
        for other in metrics:
            tokens = set(_tokens(other.name))
            if other.name == metric.name or not tokens & limit_words:
                continue
            shared = len(own & tokens)
            if shared >= 2 and (best is None or (shared, other.name) > best[:2]):
                best = (shared, other.name, other)
        return best[2] if best else None

    def _limit_ratio(
        self,
        metric: MetricInfo,
        limit: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        by: Sequence[str],
        offset: str,
    ) -> tuple[str, str, str]:
        shared = [label for label in by if label in limit.labels]
        if not shared:
            shared = [
                label
                for label in self.vocab.filter_label_priority
                if label in metric.labels
                and label in limit.labels
                and label in ("pod", "container")
            ][:1] or list(by)
        num = _agg("sum", selector(metric.name, filters, offset=offset), shared)
        den = _agg(
            "sum",
            selector(
                limit.name, {k: v for k, v in filters.items() if k in limit.labels}, offset=offset
            ),
            shared,
        )
        return f"{num} / {den}", "ratio", f"{metric.name} as a share of {limit.name}"

    def _plain(
        self,
        intent: Intent,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        by: Sequence[str],
        window: str,
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        sel = selector(metric.name, filters, offset=offset)
        measured = [m for m in self.vocab.measures if m.name in intent.measures]
        default = next((m.aggregate for m in measured if m.aggregate != "sum"), "sum")
        aggregation = "avg" if intent.average and by else default
        base_unit = _base_unit(metric)
        if metric.is_counter_like:
            if intent.total and not intent.per_second and metric.type != "unknown":
                expr = f"increase({_range(sel, window)})"
                unit = base_unit or "count"
                what = f"increase of {metric.name} over {window}"
            else:
                expr = f"rate({_range(sel, window)})"
                unit = _rate_unit(base_unit, metric)
                what = f"per-second rate of {metric.name}"
                assumptions.append(f"per-second rates over {window} windows")
        elif intent.growth:
            growth = str(self.vocab.defaults.get("growth_window", "10m"))
            expr = f"deriv({_range(sel, growth)})"
            unit = "bytes_per_second" if base_unit == "bytes" else "per_second"
            what = f"how fast {metric.name} changes per second (over {growth})"
        else:
            expr = sel
            unit = base_unit
            what = f"{metric.name}"
        words = {"avg": "average", "sum": "total", "min": "lowest", "max": "highest"}
        return (
            _agg(aggregation, expr, by),
            unit,
            (
                f"{words.get(aggregation, aggregation)} {what}"
                + (f" by {', '.join(by)}" if by else "")
            ),
        )


def intent_with_quantile(intent: Intent, q: float) -> Intent:
    return Intent(**{**intent.__dict__, "quantiles": [q]})


def _family(name: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _base_unit(metric: MetricInfo) -> str:
    unit = metric.unit.lower()
    name = metric.name.removesuffix("_total")
    if unit in ("bytes", "byte") or name.endswith("_bytes"):
        return "bytes"
    if unit in ("seconds", "second") or name.endswith("_seconds"):
        return "seconds"
    return ""


def _rate_unit(base: str, metric: MetricInfo) -> str:
    if base == "bytes":
        return "bytes_per_second"
    if base == "seconds":
        return "cores" if "cpu" in _tokens(metric.name) else "ratio"
    return "per_second"


def _number(value: float) -> str:
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return f"{value:g}"


def _percentile(q: float) -> str:
    n = q * 100
    text = _number(round(n, 3))
    if text.endswith("1") and not text.endswith("11"):
        return text + "st"
    if text.endswith("2") and not text.endswith("12"):
        return text + "nd"
    if text.endswith("3") and not text.endswith("13"):
        return text + "rd"
    return text + "th"


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ".") if text else ""
