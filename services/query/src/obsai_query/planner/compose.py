"""Stage 3 — compose: PromQL for a chosen metric, by its type and the intent.

    counter    rate(x[w]), or increase(x[w]) for "how many … in the last hour"
    gauge      x as it is; avg_over_time / deriv / predict_linear when asked;
               time() - x for "how long has it been up" of a timestamp
    histogram  histogram_quantile(φ, sum by (le, …) (rate(x_bucket[w]))); the
               average is rate(_sum) / rate(_count); "the share slower than T"
               is 1 - rate(_bucket{le="T"}) / rate(_count)
    summary    x{quantile="φ"} (φ as the exporter writes it: "0.99" or "99")
    ratios     errors / total over a status-like label; one outcome / both
               (hits / (hits + misses)); used / limit; 1 - available / size
               (available / size when what is left is asked); 1 - avg(rate(idle))
               for time counters split by mode; a duration total / its count;
               "A as a share of B" as A / B — with the same grouping on both sides
    wholes     the parts of one whole summed (user + system seconds) when the
               question names none of them; size - available for "how much is used"

Then, around it: now / then for comparisons, max_over_time for peaks, 100 * for
percentages, unit conversions ("in MB", "in hours"; a unitless size or length read as
bytes), thresholds, "== 0" / "== 1"
for "which … is down / up", count(), topk/bottomk. One series stays as it is
(keeping its labels), and so do series that are the things asked about (probes,
targets); more are summed (or averaged, min'd or max'd, as the measure or the
metric's name says) by the grouping asked and the labels filtered on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from obsai_query.catalog_client import MetricInfo
from obsai_query.engines.base import QueryPart
from obsai_query.grounding import Grounding
from obsai_query.planner.choose import (
    Choice,
    Context,
    complement_partner,
    core_words,
    estimate_series,
    event_count_partner,
    family,
    family_part,
    filter_label,
    group_labels,
    idle_label,
    is_timestamp,
    limit_pair,
    limit_partner,
    named_part_of,
    of_another_thing,
    status_label,
    total_partner,
    used_of_whole,
    whole_by_name,
    whole_of_parts,
)
from obsai_query.planner.intent import Intent, Threshold, measures_in
from obsai_query.planner.vocabulary import Vocabulary, split_name, stem
from obsai_query.time_range import format_duration, parse_duration

_RE_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")
_FAILURE_WORDS = frozenset({"fail", "failed", "failure", "error", "errors", "reject", "rejected"})
# "total … by all exporters", "across all targets": one number, not one per series.
_TOGETHER = re.compile(r"\b(?:plus|combined|together|summed|in total)\b")
# "total time across all the phases", "the sum of": times added up, not averaged.
_SUMMED = re.compile(r"\b(?:total|sum of|combined|altogether|added up|in all)\b")
_WHOLE = re.compile(r"\b(?:total|sum of|combined|altogether|all)\b")
_AVAILABILITY = re.compile(r"\b(?:availability|uptime percentage|success rate)\b")
_STATE_NEAR = 12
_EACH = re.compile(r"\b(?:each|every|per|by)\b")
_MAX_WORDS = frozenset({"max", "maximum", "peak", "highest", "longest", "largest"})
_MIN_WORDS = frozenset({"min", "minimum", "lowest", "shortest", "smallest"})
# Words that ask for an amount of data, not for how many events carried it.
_BYTE_WORDS = frozenset({"byte", "data", "kb", "mb", "gb", "kib", "mib", "gib", "traffic"})
_TIME_SPENT = re.compile(r"\b(?:time|seconds?)\s+(?:spent|taken)\b|\bhow\s+much\s+time\b")
# "How much has it changed", "the difference": a comparison as now minus then.
_CHANGE_BY = re.compile(
    r"\bhow\s+much\b.*\b(?:change|changed|differ|differs|grown|grew|shrunk|dropped|risen|rose|"
    r"fallen|fell)\b|\bdifference\b|\bdelta\b"
)
# "cpu seconds", "how much CPU time … burned over the last 10 minutes": the seconds used,
# counted (an increase over a window said), not a number of cores.
_CPU_SECONDS = re.compile(r"\bcpu\s+seconds?\b|\bhow\s+much\s+cpu\s+time\b")
# "cpu seconds used over the last hour", "bytes sent over the last day": an amount in a
# counter's own unit (not a unit asked, "in seconds"; not an age, "seconds ago").
_AMOUNT_IN_UNIT = re.compile(
    r"(?<![\d.])(?<![\d.]\s)(?<!\bin\s)\b(seconds|bytes)\b(?!\s+(?:ago|since)\b)"
)
# "the gap between p99 and the median": two percentiles, one less the other.
_SPREAD = re.compile(r"\b(?:gap|difference|spread|distance|delta)\s+between\b")
# "has the address changed … how many times": a level's changes are counted.
_CHANGED = re.compile(r"\b(?:change|changed|changes|flipped|flapped|switched)\b")
# "3 times more", "how many times higher", "ratio": a ratio; "probe times" is a noun.
_TIMES = re.compile(
    r"\b(?:times|fold)\s+(?:more|less|fewer|higher|lower|larger|bigger|smaller|faster|slower|"
    r"as|what|that|than)\b|\d\s*(?:x|times|fold)\b|-fold\b|\bratio\b"
)
# "as a percent of one core": CPU in cores, written as a percentage (not a share of parts).
_OF_ONE_CORE = re.compile(
    r"\b(?:percent|percentage|%)\s+of\s+(?:one|a|1|a single)\s+(?:cpu\s+)?core\b"
)
# A level compared with minutes ago (not a day or a week): how far it moved.
_SHORT_COMPARISON = 600.0
# An extreme of a distribution said in words: its quantile 1 (or 0) where it has one.
_EXTREME = re.compile(r"\b(longest|maximum|max|worst|worst-case|shortest|min|minimum)\b")
_TIME_WORDS = frozenset({"duration", "second", "time", "latency", "usec", "millisecond"})
# How a metric's own unit converts to the base unit (seconds, bytes).
_TO_BASE = {
    "usec": 1e-6,
    "microsecond": 1e-6,
    "microseconds": 1e-6,
    "millisecond": 1e-3,
    "milliseconds": 1e-3,
    "msec": 1e-3,
}


@dataclass
class Plan:
    promql: str
    unit: str
    explanation: str
    assumptions: list[str] = field(default_factory=list)
    instant: bool = False
    additional: list[QueryPart] = field(default_factory=list)
    metric: str = ""
    kind: str = ""
    score: float = 0.0
    # An empty result is an answer (a threshold nobody crosses, nothing down).
    empty_ok: bool = False
    reasons: list[str] = field(default_factory=list)


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def regex_alternatives(values: Sequence[str]) -> str:
    return "|".join(_RE_SPECIAL.sub(r"\\\1", v) for v in values)


def selector(
    name: str,
    filters: Mapping[str, Sequence[str]],
    extra: Sequence[str] = (),
    offset: str = "",
) -> str:
    """`name{label="v", other=~"a|b", extra…}`, with ` offset X` last when given."""
    parts = []
    for key in sorted(filters):
        values = list(filters[key])
        label = filter_label(key)
        negated = key != label
        if len(values) == 1:
            parts.append(f"{label}{'!=' if negated else '='}{quote(values[0])}")
        else:
            parts.append(f"{label}{'!~' if negated else '=~'}{quote(regex_alternatives(values))}")
    parts.extend(extra)
    text = name + ("{" + ", ".join(parts) + "}" if parts else "")
    return text + (f" offset {offset}" if offset else "")


def ranged(sel: str, window: str) -> str:
    """A range selector; selector() puts any offset last, the window goes before it."""
    if " offset " in sel:
        base, _, off = sel.partition(" offset ")
        return f"{base}[{window}] offset {off}"
    return f"{sel}[{window}]"


def aggregate(op: str, expr: str, by: Sequence[str]) -> str:
    return f"{op} by ({', '.join(by)}) ({expr})" if by else f"{op}({expr})"


def number(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def percentile(q: float) -> str:
    n = q * 100
    text = number(round(n, 3))
    if text.endswith("1") and not text.endswith("11"):
        return text + "st"
    if text.endswith("2") and not text.endswith("12"):
        return text + "nd"
    if text.endswith("3") and not text.endswith("13"):
        return text + "rd"
    return text + "th"


def sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ".") if text else ""


def base_unit(metric: MetricInfo) -> str:
    unit = metric.unit.lower()
    words = set(split_name(metric.name))
    name = metric.name.removesuffix("_total")
    if unit in ("bytes", "byte") or name.endswith("_bytes") or "byte" in words:
        return "bytes"
    if unit in ("seconds", "second") or name.endswith("_seconds") or _to_base(metric) != 1.0:
        return "seconds"
    return ""


def _in_own_unit(promql: str, metric: MetricInfo, factor: float) -> str:
    """The query without its conversion to the base unit, when the unit asked is the
    metric's own ("in usec" of a metric in microseconds); empty otherwise."""
    scale = _to_base(metric)
    if scale == 1.0 or not math.isclose(scale, factor):
        return ""
    for suffix in (f" / {number(1 / scale)}", f" * {number(scale)}"):
        if promql.endswith(suffix):
            return promql.removesuffix(suffix)
    return ""


def _to_base(metric: MetricInfo) -> float:
    for word in (metric.unit.lower(), *split_name(metric.name)):
        if word in _TO_BASE:
            return _TO_BASE[word]
    return 1.0


def rate_unit(base: str, metric: MetricInfo) -> str:
    if base == "bytes":
        return "bytes_per_second"
    if base == "seconds":
        return "cores" if "cpu" in split_name(metric.name) else "ratio"
    return "per_second"


@dataclass
class Shape:
    """How the inner expression groups: `by` labels, or as it is when one series."""

    by: list[str]
    bare: bool
    op: str = "sum"

    def apply(self, expr: str, op: str | None = None) -> str:
        if self.bare:
            return expr
        return aggregate(op or self.op, expr, self.by)


class Composer:
    def __init__(
        self,
        intent: Intent,
        ctx: Context,
        grounding: Grounding,
        vocab: Vocabulary,
        metrics: Sequence[MetricInfo],
        ranked: Sequence[Choice] = (),
    ) -> None:
        # The candidates in the order the question's words rank them.
        self.ranked = ranked
        self.intent = intent
        self.ctx = ctx
        self.grounding = grounding
        self.vocab = vocab
        self.metrics = metrics
        self.by_name = {m.name: m for m in metrics}
        asked = grounding.window
        self.rate_window = grounding.default_rate_window
        self.over_window = asked.is_range and asked.source == "question" and self._window_is_asked()
        # "above 80%" of something that is no ratio: a share of its limit, or of a core.
        percent_threshold = intent.threshold is not None and intent.threshold.kind == "percent"
        self.share_of_limit = intent.share_of_limit or intent.near_limit or percent_threshold
        # "the HTTP probes", "the targets": the things are the series, one answer each;
        # so too a thing named by a label value that is one ("http probe status codes").
        counted = set(intent.count_of.split())
        in_values = [(m.start, m.end) for m in ctx.mentions]
        self.per_series = (
            any(
                word in vocab.series_words
                and word not in counted
                and (text_word.endswith("s") or any(a <= start < b for a, b in in_values))
                for word, start, end in intent.tokens
                for text_word in (intent.text[start:end],)
            )
            or any(_head_is_series(phrase, vocab) for phrase in ctx.group_words)
            or _things_done_to(intent.text, vocab)
        ) and not (
            (intent.average and not self.over_window)
            or _WHOLE.search(intent.text)
            or self._amount_done_by_all(counted)
        )
        # "avg tcp probe latency over the last 5 min": an average over the window said is of
        # each probe's samples; the probes stay one series each.
        self.window = format_duration(asked.duration) if self.over_window else self.rate_window

    def _amount_done_by_all(self, counted: set[str]) -> bool:
        """ "How many cpu seconds did the exporters burn in the last 10 min": an amount of
        a measure (not of the things, nor "how many times") over a window said, done by them
        all: one number."""
        intent = self.intent
        return (
            bool(counted)
            and not counted & self.vocab.series_words
            and bool(measures_in(intent.count_of, self.vocab))
            and intent.total
            and self.over_window
            and not _EACH.search(intent.text)
        )

    def _window_is_asked(self) -> bool:
        intent = self.intent
        if intent.peak:
            return False
        return bool(
            intent.average
            or intent.total
            or intent.window_word in ("over", "during", "within", "across", "in")
            or intent.ratio
            or intent.percent
        )

    # --- entry point

    def compose(self, choice: Choice) -> Plan | None:
        metric = choice.metric
        filters, assumptions, by, counted, kept = self._grouping(choice)
        kind, build = self._builder(metric, filters, kept, assumptions)
        return self._planned(build, choice, kind, (), assumptions, filters, by, counted)

    def _planned(
        self,
        build: Callable[[str], tuple[str, str, str]],
        choice: Choice,
        kind: str,
        reasons: Sequence[str],
        assumptions: list[str],
        filters: Mapping[str, Sequence[str]],
        by: list[str],
        counted: str,
    ) -> Plan:
        """The plan `build` writes for `choice`, wrapped as the question asks (an earlier
        time, a window, a threshold, a ranking, a unit) and explained."""
        expr, unit, what = build("")
        plan = Plan(expr, unit, what, assumptions, metric=choice.metric.name, kind=kind)
        plan.reasons = [*choice.reasons, *reasons]
        plan.score = choice.score
        self._wrap(plan, build, choice.metric, filters, by, counted)
        plan.explanation = sentence(plan.explanation)
        return plan

    def compose_parts(self, parts: Sequence[Choice]) -> Plan:
        """The parts the question lists ("inserts + updates + deletes"), their rates added."""
        first = parts[0]
        filters, assumptions, by, counted, kept = self._grouping(first)
        metrics = [p.metric for p in parts]

        def build(offset: str) -> tuple[str, str, str]:
            return self._parts_sum(metrics, filters, kept, offset, assumptions)

        reasons = ["the parts the question lists, added up"]
        return self._planned(build, first, "parts_sum", reasons, assumptions, filters, by, counted)

    def compose_difference(self, a: Choice, b: MetricInfo, why: str, op: str = "") -> Plan:
        """A less B, two gauges ("1m load minus 15m load"; the high end of a range less its
        low end), each as it is, grouped alike: the highest of A less the lowest of B, or
        both combined by `op` (counts before and after a stage: summed)."""
        filters, assumptions, by, counted, kept = self._grouping(a)

        def build(offset: str) -> tuple[str, str, str]:
            shape = self._shape(a.metric, filters, kept, b)
            first = shape.apply(selector(a.metric.name, filters, offset=offset), op or "max")
            second = shape.apply(selector(b.name, _only(filters, b), offset=offset), op or "min")
            what = f"{a.metric.name} less {b.name}" + _by(shape)
            return f"{first} - {second}", base_unit(a.metric), what

        reasons = [f"less {b.name}, {why}"]
        return self._planned(build, a, "difference", reasons, assumptions, filters, by, counted)

    def compose_product(self, each: Choice, things: MetricInfo) -> Plan:
        """What each thing uses times how many things there are: in the unit of what each
        uses ("every connection using work_mem": work_mem times max_connections, in bytes). Of
        another service's things, their count is one number."""
        filters, assumptions, by, counted, kept = self._grouping(each)
        apart = bool(each.metric.services and things.services) and not set(
            each.metric.services
        ) & set(things.services)

        def build(offset: str) -> tuple[str, str, str]:
            shape = self._shape(each.metric, filters, kept, None if apart else things)
            first = shape.apply(selector(each.metric.name, filters, offset=offset), "sum")
            sel = selector(things.name, _only(filters, things), offset=offset)
            second = f"scalar(sum({sel}))" if apart else shape.apply(sel, "sum")
            what = f"{each.metric.name} times {things.name}" + _by(shape)
            return f"{first} * {second}", base_unit(each.metric), what

        reasons = [f"times {things.name}, as many as there may be"]
        assumptions.append(f"every one of {things.name} using all of {each.metric.name}")
        return self._planned(build, each, "product", reasons, assumptions, filters, by, counted)

    def compose_ratio(self, a: Choice, b: Choice) -> Plan:
        """ "A as a share of B": A / B, each as it is (a gauge) or per second (a counter),
        with the same grouping on both sides."""
        filters, assumptions, by, counted, kept = self._grouping(a)
        # "the host's RAM": B is another thing's, filtered on its own values, one number.
        apart = _only(filters, b.metric) != b.filters and not set(b.filters) & set(filters)
        # … or B, said as another thing's, is measured by other services than A: one number
        # of that thing, A's series kept ("shared_buffers as a % of the machine's RAM").
        apart = apart or (
            of_another_thing(self.intent)
            and bool(a.metric.services and b.metric.services)
            and not set(a.metric.services) & set(b.metric.services)
        )
        # "GETs as a % of all commands": one metric, A narrowed by values B is not.
        narrowed = set(a.filters) - set(b.filters) if a.metric.name == b.metric.name else set()

        def build(offset: str) -> tuple[str, str, str]:
            if narrowed:
                keep = [k for k in kept if k not in narrowed]
                num = aggregate("sum", self._amount(a.metric, filters, offset), keep)
                den = aggregate("sum", self._amount(b.metric, b.filters, offset), keep)
                said = ", ".join(f"{k}={'|'.join(filters[k])}" for k in sorted(narrowed))
                what = f"{a.metric.name} with {said} as a share of all of it"
                return f"{num} / {den}", "ratio", what + _by_labels(keep)
            if apart:
                shape = self._shape(a.metric, filters, kept)
                num = shape.apply(self._amount(a.metric, filters, offset), "sum")
                den = f"scalar(sum({self._amount(b.metric, b.filters, offset)}))"
                what = f"{a.metric.name} as a share of all {b.metric.name}" + _by(shape)
                return f"{num} / {den}", "ratio", what
            if pinned := self._pinned_apart(a, b, filters):
                # One series of A, one of B, told apart only by values A is filtered on.
                num = self._amount(a.metric, filters, offset)
                den = self._amount(b.metric, _only(filters, b.metric), offset)
                what = f"{a.metric.name} as a share of {b.metric.name}"
                return f"{num} / ignoring ({', '.join(pinned)}) {den}", "ratio", what
            # Grouped by what both have: "the connect phase of the probe's time" is matched
            # with the probe's whole time by probe, not by a phase the whole has none of.
            both = [k for k in kept if k in b.metric.labels]
            shape = self._shape(a.metric, filters, both, b.metric)
            num, den = (
                shape.apply(self._amount(m, _only(filters, m), offset), "sum")
                for m in (a.metric, b.metric)
            )
            return (
                f"{num} / {den}",
                "ratio",
                f"{a.metric.name} as a share of {b.metric.name}" + _by(shape),
            )

        reasons = [f"and {b.metric.name} for what it is a share of"]
        return self._planned(build, a, "named_ratio", reasons, assumptions, filters, by, counted)

    def _pinned_apart(
        self, a: Choice, b: Choice, filters: Mapping[str, Sequence[str]]
    ) -> list[str]:
        """The labels only A has, when A is filtered to one value of each and to one series:
        "the connect phase of the /metrics probe's time" is that probe's, matched as it is."""
        own = sorted(set(a.metric.labels) - set(b.metric.labels))
        if not own or any(len(filters.get(k, ())) != 1 for k in own):
            return []
        if self.ctx.group_words or estimate_series(a.metric, filters) > 1:
            return []
        return own

    def compose_extremes_ratio(self, a: Choice, first: str, second: str) -> Plan:
        """ "how many times longer does the slowest probe take than the fastest one": one
        extreme of the measure over the other, each over all its series."""
        filters, assumptions, _by, _counted, _kept = self._grouping(a)

        def build(offset: str) -> tuple[str, str, str]:
            amount = self._amount(a.metric, filters, offset)
            what = f"the {first} of {a.metric.name} over its {second}"
            return f"{first}({amount}) / {second}({amount})", "ratio", what

        reasons = [f"its {first} over its {second}, the extremes compared"]
        return self._planned(build, a, "named_ratio", reasons, assumptions, filters, [], "")

    def compose_values_ratio(self, a: Choice, label: str, value: str, other: str) -> Plan:
        """ "keys in db1 relative to db0": the measure under one value of a label over the same
        measure under another, each side one number (their average when one is asked)."""
        filters, assumptions, _by, _counted, _kept = self._grouping(a)
        op = "avg" if self.intent.average else "sum"

        def build(offset: str) -> tuple[str, str, str]:
            num, den = (
                f"{op}({self._amount(a.metric, {**filters, label: [v]}, offset)})"
                for v in (value, other)
            )
            what = f"{a.metric.name} with {label}={value} relative to {label}={other}"
            return f"{num} / {den}", "ratio", what

        reasons = [f"the same measure for {other}, what it is compared with"]
        return self._planned(build, a, "named_ratio", reasons, assumptions, filters, [], "")

    def _amount(self, metric: MetricInfo, filters: Mapping[str, Sequence[str]], offset: str) -> str:
        """A gauge as it is, a counter per second (so too an untyped count of events, in a
        share of events: "segments retransmitted" of all segments sent)."""
        sel = selector(metric.name, filters, offset=offset)
        shares = self.intent.share_of_events is not None or self.intent.share_of_kind
        events = shares and metric.type == "unknown"
        counted = metric.is_counter_like or events
        return f"rate({ranged(sel, self.window)})" if counted else sel

    def _grouping(
        self, choice: Choice
    ) -> tuple[dict[str, list[str]], list[str], list[str], str, list[str]]:
        """(filters, assumptions, `by` labels, the counted label, labels kept) of a choice."""
        intent = self.intent
        metric = choice.metric
        filters = {k: list(v) for k, v in choice.filters.items()}
        assumptions = [
            f"{metric.name} has no label for {m.text!r}; not filtered on it" for m in choice.dropped
        ]
        # "each exporter", "per target": each series is one; no label to sum them by.
        by = group_labels(
            [w for w in self.ctx.group_words if not _head_is_series(w, self.vocab)],
            metric,
            self.vocab,
        )
        by += self._per_core_labels(metric, by)
        by += [label for label in self._things_split(metric) if label not in by]
        counted = self._counted_label(metric)
        if counted and counted not in by:
            by.insert(0, counted)  # count(… by (counted)): one series per thing counted
        subject = intent.which or intent.breaking or (intent.top is not None)
        # "which probes", "the slowest target": the things ranked are the series themselves.
        ranks_series = any(_head_is_series(g, self.vocab) for g in self.ctx.group_words)
        if subject and not by and not intent.down and not counted and not ranks_series:
            by = [
                label
                for label in self.vocab.subject_labels
                if label in metric.labels and _tells_apart(metric, label)
            ][:1]
        for label, values in filters.items():
            # "auth vs payment": one each; "user plus system": the two together.
            if label != filter_label(label):
                continue  # values left out: what is left is one whole
            if len(values) > 1 and label not in by and not _TOGETHER.search(intent.text):
                by.append(label)
        # "per job": one answer per job, the things within it summed; "by phase": still per
        # probe.
        coarse = set(by) & set(self.vocab.subject_labels)
        if by and self.per_series and not counted and not coarse:
            # "http probe durations by phase": still one answer per probe.
            by += [
                label
                for label in self.vocab.label_synonyms.get("target", ())
                if label in metric.labels and label not in by and _tells_apart(metric, label)
            ]
        kept = by + [
            k
            for k in sorted(filters)
            if len(filters[k]) == 1 and k not in by and k == filter_label(k)
        ]
        return filters, assumptions, by, counted, kept

    def _things_split(self, metric: MetricInfo) -> list[str]:
        """ "requests per second for each exporter": the things are series only when the
        metric has one per thing; split further (one per status code), the label that names
        the things sums their parts, one answer per thing."""
        things = [w for w in self.ctx.group_words if _head_is_series(w, self.vocab)]
        if not things or not _split_beyond_subjects(metric, self.vocab):
            return []
        return group_labels(things, metric, self.vocab)

    # --- the inner expression

    def _shape(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        partner: MetricInfo | None = None,
    ) -> Shape:
        grouped = [k for k in kept if k not in filters]
        if is_info(metric):
            # "which version is running": an info metric's labels are the answer; summed,
            # they would be gone.
            return Shape([], True, "max")
        single = estimate_series(metric, filters) <= 1 and not grouped
        if not grouped and (self.per_series or self._health_question(metric)):
            single = True  # "the HTTP probes", "is it up": each series is one of the things
        if partner is not None:
            single = single and estimate_series(partner, _only(filters, partner)) <= 1
            single = single and set(partner.labels) == set(metric.labels)
        elif (
            grouped
            and (self.intent.threshold is not None or self.intent.down)
            and not metric.is_counter_like
            and not self._counted_label(metric)
            and _one_series_each(metric, filters, grouped)
        ):
            # "which interfaces are down": a gauge already one series per interface, filtered,
            # keeps its own labels; grouping it by them would only drop the rest.
            single = True
        elif (
            grouped
            and self.intent.top is not None
            and self.intent.which
            and metric.type == "gauge"
            and self._aggregation(metric) != "sum"
            and not self._counted_label(metric)
            and _one_series_each(metric, filters, grouped)
        ):
            # "which 3 collectors are the slowest": the average (or worst) of one series per
            # collector is the series itself, ranked as it is, with its own labels.
            single = True
        elif grouped and "quantile" in filters and _one_series_each(metric, filters, grouped):
            # "median latency of each command": a quantile already one series per command.
            single = True
        return Shape(kept, single, self._aggregation(metric))

    def _health_question(self, metric: MetricInfo) -> bool:
        asked = "availability" in self.intent.measures or self.intent.down
        return asked and self._is_health(metric) and not self.intent.count_of

    def _aggregation(self, metric: MetricInfo) -> str:
        measured = [m for m in self.vocab.measures if m.name in self.intent.measures]
        op = next((m.aggregate for m in measured if m.aggregate != "sum"), "sum")
        if op == "sum" and metric.type in ("gauge", "unknown") and not metric.is_counter_like:
            if self.intent.extreme_each:
                return self.intent.extreme_each  # the worst of each job is its worst series
            words = set(split_name(metric.name))
            # The longest of them, the largest: never a sum of maxima.
            if words & _MAX_WORDS:
                return "max"
            if words & _MIN_WORDS:
                return "min"
            unit = base_unit(metric)
            if unit == "seconds" and not self._is_timestamp(metric):
                # "total time across all the phases": the times of the parts added up.
                summed = _SUMMED.search(self.intent.text) and not self.intent.average
                return "sum" if summed else "avg"
            if metric.unit.lower() in ("ratio", "percent") or "ratio" in split_name(metric.name):
                return "avg"
        return op

    def _builder(
        self,
        metric: MetricInfo,
        filters: dict[str, list[str]],
        kept: list[str],
        assumptions: list[str],
    ) -> tuple[str, Callable[[str], tuple[str, str, str]]]:
        intent = self.intent
        vocab = self.vocab
        words = set(split_name(metric.name))
        latency = "latency" in intent.measures or bool(intent.quantiles)
        is_family = metric.type in ("histogram", "summary")
        has_quantile = "quantile" in metric.labels

        if intent.uptime and not metric.is_counter_like:
            return "age", lambda off: self._age(metric, filters, kept, off)
        if intent.longer_than is not None and metric.type == "histogram":
            return "fraction_above", lambda off: self._fraction_above(
                metric, filters, kept, off, assumptions
            )
        if is_family and not latency and not intent.average and self._family_rate_asked():
            # "GC cycles per second", "bytes/sec sent in responses": a histogram's or a
            # summary's events are its _count, its amount in its unit its _sum; per second.
            part = family_part(
                metric, "_sum" if self._unit_said(metric) else "_count", self.by_name
            )
            return "rate", lambda off: self._rate(
                part, _only(filters, part), kept, off, assumptions
            )
        if is_family and (latency or not intent.measures or intent.average):
            if (intent.average and not intent.quantiles) or (
                metric.type == "summary" and not has_quantile
            ):
                return "average", lambda off: self._family_average(metric, filters, kept, off)
            if has_quantile:
                return "summary_quantile", lambda off: self._summary_quantile(
                    metric, filters, kept, off, assumptions
                )
            if metric.type == "histogram":
                return "histogram_quantile", lambda off: self._histogram_quantile(
                    metric, filters, kept, off, assumptions
                )
        # "time per read" is an average; "read time per second", the time counted.
        if metric.is_counter_like and latency and words & _TIME_WORDS and not intent.per_second:
            count = total_partner(
                metric, self.metrics, vocab, _TIME_WORDS | {"usec"}, counts_only=True
            )
            if count is not None:
                assumptions.append(f"the average: {metric.name} / {count.name}")
                return "counter_average", lambda off: self._counter_average(
                    metric, count, filters, kept, off
                )
        if self._event_size(metric):
            # "the average size of a write": the bytes written over the writes done.
            events = event_count_partner(metric, self.metrics, vocab)
            if events is not None:
                assumptions.append(f"the average: {metric.name} / {events.name}")
                return "counter_average", lambda off: self._counter_average(
                    metric, events, filters, kept, off
                )
        errors = "errors" in intent.measures or bool(intent.status_classes)
        if metric.is_counter_like and errors:
            status = status_label(metric, vocab)
            if status is not None:
                return "errors", lambda off: self._errors(
                    metric, status, filters, kept, off, assumptions
                )
            if words & _FAILURE_WORDS and self._wants_ratio():
                total = total_partner(metric, self.metrics, vocab, _FAILURE_WORDS | {"call"})
                if total is not None:
                    return "failure_ratio", lambda off: self._pair_ratio(
                        metric, total, filters, kept, off, "share of {a} in {b}"
                    )
        if metric.is_counter_like and (intent.ratio or intent.percent):
            pair = complement_partner(metric, self.metrics, vocab, intent.stems | words)
            if pair is not None and pair[0] in intent.stems | set(self._concept_words()):
                other = pair[1]
                return "complement_ratio", lambda off: self._complement(
                    metric, other, filters, kept, off
                )
        if intent.headroom and not metric.is_counter_like:
            room = self._headroom_pair(metric)
            if room is not None:
                return "headroom", lambda off: self._headroom(*room, filters, kept, off)
        # A share of a limit is of a level: a counter ("stalled seconds") is no amount held,
        # and the pair found for its words would be another thing's.
        if not metric.is_counter_like and (self.share_of_limit or intent.percent):
            found = self._limit_pair(metric)
            if found is not None:
                kind, used, limit = found
                if kind == "used":
                    return "limit_ratio", lambda off: self._limit_ratio(
                        used, limit, filters, kept, off
                    )
                return "free_ratio", lambda off: self._free_ratio(used, limit, filters, kept, off)
        state = self._state_labels(metric, filters)
        if state:
            # "percentage of connections that are idle": those in the state over all of them.
            return "state_share", lambda off: self._state_share(
                metric, filters, kept, state, off, assumptions
            )
        if intent.lacking and not (intent.ratio or intent.percent) and not self._is_health(metric):
            # "keys that don't have a TTL": the whole its name is part of, less the part.
            named = whole_by_name(metric, self.metrics)
            if named is not None and not metric.is_counter_like:
                return "rest_of_whole", lambda off: self._rest_of_whole(
                    metric, named, filters, kept, off
                )
        whole_filters = self._whole_of_share_from(filters)
        if whole_filters is not None and not self._is_health(metric):
            # "what percentage of all samples come from the node exporter": of one metric,
            # the part the value names over all of it.
            return "share_from", lambda off: self._share_from(
                metric, filters, whole_filters, kept, off
            )
        if (intent.ratio or intent.percent) and not self._is_health(metric):
            # "what fraction of keys expire": the part over the whole its name is part of.
            named_whole = whole_by_name(metric, self.metrics)
            if named_whole is not None:
                return "part_ratio", lambda off: self._limit_ratio(
                    metric, named_whole, filters, kept, off
                )
        in_use = self._used_of_limit(metric) if self.share_of_limit else None
        setting = self._limit_of_used(metric) if self.share_of_limit and not in_use else None
        if setting is not None:
            # "postgres connection utilisation": the connections now over the limit setting
            # of the same measure, named otherwise (numbackends / max_connections).
            return "limit_ratio", lambda off: self._limit_ratio(metric, setting, filters, kept, off)
        if in_use is not None:
            # "what percentage of max_connections is in use": what counts the thing now,
            # over the limit named.
            return "limit_ratio", lambda off: self._limit_ratio(in_use, metric, filters, kept, off)
        share = intent.percent or intent.ratio or self.share_of_limit
        whole = (
            None if share else used_of_whole(metric, self.metrics, intent, vocab, self.ctx.sizes)
        )
        if whole is not None:
            free, size = whole
            return "used_amount", lambda off: self._used_amount(free, size, filters, kept, off)
        if metric.is_counter_like and (intent.percent or self.share_of_limit):
            idle = idle_label(metric, vocab)
            if idle is not None and idle[0] not in filters:
                return "busy_ratio", lambda off: self._busy(metric, idle, filters, kept, off)
        if metric.is_counter_like or self._untyped_events(metric):
            parts = whole_of_parts(metric, self.metrics, intent, vocab)
            of_a_core = bool(_OF_ONE_CORE.search(intent.text))
            shared = intent.ratio or intent.percent or self.share_of_limit
            if parts and (of_a_core or not shared):
                return "parts_sum", lambda off: self._parts_sum(
                    parts, filters, kept, off, assumptions
                )
            # "… compared to yesterday" is a ratio of the part now to then, not to its whole.
            of_the_whole = shared and not intent.compare_then
            whole_parts = named_part_of(metric, self.metrics, intent, vocab) if of_the_whole else []
            if whole_parts and not of_a_core:
                # "what fraction of the cpu time is sys": the part over all the parts.
                return "part_share", lambda off: self._part_share(
                    whole_parts, filters, kept, off, assumptions
                )
            return "rate", lambda off: self._rate(metric, filters, kept, off, assumptions)
        return "value", lambda off: self._value(metric, filters, kept, off, assumptions)

    def _family_rate_asked(self) -> bool:
        intent = self.intent
        return bool(intent.per_second or intent.rate_word or intent.rate_seconds != 1.0)

    def _unit_said(self, metric: MetricInfo) -> bool:
        """The question asks for the family's amount in its unit ("bytes/sec", "MB",
        "seconds spent"), not how many events there were."""
        intent = self.intent
        unit = base_unit(metric)
        if unit == "bytes":
            measured = any(
                m.unit == "bytes" for m in self.vocab.measures if m.name in intent.measures
            )
            said = bool(intent.stems & _BYTE_WORDS)
            return said or measured or (intent.unit is not None and intent.unit[0] == "bytes")
        if unit == "seconds":
            return bool(_TIME_SPENT.search(intent.text))
        return False

    def _event_size(self, metric: MetricInfo) -> bool:
        """ "average size of a write", "average bytes per read": an amount of data counted
        over events, asked per event, not per second."""
        intent = self.intent
        sized = "size" in intent.measures or "size" in intent.qualifiers
        return (
            metric.is_counter_like
            and intent.average
            and sized
            and not intent.per_second
            and base_unit(metric) == "bytes"
        )

    def _used_of_limit(self, metric: MetricInfo) -> MetricInfo | None:
        """For a limit with no metric of its own thing beside it (a setting such as
        max_connections): the best-ranked gauge of the same measure that is no limit."""
        limit = self.vocab.qualifiers.get("limit")
        setting = self.vocab.qualifiers.get("setting")
        if limit is None or not self._says(metric, limit.metric_words):
            return None
        roles = limit.metric_words | (setting.metric_words if setting else frozenset())
        for choice in self.ranked:
            other = choice.metric
            if (
                other.name == metric.name
                or choice.covered == 0
                or any(not m.weak for m in choice.dropped)
                or other.is_counter_like
                or other.type not in ("gauge",)
                or self._says(other, roles)
                or base_unit(other) != base_unit(metric)
            ):
                continue
            return other
        return None

    def _limit_of_used(self, metric: MetricInfo) -> MetricInfo | None:
        """For an amount in use with no limit of its own name: the best-ranked gauge that is
        a limit of the same measure (both names say it) in the same unit."""
        limit = self.vocab.qualifiers.get("limit")
        if limit is None or metric.is_counter_like or self._says(metric, limit.metric_words):
            return None
        measured = [c.alternatives for c in self.ctx.concepts if c.measure]
        mine = self.vocab.metric_words(metric.name)
        shared = [words for words in measured if words & mine]
        if not shared:
            return None
        for choice in self.ranked:
            other = choice.metric
            if (
                other.name == metric.name
                or any(not m.weak for m in choice.dropped)
                or other.is_counter_like
                or other.type != "gauge"
                or not self._says(other, limit.metric_words)
                or base_unit(other) != base_unit(metric)
                or not any(words & self.vocab.metric_words(other.name) for words in shared)
            ):
                continue
            return other
        return None

    def _says(self, metric: MetricInfo, words: frozenset[str]) -> bool:
        """A word of the metric's name, or of a name word run together ("maxclients"), is one
        of these."""
        return any(self.vocab.word_forms(w) & words for w in split_name(metric.name))

    def _state_labels(self, metric: MetricInfo, filters: Mapping[str, Sequence[str]]) -> list[str]:
        """Labels filtered on by values said as the state of a share of things ("… that are
        idle"): the share's numerator only."""
        intent = self.intent
        if not intent.share_of_things or self._is_health(metric):
            return []
        return sorted(
            {
                label
                for mention in self.ctx.mentions
                # "… are idle", "… are in the idle state": said right after the verb.
                if 0 <= mention.start - intent.share_state_at <= _STATE_NEAR
                for label, _ in mention.options
                if label in filters
                and label in metric.labels
                and label not in self.vocab.subject_labels
            }
        )

    def _state_share(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        state: Sequence[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        rest = {k: v for k, v in filters.items() if k not in state}
        grouping = [k for k in kept if k not in state]
        num, _, _ = self._rate_or_value(metric, filters, grouping, offset, assumptions)
        den, _, _ = self._rate_or_value(metric, rest, grouping, offset, [])
        said = ", ".join(f"{k}={'|'.join(filters[k])}" for k in state)
        return f"{num} / {den}", "ratio", f"the share of {metric.name} with {said}"

    def _rate_or_value(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        """A counter per second or a gauge as it is, summed by the grouping kept."""
        sel = selector(metric.name, filters, offset=offset)
        inner = f"rate({ranged(sel, self.window)})" if metric.is_counter_like else sel
        return aggregate("sum", inner, kept), "", metric.name

    def _untyped_events(self, metric: MetricInfo) -> bool:
        """An untyped metric (netstat, vmstat) asked "per second" of: a count of events."""
        intent = self.intent
        if metric.type != "unknown":
            return False
        if intent.per_second or intent.rate_word:
            return True
        # "tcp retransmits in the last 15 mins": how many happened in a window, unless its
        # name says it is a level now (the kernel's "CurrEstab", vmstat's "nr_" counts).
        level = {"curr", "current", "nr", "inuse"} & set(split_name(metric.name))
        return (
            self.over_window
            and intent.window_word == "in"
            and not (intent.average or intent.peak or level)
        )

    def _concept_words(self) -> set[str]:
        return {w for c in self.ctx.concepts for w in c.alternatives}

    def _wants_ratio(self) -> bool:
        intent = self.intent
        return bool(intent.ratio or intent.percent or (intent.rate_word and not intent.per_second))

    # --- builders: each takes an offset ("" for now) and gives (PromQL, unit, what)

    def _rate(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        intent = self.intent
        shape = self._shape(metric, filters, kept)
        sel = selector(metric.name, filters, offset=offset)
        base = base_unit(metric)
        # CPU time is used, not counted: cores, unless CPU seconds are asked for.
        cpu = "cpu" in split_name(metric.name) and not _CPU_SECONDS.search(intent.text)
        # "how many … in the last hour", "rows inserted in the last hour": a count.
        counted = intent.total or intent.window_word == "in" or self._amount_in_unit(base)
        increase = (
            counted
            and not intent.per_second
            and not intent.rate_word
            and self.over_window
            and not cpu
        )
        # "has it failed at all? how many times": with no window, every time so far.
        so_far = (
            intent.count_of == "time"
            and not self.over_window
            and not intent.per_second
            and not intent.rate_word
            and not cpu
        )
        if increase:
            expr = f"increase({ranged(sel, self.window)})"
            unit = base or "count"
            what = f"increase of {metric.name} over {self.window}"
        elif so_far:
            expr = sel
            unit = base or "count"
            what = f"{metric.name}, counted since it started"
        else:
            expr = f"rate({ranged(sel, self.window)})"
            unit = rate_unit(base, metric)
            what = f"per-second rate of {metric.name}"
            if offset == "":
                assumptions.append(f"per-second rates over {self.window}")
            if unit == "cores" and (self.share_of_limit or intent.percent):
                # A share of CPU with no limit to compare with: of one core, per series.
                shape.op = "avg"
                unit = "ratio"
                if offset == "":
                    assumptions.append("a percentage of one core for each series")
        scale = _to_base(metric)
        if not increase and intent.predict_seconds and intent.total:
            # "how many will it commit over the next hour": at the pace it goes now, the
            # per-second rate times the time ahead.
            scale *= intent.predict_seconds
            unit = "count" if unit == "per_second" else unit
            what = f"{what}, times the {format_duration(intent.predict_seconds)} ahead"
        elif not increase and intent.rate_seconds != 1.0:
            # "per minute", "an hour": the per-second rate in that unit of time.
            scale *= intent.rate_seconds
            unit = "count" if unit == "per_second" else unit
            what = what.replace("per-second", f"per-{format_duration(intent.rate_seconds)}")
        if scale != 1.0:
            expr = f"{shape.apply(expr)} * {number(scale)}"
            return expr, unit, what
        return shape.apply(expr), unit, what + _by(shape)

    def _amount_in_unit(self, base: str) -> bool:
        """ "cpu seconds used by each job over the last hour": the counter's own unit, said
        as what there is an amount of, over a window asks how much of it (an increase)."""
        said = _AMOUNT_IN_UNIT.search(self.intent.text)
        return bool(base and said and said.group(1) == base and self.intent.window_word)

    def _parts_sum(
        self,
        parts: Sequence[MetricInfo],
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        """The whole of counters that are its parts: their rates (or increases) summed."""
        terms, whole = self._summed_parts(parts, filters, kept, offset, assumptions, assumptions)
        return whole, terms[0][1], "the sum of " + ", ".join(what for _, _, what in terms)

    def _part_share(
        self,
        parts: Sequence[MetricInfo],
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        """One part of a whole over the whole (its parts added up): "sys" of the cpu time."""
        terms, whole = self._summed_parts(parts, filters, kept, offset, assumptions, [])
        expr = f"{_paren(terms[0][0])} / ({whole})"
        return expr, "ratio", f"{terms[0][2]} as a share of the sum of its parts"

    def _summed_parts(
        self,
        parts: Sequence[MetricInfo],
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
        rate_assumptions: list[str],
    ) -> tuple[list[tuple[str, str, str]], str]:
        """Each part's rate (or increase), what each assumed put in `rate_assumptions`, and
        the parts added up; the whole is said once, in `assumptions`."""
        terms = [self._rate(m, _only(filters, m), kept, offset, rate_assumptions) for m in parts]
        if not offset:
            assumptions.append("the whole: " + " + ".join(m.name for m in parts))
        return terms, " + ".join(_paren(term) for term, _, _ in terms)

    def _value(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        intent = self.intent
        shape = self._shape(metric, filters, kept)
        sel = selector(metric.name, filters, offset=offset)
        unit = base_unit(metric)
        if not unit and (metric.unit.lower() == "ratio" or "ratio" in split_name(metric.name)):
            unit = "ratio"  # "fragmentation ratio": a gauge that is a share already
        elif not unit and set(map(stem, split_name(metric.name))) & self.vocab.percent_words:
            unit = "percent"  # "…_stale_percentage": a gauge in percent already
        share = self._health_share(metric)
        scale = _to_base(metric)
        if intent.reach is not None and not metric.is_counter_like:
            # "days until the database reaches 1 GB": what is left to the level, over the
            # slope of the last hour, in seconds.
            window = str(self.vocab.defaults.get("predict_window", "1h"))
            now = shape.apply(sel)
            slope = shape.apply(f"deriv({ranged(sel, window)})")
            expr = f"({number(intent.reach.value)} - {now}) / {slope}"
            what = f"seconds until {metric.name} reaches {number(intent.reach.value)}"
            assumptions.append(f"a straight line through the last {window}")
            return expr, "seconds", what + _by(shape)
        if intent.predict_seconds:
            window = str(self.vocab.defaults.get("predict_window", "1h"))
            expr = f"predict_linear({ranged(sel, window)}, {number(intent.predict_seconds)})"
            horizon = format_duration(intent.predict_seconds)
            what = f"{metric.name} in {horizon}, predicted from the last {window}"
            assumptions.append(f"a straight line through the last {window}")
        elif intent.growth:
            window = str(self.vocab.defaults.get("growth_window", "10m"))
            expr = f"deriv({ranged(sel, window)})"
            unit = "bytes_per_second" if unit == "bytes" else "per_second"
            what = f"how fast {metric.name} changes per second (over {window})"
            if intent.rate_seconds != 1.0:
                # "growing in MB per hour": the per-second slope times an hour.
                expr = f"{shape.apply(expr)} * {number(intent.rate_seconds)}"
                shape.bare = True
                per = format_duration(intent.rate_seconds)
                what = f"how fast {metric.name} changes per {per} (over {window})"
        elif self._changes_counted(metric):
            # "how many times did the IP change in the last hour": the changes of its value
            # in the window, not its samples.
            expr = f"changes({ranged(sel, self.window)})"
            what = f"how many times {metric.name} changed in {self.window}"
            unit = ""
            scale = 1.0  # a count of changes, in no unit of the metric's
        elif self._quantile_over_window(metric):
            # "p95 probe duration over the last 10 min": a gauge's own samples in the window,
            # the quantile of them (a gauge is no distribution of its own).
            q = self.intent.quantiles[0]
            expr = f"quantile_over_time({number(q)}, {ranged(sel, self.window)})"
            what = f"the {percentile(q)} percentile of {metric.name}'s samples in {self.window}"
        elif self._samples_counted(metric):
            # "how many times was each job scraped in the last minute": one sample a scrape.
            expr = f"count_over_time({ranged(sel, self.window)})"
            what = f"the samples of {metric.name} in {self.window}, one per event"
            unit = ""
            scale = 1.0  # a count of samples, in no unit of the metric's
            shape.op = "sum"
        elif intent.changes and not metric.is_counter_like:
            # "how many times has each probe flipped": the changes of its value in the window.
            expr = f"changes({ranged(sel, self.window)})"
            what = f"the changes of {metric.name} in {self.window}"
            unit = ""
            scale = 1.0
            shape.op = "sum"
            share = False
        elif intent.deviation and not metric.is_counter_like:
            # "how jittery are the probes", "std dev of their duration over 10m": how far a
            # gauge's samples in the window stray from their mean.
            expr = f"stddev_over_time({ranged(sel, self.window)})"
            what = f"the standard deviation of {metric.name}'s samples in {self.window}"
        elif (intent.average or share) and self.over_window:
            expr = f"avg_over_time({ranged(sel, self.window)})"
            what = f"{metric.name} averaged over {self.window}"
        else:
            expr = sel
            what = metric.name
        if share:
            # 1 or 0 each: the share that is up is their average (over time, over series).
            unit = "ratio"
            shape.op = "avg"
            if not _EACH.search(intent.text):
                shape.bare = False  # "what percentage of the probes": of all of them
                shape.by = [k for k in shape.by if k not in filters]
            if intent.down:
                out = shape.apply(expr)
                return f"1 - {_paren(out)}", unit, f"the share of {metric.name} at 0" + _by(shape)
        elif self._health_question(metric):
            shape.op = "min"
        elif intent.average and not self.over_window:
            shape.op = "avg"  # "average samples scraped per target": across the series
        out = shape.apply(expr)
        if scale != 1.0:
            out = f"{out} * {number(scale)}"
        return out, unit, what + _by(shape)

    def _changes_counted(self, metric: MetricInfo) -> bool:
        """ "How many times did it change in the last hour" of a level: its changes."""
        intent = self.intent
        times = intent.count_of == "time" and bool(_CHANGED.search(intent.text))
        return times and self.over_window and not metric.is_counter_like

    def _quantile_over_window(self, metric: MetricInfo) -> bool:
        """One percentile asked of a gauge over a window said: of its samples over time."""
        intent = self.intent
        return (
            len(intent.quantiles) == 1
            and self.over_window
            and not intent.average
            and not metric.is_counter_like
            and metric.type not in ("histogram", "summary")
            and "quantile" not in metric.labels
            and "le" not in metric.labels
        )

    def _samples_counted(self, metric: MetricInfo) -> bool:
        """ "How many times … in the last minute" of events that each write one sample of
        the metric (a scrape): its samples in the window, counted."""
        intent = self.intent
        sampled = any(m.sampled for m in self.vocab.measures if m.name in intent.measures)
        occurrences = self.vocab.occurrence_words
        times = bool(intent.count_of) and intent.count_of.split()[-1] in occurrences
        return sampled and times and self.over_window and not metric.is_counter_like

    def _age(
        self, metric: MetricInfo, filters: Mapping[str, Sequence[str]], kept: list[str], offset: str
    ) -> tuple[str, str, str]:
        shape = self._shape(metric, filters, kept)
        sel = selector(metric.name, filters, offset=offset)
        if self._is_timestamp(metric):
            expr = shape.apply(f"time() - {sel}", "max") if not shape.bare else f"time() - {sel}"
            return expr, "seconds", f"seconds since {metric.name}"
        return shape.apply(sel, "max"), base_unit(metric) or "seconds", metric.name

    def _health_share(self, metric: MetricInfo) -> bool:
        """ "What percentage of the probes succeed", "availability over the last hour": the
        share of 1s of a health gauge."""
        intent = self.intent
        asked = intent.percent or intent.ratio
        asked = asked or (self.over_window and bool(_AVAILABILITY.search(intent.text)))
        return (
            asked
            and self._is_health(metric)
            and not metric.is_counter_like
            and not intent.count_of
            and not intent.peak
            and intent.threshold is None
        )

    def _whole_of_share_from(
        self, filters: Mapping[str, Sequence[str]]
    ) -> dict[str, list[str]] | None:
        """The filters of the whole, when a share of it is asked of values said after
        "come from" (those values' labels left out); None when there is no such share."""
        at = self.intent.share_from_at
        if not at or not (self.intent.ratio or self.intent.percent):
            return None
        named = {label for m in self.ctx.mentions if m.start >= at for label, _ in m.options}
        whole = {k: list(v) for k, v in filters.items() if filter_label(k) not in named}
        return whole if len(whole) < len(filters) else None

    def _share_from(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        whole_filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        shape = self._shape(metric, whole_filters, kept)
        shape.op = "sum"
        shape.bare = False
        # Grouped by what is left of the whole only: the part and the whole must match.
        named = {filter_label(k) for k in filters} - {filter_label(k) for k in whole_filters}
        shape.by = [k for k in shape.by if k not in named]
        parts = []
        for chosen in (filters, whole_filters):
            sel = selector(metric.name, chosen, offset=offset)
            inner = f"rate({ranged(sel, self.window)})" if metric.is_counter_like else sel
            parts.append(shape.apply(inner))
        what = f"{metric.name} of the values named, as a share of all of it"
        return f"{parts[0]} / {parts[1]}", "ratio", what + _by(shape)

    def _is_timestamp(self, metric: MetricInfo) -> bool:
        return is_timestamp(metric, self.vocab)

    def _is_health(self, metric: MetricInfo) -> bool:
        words = set(split_name(metric.name))
        return bool(words & {"up", "success", "healthy"})

    def _histogram_quantile(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        quantiles = self.intent.quantiles or [
            float(self.vocab.defaults.get("latency_quantile", 0.95))
        ]
        if not self.intent.quantiles and not offset:
            assumptions.append(f"the {percentile(quantiles[0])} percentile (none was named)")
        bucket = family_part(metric, "_bucket", self.by_name)
        by = ["le", *kept]
        scale = _to_base(metric)

        def one(q: float) -> str:
            inner = aggregate(
                "sum",
                f"rate({ranged(selector(bucket.name, filters, offset=offset), self.window)})",
                by,
            )
            text = f"histogram_quantile({number(q)}, {inner})"
            return f"{text} * {number(scale)}" if scale != 1.0 else text

        unit = base_unit(metric) or "seconds"
        name = family(metric.name)
        if len(quantiles) == 1:
            return (
                one(quantiles[0]),
                unit,
                f"{percentile(quantiles[0])} percentile of {name}" + _by_labels(kept),
            )
        if _SPREAD.search(self.intent.text) and len(quantiles) == 2:
            # "the gap between p99 and the median": the higher percentile less the lower.
            low, high = sorted(quantiles)
            return (
                f"{one(high)} - {one(low)}",
                unit,
                f"the {percentile(high)} less the {percentile(low)} percentile of {name}"
                + _by_labels(kept),
            )
        parts = [f'label_replace({one(q)}, "quantile", "{number(q)}", "", "")' for q in quantiles]
        names = ", ".join(percentile(q) for q in quantiles)
        return (
            " or ".join(parts),
            unit,
            f"the {names} percentiles of {name}, told apart by a quantile label",
        )

    def _summary_quantile(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        quantiles = self.intent.quantiles or [
            float(self.vocab.defaults.get("latency_quantile", 0.95))
        ]
        values = metric.labels.get("quantile", ())
        q = quantiles[0]
        if not self.intent.quantiles and (extreme := _EXTREME.search(self.intent.text)):
            # "the longest GC pause", "worst-case": the summary's maximum, its quantile 1.
            end = 0.0 if extreme.group(1) in ("shortest", "min", "minimum") else 1.0
            q = end if _quantile_value(end, values) is not None else q
        written = _quantile_value(q, values)
        if written is None:
            written = number(q)
            assumptions.append(f"{metric.name} may not have the {percentile(q)} percentile")
        elif not self.intent.quantiles and not offset:
            assumptions.append(f"the {percentile(q)} percentile (none was named)")
        with_quantile = {**filters, "quantile": [written]}
        shape = self._shape(metric, with_quantile, kept)
        shape.op = "max"
        sel = selector(metric.name, filters, [f"quantile={quote(written)}"], offset)
        expr = shape.apply(sel)
        scale = _to_base(metric)
        spread = self._quantile_spread(values)
        if spread is not None:
            # "the gap between p99 and the median": the higher percentile less the lower.
            high, low = (
                shape.apply(selector(metric.name, filters, [f"quantile={quote(w)}"], offset))
                for w in spread
            )
            expr = f"{high} - {'ignoring (quantile) ' if shape.bare else ''}{low}"
            if scale != 1.0:
                expr = f"({expr}) / {number(1 / scale)}"
            what = f"the {spread[0]} less the {spread[1]} quantile of {metric.name}"
            return expr, base_unit(metric) or "seconds", what + _by(shape)
        if scale != 1.0:
            expr = f"{expr} / {number(1 / scale)}"
        return (
            expr,
            base_unit(metric) or "seconds",
            f"{percentile(q)} percentile of {metric.name}" + _by(shape),
        )

    def _quantile_spread(self, values: Sequence[str]) -> tuple[str, str] | None:
        """ "gap between p99 and the median": two percentiles asked as a difference, as
        the summary writes them (higher, lower)."""
        quantiles = self.intent.quantiles
        if len(quantiles) != 2 or not _SPREAD.search(self.intent.text):
            return None
        low, high = (_quantile_value(q, values) for q in sorted(quantiles))
        return None if low is None or high is None else (high, low)

    def _family_average(
        self, metric: MetricInfo, filters: Mapping[str, Sequence[str]], kept: list[str], offset: str
    ) -> tuple[str, str, str]:
        total = family_part(metric, "_sum", self.by_name)
        count = family_part(metric, "_count", self.by_name)
        expr = self._average_in_base_unit(metric, total, count, filters, kept, offset)
        return (
            expr,
            base_unit(metric) or "seconds",
            f"average {family(metric.name)} (sum / count)" + _by_labels(kept),
        )

    def _counter_average(
        self,
        metric: MetricInfo,
        count: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        expr = self._average_in_base_unit(metric, metric, count, filters, kept, offset)
        unit = base_unit(metric) or "seconds"
        return expr, unit, f"average {metric.name} per {count.name}" + _by_labels(kept)

    def _average_in_base_unit(
        self,
        metric: MetricInfo,
        total: MetricInfo,
        count: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> str:
        """rate(total) / rate(count), scaled from `metric`'s unit to its base unit."""
        expr, _, _ = self._pair_ratio(total, count, filters, kept, offset, "")
        scale = _to_base(metric)
        return f"{expr} * {number(scale)}" if scale != 1.0 else expr

    def _summed_rates(
        self,
        a: MetricInfo,
        b: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[Shape, str, str]:
        """Rates of two counters summed to the same grouping, so they divide."""
        shape = self._shape(a, filters, kept, b)
        rate_a = f"rate({ranged(selector(a.name, filters, offset=offset), self.window)})"
        rate_b = f"rate({ranged(selector(b.name, _only(filters, b), offset=offset), self.window)})"
        return shape, shape.apply(rate_a, "sum"), shape.apply(rate_b, "sum")

    def _pair_ratio(
        self,
        a: MetricInfo,
        b: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        what: str,
    ) -> tuple[str, str, str]:
        _, num, den = self._summed_rates(a, b, filters, kept, offset)
        text = what.format(a=a.name, b=b.name) if what else f"{a.name} / {b.name}"
        return f"{num} / {den}", "ratio", text

    def _errors(
        self,
        metric: MetricInfo,
        status: str,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        intent = self.intent
        vocab = self.vocab
        classes = intent.status_classes or ["server_error"]
        named_code = status in filters
        shape = self._shape(metric, filters, kept)
        window = self.window
        if len(classes) > 1 and not named_code:
            patterns = sorted(vocab.status_classes[c][1] for c in classes)
            first = {p[0] for p in patterns}
            joined = (
                "[" + "".join(sorted(first)) + "].."
                if all(p[1:] == ".." for p in patterns)
                else "|".join(patterns)
            )
            sel = selector(metric.name, filters, [f"{status}=~{quote(joined)}"], offset)
            inner = (
                f'label_replace(rate({ranged(sel, window)}), "class", "${{1}}xx", '
                f'{quote(status)}, "(.)..")'
            )
            if not offset:
                assumptions.append(f"classes of {status}: 4xx are client errors, 5xx server errors")
            return (
                aggregate("sum", inner, ["class", *kept]),
                "per_second",
                f"{metric.name} per second by class of {status}",
            )
        kind = classes[0]
        pattern = vocab.status_classes[kind][1]
        op = "!~" if intent.success else "=~"
        extra = [] if named_code else [f"{status}{op}{quote(pattern)}"]
        if not offset and not named_code:
            assumptions.append(f'{kind.replace("_", " ")}s are {status}=~"{pattern}"')
        errors = selector(metric.name, filters, extra, offset)
        total = selector(
            metric.name, {k: v for k, v in filters.items() if k != status}, offset=offset
        )
        wants_ratio = self._wants_ratio() or intent.breaking or intent.success
        if intent.spike or intent.per_second or not wants_ratio:
            counted = (
                intent.total and self.over_window and not intent.per_second and not intent.spike
            )
            fn = "increase" if counted else "rate"
            expr = shape.apply(f"{fn}({ranged(errors, window)})", "sum")
            unit = "count" if counted else "per_second"
            how = "increase" if counted else "per-second rate"
            what = f"{how} of {metric.name} with {status} {op} {pattern}"
            return expr, unit, what + _by(shape)
        shape_all = Shape(shape.by, False, "sum")
        num = shape_all.apply(f"rate({ranged(errors, window)})")
        den = shape_all.apply(f"rate({ranged(total, window)})")
        label = "without" if intent.success else "that are"
        return (
            f"{num} / {den}",
            "ratio",
            f"share of {metric.name} {label} {kind.replace('_', ' ')}s" + _by(shape_all),
        )

    def _complement(
        self,
        a: MetricInfo,
        b: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        shape, one, other = self._summed_rates(a, b, filters, kept, offset)
        return (
            f"{one} / ({one} + {other})",
            "ratio",
            f"{a.name} / ({a.name} + {b.name})" + _by(shape),
        )

    def _limit_pair(self, metric: MetricInfo) -> tuple[str, MetricInfo, MetricInfo] | None:
        return limit_pair(metric, self.metrics, self.vocab, self.ctx.sizes)

    def _limit_ratio(
        self,
        used: MetricInfo,
        limit: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        shape, num, den = self._summed_gauges(used, limit, filters, kept, offset)
        if self._left_asked(used):
            # "what percentage of maxmemory is still free": the share not used.
            what = f"the share left: 1 - {used.name} / {limit.name}"
            return f"1 - {num} / {den}", "ratio", what + _by(shape)
        return f"{num} / {den}", "ratio", f"{used.name} as a share of {limit.name}" + _by(shape)

    def _left_asked(self, used: MetricInfo) -> bool:
        """What is left of a limit is asked ("still free"), and `used` counts what is used,
        not what is left."""
        asked = self.intent.qualifiers
        left_words = set(self.vocab.pairs.get("available", ()))
        said_left = "available" in asked and "usage" not in asked
        return (
            said_left and not used.is_counter_like and not left_words & core_words(used, self.vocab)
        )

    def _summed_gauges(
        self,
        a: MetricInfo,
        b: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[Shape, str, str]:
        """Two gauges summed to the same grouping, so they subtract or divide."""
        shape = self._shape(a, filters, kept, b)
        sum_a, sum_b = (
            shape.apply(selector(m.name, _only(filters, m), offset=offset), "sum") for m in (a, b)
        )
        return shape, sum_a, sum_b

    def _rest_of_whole(
        self,
        part: MetricInfo,
        whole: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        shape, rest, all_ = self._summed_gauges(part, whole, filters, kept, offset)
        what = f"{whole.name} - {part.name}, those without it" + _by(shape)
        return f"{all_} - {rest}", base_unit(part), what

    def _headroom_pair(self, metric: MetricInfo) -> tuple[MetricInfo, MetricInfo] | None:
        """(used, limit) of the metric's thing, whichever of the two the metric is."""
        limit = self.vocab.qualifiers.get("limit")
        if limit is not None and self._says(metric, limit.metric_words):
            for other in self.metrics:
                if other.name != metric.name and not other.is_counter_like:
                    partner = limit_partner(other, self.metrics, self.vocab)
                    if partner is not None and partner.name == metric.name:
                        return other, metric
            used = self._used_of_limit(metric)
            return (used, metric) if used is not None else None
        found = limit_partner(metric, self.metrics, self.vocab) or self._limit_of_used(metric)
        return (metric, found) if found is not None else None

    def _headroom(
        self,
        used: MetricInfo,
        limit: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        """How much more fits: the limit minus what is used now."""
        shape, now, most = self._summed_gauges(used, limit, filters, kept, offset)
        unit = base_unit(used)
        return f"{most} - {now}", unit, f"{limit.name} - {used.name}, the room left" + _by(shape)

    def _free_ratio(
        self,
        free: MetricInfo,
        size: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        shape, num, den = self._summed_gauges(free, size, filters, kept, offset)
        asked = self.intent.qualifiers
        if "available" in asked and "usage" not in asked:
            # "available memory in percent": the share that is left.
            return (
                f"{num} / {den}",
                "ratio",
                f"the share left: {free.name} / {size.name}" + _by(shape),
            )
        return (
            f"1 - {num} / {den}",
            "ratio",
            f"the share used: 1 - {free.name} / {size.name}" + _by(shape),
        )

    def _used_amount(
        self,
        free: MetricInfo,
        size: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        """What is used of a whole known by its size and what is left: size - available."""
        shape, left, whole = self._summed_gauges(free, size, filters, kept, offset)
        return (
            f"{whole} - {left}",
            base_unit(size),
            f"the amount used: {size.name} - {free.name}" + _by(shape),
        )

    def _busy(
        self,
        metric: MetricInfo,
        idle: tuple[str, str],
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
    ) -> tuple[str, str, str]:
        label, value = idle
        sel = selector(metric.name, filters, [f"{label}={quote(value)}"], offset)
        shape = Shape(kept, False, "avg")
        expr = shape.apply(f"rate({ranged(sel, self.window)})")
        return f"1 - {expr}", "ratio", f"the share of {metric.name} not {value}" + _by(shape)

    def _fraction_above(
        self,
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        kept: list[str],
        offset: str,
        assumptions: list[str],
    ) -> tuple[str, str, str]:
        limit = self.intent.longer_than or 0.0
        bucket = family_part(metric, "_bucket", self.by_name)
        count = family_part(metric, "_count", self.by_name)
        bounds = []
        for value in bucket.labels.get("le", ()):
            try:
                bounds.append((float(value), value))
            except ValueError:
                continue
        exact = [v for f, v in bounds if math.isclose(f, limit, rel_tol=1e-9)]
        above = sorted((f, v) for f, v in bounds if f >= limit)
        le = exact[0] if exact else (above[0][1] if above else number(limit))
        if not exact and not offset:
            assumptions.append(f"the nearest bucket boundary is le={le}")
        shape = Shape(kept, False, "sum")
        fast = shape.apply(
            "rate("
            + ranged(selector(bucket.name, filters, [f"le={quote(le)}"], offset), self.window)
            + ")"
        )
        every = shape.apply(
            f"rate({ranged(selector(count.name, filters, offset=offset), self.window)})"
        )
        return (
            f"1 - {fast} / {every}",
            "ratio",
            f"share of {family(metric.name)} above {le}s" + _by(shape),
        )

    # --- around the inner expression

    def _counted_label(self, metric: MetricInfo) -> str:
        """The label of "how many <things>" when the things are values of a label."""
        noun = self.intent.count_of
        if not noun:
            return ""
        nouns = noun.split()
        if self._counts_itself(metric) or nouns[-1] in self.vocab.series_words:
            return ""  # targets, instances: its series
        for word in reversed(nouns):
            labels = group_labels([word], metric, self.vocab)
            if labels:
                return labels[-1]
        return ""

    def _counts_itself(self, metric: MetricInfo) -> bool:
        """The metric's value is the number asked ("how many series" of a series gauge)."""
        nouns = self.intent.count_of.split()
        if self.intent.distinct:
            return False  # "how many different commands": the kinds seen, not the calls
        parts = [w for w in split_name(metric.name) if w not in ("total", "count")]
        return bool(nouns and parts and nouns[-1] in self.vocab.word_forms(parts[-1]))

    def _wrap(
        self,
        plan: Plan,
        build: Callable[[str], tuple[str, str, str]],
        metric: MetricInfo,
        filters: Mapping[str, Sequence[str]],
        by: list[str],
        counted: str,
    ) -> None:
        intent = self.intent
        vocab = self.vocab
        asked = self.grounding.window
        if intent.offset_seconds:
            offset = format_duration(intent.offset_seconds)
            earlier, _, _ = build(offset)
            if intent.compare_then and self._change_asked(plan):
                # "how much has it changed since a minute ago", "size now vs a minute ago,
                # in KB": the difference, in the measure's own unit.
                plan.promql = f"({plan.promql}) - ({earlier})"
                plan.explanation += f", now minus {offset} earlier"
                plan.assumptions.append("the change: positive when it grew")
            elif intent.compare_then:
                plan.promql = f"({plan.promql}) / ({earlier})"
                plan.unit = "ratio"
                plan.explanation += f", now relative to {offset} earlier"
                plan.assumptions.append("1 means unchanged; 2 means twice as much as then")
            else:
                plan.promql = earlier
                plan.explanation += f", {offset} ago"
        if intent.peak and asked.is_range:
            step = self.rate_window
            span = format_duration(asked.duration)
            bare = selector(metric.name, filters)
            # "max probe duration per job over the last 10 min": of a gauge's groups, the
            # extreme asked of their series too (not of their average), unless one is asked.
            ops = intent.peak if intent.average else f"(?:{intent.peak}|avg)"
            same = re.fullmatch(rf"{ops}( by \([\w, ]*\) )?\({re.escape(bare)}\)", plan.promql)
            if plan.promql == bare:
                # A gauge as it is: every sample of the window, no subquery steps.
                plan.promql = f"{intent.peak}_over_time({ranged(plan.promql, span)})"
            elif same is not None:
                # "the worst scrape duration per job": the max of each group's series' maxima
                # is the max of the group's max, and it reads every sample of the window.
                inner = f"{intent.peak}_over_time({ranged(bare, span)})"
                plan.promql = f"{intent.peak}{same.group(1) or ''}({inner})"
            else:
                # A subquery's step as long as its range reads one instant at best (and none
                # when the range's start is not on the step): Prometheus' own resolution then.
                step = step if parse_duration(step) < asked.duration else ""
                plan.promql = f"{intent.peak}_over_time(({plan.promql})[{span}:{step}])"
            extreme = "highest" if intent.peak == "max" else "lowest"
            plan.explanation = f"the {extreme} {plan.explanation} over {asked.description}"
            plan.instant = True
        elif self.over_window and (plan.kind != "value" or intent.average):
            plan.instant = True
            plan.explanation += f" over {asked.description}"
        if intent.per_core is not None:
            self._per_core(plan, metric)
        share = plan.unit == "ratio"
        if intent.percent and plan.unit == "ratio":
            plan.promql = f"100 * ({plan.promql})"
            plan.unit = "percent"
        elif intent.unit is not None:
            kind, factor, written = intent.unit
            if kind == "bytes" and plan.unit == "" and self._unitless_size(metric, plan):
                plan.unit = "bytes"  # "body length in KB": a size with no unit is in bytes
            if kind == "bytes" and plan.unit in ("bytes", "bytes_per_second") and factor != 1:
                plan.promql = f"({plan.promql}) / {number(factor)}"
                plan.unit = ""
                plan.explanation += f", in {written.upper()}"
            elif kind == "seconds" and (native := _in_own_unit(plan.promql, metric, factor)):
                # "latency in usec" of a metric kept in usec: its values as they are.
                plan.promql = native
                plan.unit = ""
                plan.explanation += f", in {written}"
            elif kind in ("seconds", "cores") and plan.unit == kind and factor != 1:
                # "in ms", "in millicores": a time, or CPU in cores, in a smaller unit.
                plan.promql = f"({plan.promql}) / {number(factor)}"
                plan.unit = ""
                plan.explanation += f", in {written}"
        threshold = intent.threshold
        if (
            threshold is None
            and intent.code_said is not None
            and plan.kind == "value"
            and {"status", "code"} <= set(split_name(metric.name))
            and not any(str(intent.code_said[1]) in v for v in metric.labels.values())
        ):
            # "targets not returning a 200": the status code compared with the one said.
            op, code = intent.code_said[:2]
            compared = f"{op} {code}" if op != "class" else f">= {code} < {code + 100}"
            plan.promql = f"{_paren(plan.promql)} {compared}"
            plan.explanation += f", only where {compared}"
            plan.empty_ok = True
            if not intent.count_of:
                return
        if threshold is None and intent.near_limit and plan.unit in ("ratio", "percent"):
            value = float(vocab.defaults.get("near_limit_threshold", 0.85))
            threshold = Threshold(">", value * (100 if plan.unit == "percent" else 1), "plain")
            plan.assumptions.append(f"'close to the limit' taken as above {value:.0%}")
        if threshold is None and intent.breaking and plan.unit == "ratio":
            value = float(vocab.defaults.get("breaking_error_ratio", 0.05))
            threshold = Threshold(">", value, "plain")
            plan.assumptions.append(f"'breaking' taken as an error ratio above {value:.0%}")
        if threshold is None and vocab.says("none", intent.text) and plan.kind == "value":
            # "which dbs are empty": what they hold (the glossary's words for it) at 0.
            threshold = Threshold("==", 0.0, "plain")
        # The listed parts' rates added up are a rate too.
        rated = plan.kind in ("rate", "parts_sum")
        if threshold is None and intent.had_any and rated and intent.top is None:
            # "which databases had rollbacks": those where any happened in the window.
            threshold = Threshold(">", 0.0, "plain")
        if threshold is None and intent.had_none and rated and intent.top is None:
            # "commands that haven't been called in the last 5 min": none in the window.
            threshold = Threshold("==", 0.0, "plain")
        if threshold is None and intent.than_average and plan.kind == "value":
            # "which probes are slower than the average probe": each against the average of all.
            plan.promql = f"{_paren(plan.promql)} {intent.than_average} scalar(avg({plan.promql}))"
            plan.explanation += f", only where {intent.than_average} the average of all"
            plan.empty_ok = True
            return
        if (
            threshold is not None
            and threshold.kind == "seconds"
            and (native := _in_own_unit(plan.promql, metric, threshold.factor))
        ):
            # "above 10 microseconds" of a metric kept in microseconds: compared as it is.
            plan.promql = native
            plan.unit = ""
            threshold = Threshold(threshold.op, threshold.value / threshold.factor, "plain")
        if threshold is not None:
            value = threshold.value
            if threshold.kind == "percent" and plan.unit in ("ratio", "cores"):
                value /= 100
            plan.promql = f"{_paren(plan.promql)} {threshold.op} {number(value)}"
            plan.explanation += f", only where {threshold.op} {number(value)}"
            plan.empty_ok = True
        elif (
            intent.down
            and plan.kind == "value"
            and self._is_health(metric)
            and not share
            and not intent.changes  # "up/down changes": how often it flipped, not whether down
        ):
            plan.promql = f"{_paren(plan.promql)} == 0"
            plan.explanation += ", only where 0 (down)"
            plan.empty_ok = True
        elif (
            intent.which
            and plan.kind == "value"
            and self._is_health(metric)
            and "availability" in intent.measures
            and not intent.count_of
        ):
            # "which probes are succeeding", "which targets are up": those at 1.
            plan.promql = f"{_paren(plan.promql)} == 1"
            plan.explanation += ", only where 1 (up)"
            plan.empty_ok = True
        # "top 2 databases by number of keys": a metric that is the count itself is ranked.
        counting = bool(intent.count_of) and not self._counts_itself(metric)
        if counting:
            self._count(plan, metric, counted, filters, [b for b in by if b != counted])
        elif intent.top is not None and (by or not plan.promql.startswith(_ONE_NUMBER)):
            kind, k = intent.top
            if intent.singular_subject and not _top_number_given(intent):
                k = 1  # "which service … the most", "slowest service": the one
            plan.promql = f"{kind}({k}, {plan.promql})"
            plan.explanation = (
                f"the {k} {'highest' if kind == 'topk' else 'lowest'}: {plan.explanation}"
            )

    def _change_asked(self, plan: Plan) -> bool:
        """A comparison with earlier read as a difference, not a ratio: when a unit or "how
        much … changed" is asked, or of a level or a rate minutes ago — unless a ratio,
        a percentage or "times" is asked, or a spike."""
        intent = self.intent
        if intent.spike or intent.ratio or intent.percent or _TIMES.search(intent.text):
            return False
        if intent.unit is not None or _CHANGE_BY.search(intent.text):
            return True
        # Minutes ago, of a level or of a rate: how much it moved since (a ratio of two
        # one-minute rates swings wildly; the difference is in the rate's own unit).
        return intent.offset_seconds <= _SHORT_COMPARISON

    def _unitless_size(self, metric: MetricInfo, plan: Plan) -> bool:
        """A gauge with no unit of its own whose name or help says it is a size or a length
        ("…_body_length"): asked in KB or MB, it is read as bytes."""
        if plan.kind != "value" or metric.is_counter_like or base_unit(metric):
            return False
        if metric.unit.lower() not in ("", "bytes", "byte"):
            return False
        said = set(split_name(metric.name)) | set(self.vocab.text_words(metric.help))
        return bool(said & self.vocab.byte_words)

    def _per_core_labels(self, metric: MetricInfo, by: Sequence[str]) -> list[str]:
        """ "packets processed per second, for each cpu": of a metric that is per core
        already, "per core" names its cores to group by (nothing is divided by them)."""
        if self.intent.per_core is None:
            return []
        labels = self.vocab.label_synonyms.get("core", ("cpu",))
        return [label for label in labels if label in metric.labels and label not in by][:1]

    def _per_core(self, plan: Plan, metric: MetricInfo) -> None:
        """ "X per CPU core": X divided by the number of cores, counted as the series of a
        per-core metric in one state (its idle time); nothing to do when X is per core."""
        labels = self.vocab.label_synonyms.get("core", ("cpu",))
        if any(label in metric.labels for label in labels):
            return
        for other in self.metrics:
            label = next((lb for lb in labels if lb in other.labels), None)
            idle = idle_label(other, self.vocab)
            if label is None or idle is None:
                continue
            sel = selector(other.name, {idle[0]: [idle[1]]})
            if not plan.promql.startswith(_ONE_NUMBER) and " by (" not in plan.promql:
                cores = f"count without ({label}, {idle[0]}) ({sel})"
            else:
                cores = f"scalar(count({sel}))"  # summed: over all the cores there are
            plan.promql = f"{_paren(plan.promql)} / {cores}"
            plan.explanation += f", per core (the {label} values of {other.name})"
            plan.assumptions.append(f"cores counted as the {label} values of {other.name}")
            return

    def _count(
        self,
        plan: Plan,
        metric: MetricInfo,
        counted: str,
        filters: Mapping[str, Sequence[str]],
        by: Sequence[str] = (),
    ) -> None:
        intent = self.intent
        words = intent.count_of.split()
        if self._counts_itself(metric):
            return
        if counted:
            # Series without the label (a database's shared objects) are none of the things.
            inner = _with_label(plan.promql, metric.name, counted)
            if self._is_health(metric) and not plan.empty_ok and "availability" in intent.measures:
                # "how many interfaces are up": those at 1 (at 0 when down) are counted.
                inner = f"{_paren(inner)} == {0 if intent.down else 1}"
            elif intent.count_have and not plan.empty_ok and not intent.distinct:
                inner = f"{_paren(inner)} > 0"
            plan.promql = f"count({inner})"
            plan.unit = "count"
            plan.explanation = f"how many {counted} values: {plan.explanation}"
            return
        failures = self._is_health(metric) and intent.down and self.over_window
        if words and words[-1] in self.vocab.series_words and failures and self.per_series:
            # "failed probes per target in the last 5m": each series' samples at 0 in the
            # window (a 0/1 health gauge: its samples less those at 1).
            sel = ranged(selector(metric.name, filters), self.window)
            plan.promql = f"count_over_time({sel}) - sum_over_time({sel})"
            plan.unit = "count"
            plan.explanation = f"how many samples of {metric.name} were 0 in {self.window}"
            plan.empty_ok = False
            return
        if words and words[-1] in self.vocab.series_words and plan.kind == "value":
            inner = selector(metric.name, filters)
            up = "up" in intent.stems or "availability" in intent.measures
            if self._is_health(metric) and up and not intent.down:
                inner = f"{inner} == 1"
            elif self._is_health(metric) and intent.down:
                inner = f"{inner} == 0"  # each target down, not whether all of them are
            elif plan.empty_ok:
                inner = plan.promql
            plan.promql = aggregate("count", inner, by)  # "targets per job": count by job
            if inner != selector(metric.name, filters) and not by:
                plan.promql += " or vector(0)"  # none down is 0, not "no data"
                plan.empty_ok = False
            plan.unit = "count"
            plan.explanation = f"how many series: {plan.explanation}"


_ONE_NUMBER = ("sum(", "avg(", "min(", "max(", "count(")


def _top_number_given(intent: Intent) -> bool:
    return bool(
        re.search(
            r"\b(?:top|bottom|which|what|the)\s+\d+\b|^\s*\d+\s|\b\d+\s+(?:most|least)",
            intent.text,
        )
    )


def _with_label(expr: str, name: str, label: str) -> str:
    """`expr` with every selector of `name` also requiring a non-empty `label`."""
    matcher = f'{label}!=""'

    def add(match: re.Match[str]) -> str:
        if match.group(1):
            return f"{name}{{{matcher}, "
        return f"{name}{{{matcher}}}"

    pattern = re.compile(rf"(?<![\w:]){re.escape(name)}(?![\w:])(\{{(?!\}}))?")
    return pattern.sub(add, expr)


_PARTICIPLE_PLURAL = re.compile(r"\b([a-z]+?)(?:ed|d)?\s+([a-z]+s)\b")


def _things_done_to(text: str, vocab: Vocabulary) -> bool:
    """ "the probed endpoints", "the probe endpoints": things named by what is done to each
    (a series word, or its participle) in the plural: each series is one of them."""
    for match in _PARTICIPLE_PLURAL.finditer(text):
        verb = match.group(1)
        if {verb, verb + "e"} & vocab.series_words and stem(match.group(2)) != match.group(2):
            return True
    return False


def is_info(metric: MetricInfo) -> bool:
    """An info metric (`…_info`, `…_build_info`): 1 per thing, what it says in its labels."""
    return metric.type == "info" or metric.name.endswith("_info")


def _split_beyond_subjects(metric: MetricInfo, vocab: Vocabulary) -> bool:
    """The metric's series tell apart more than the things that serve it (a status code,
    a phase): a label that is none of the subject labels has several values."""
    return any(
        label not in vocab.subject_labels and label not in ("le", "quantile") and len(values) > 1
        for label, values in metric.labels.items()
    )


def _head_is_series(phrase: str, vocab: Vocabulary) -> bool:
    """ "each probe", "per target": the things grouped are series; "each probe job": jobs
    (the phrase's last word is what is grouped, the first only says whose)."""
    said = [stem(w) for w in phrase.replace("_", " ").split()]
    if not said or said[-1] in vocab.series_words:
        return bool(said)
    labels = {*vocab.label_synonyms, *vocab.subject_labels, *vocab.filter_label_priority}
    if said[-1] in labels:
        return False
    return any(w in vocab.series_words for w in said)


def _paren(expr: str) -> str:
    depth = 0
    for i, ch in enumerate(expr):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch == " " and expr[i + 1 : i + 2] in ("/", "+", "-", "*", "o", "a"):
            return f"({expr})"
    return expr


def _one_series_each(
    metric: MetricInfo, filters: Mapping[str, Sequence[str]], grouped: Sequence[str]
) -> bool:
    """Whether each value (or combination) of the grouped labels is one series already: every
    other label has one value, or is filtered to one."""
    if metric.series_count <= 0 or metric.type == "histogram":
        return False
    if any(label in metric.truncated_labels for label in metric.labels):
        return False
    narrowed = {filter_label(k): v for k, v in filters.items() if k == filter_label(k)}
    combinations = 1
    for label, values in metric.labels.items():
        if label in grouped:
            combinations *= max(len(values), 1)
        elif len(narrowed.get(label, values)) > 1 or label == "le":
            return False
    return estimate_series(metric, narrowed) <= combinations


def _only(filters: Mapping[str, Sequence[str]], metric: MetricInfo) -> dict[str, list[str]]:
    return {k: list(v) for k, v in filters.items() if filter_label(k) in metric.labels}


def _by(shape: Shape) -> str:
    return "" if shape.bare or not shape.by else f" by {', '.join(shape.by)}"


def _by_labels(labels: Sequence[str]) -> str:
    return f" by {', '.join(labels)}" if labels else ""


def _tells_apart(metric: MetricInfo, label: str) -> bool:
    values = metric.labels.get(label, ())
    return len(values) != 1 or label in metric.truncated_labels


def _quantile_value(q: float, values: Sequence[str]) -> str | None:
    for value in values:
        try:
            number_ = float(value)
        except ValueError:
            continue
        if math.isclose(number_, q, rel_tol=1e-9) or math.isclose(number_, q * 100, rel_tol=1e-9):
            return value
    return None
