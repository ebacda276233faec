"""The planner as an engine: remembered examples first, then parse → choose → compose → verify.

Deterministic: the same question and grounding give the same PromQL. Every
answer says which metric it chose and why, what it assumed, and how confident
it is; a question it cannot place ("what is the airspeed?") is refused with
what it would need, rather than answered with a guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from obsai_common.errors import FailedPrecondition
from obsai_query.catalog_client import Example, MetricInfo
from obsai_query.engines.base import Generation, QueryPart
from obsai_query.grounding import Grounding
from obsai_query.planner.choose import (
    MAX_CANDIDATES,
    Choice,
    Concept,
    Mention,
    distinct_labels,
    find_mentions,
    group_labels,
    imply_qualifier,
    of_another_thing,
    rank,
    rank_ratio,
    value_key,
)
from obsai_query.planner.compose import Composer, Plan, base_unit, quote
from obsai_query.planner.intent import Intent, parse_intent, side_of
from obsai_query.planner.verify import lookup_for, verify
from obsai_query.planner.vocabulary import (
    Vocabulary,
    default_vocabulary,
    split_name,
    split_phrase,
    stem,
)
from obsai_query.validator import PromqlValidator

# Candidates composed into plans, and alternatives handed to the pipeline.
_PLANS = 6
_ALTERNATIVES = 3
# A remembered example at least this similar, asking the same apart from the
# values it names, is reused with the new values.
EXAMPLE_REUSE_SIMILARITY = 0.85
_ASK_FOR = "say what to measure (CPU, memory, requests, errors, latency, disk, …) and of what"


class Planner:
    """Engine: deterministic PromQL from the grounding alone."""

    name = "planner"

    def __init__(
        self, vocabulary: Vocabulary | None = None, validator: PromqlValidator | None = None
    ) -> None:
        self.vocab = vocabulary or default_vocabulary()
        self.validator = validator or PromqlValidator()

    async def generate(
        self, question: str, grounding: Grounding, feedback: Sequence[str] | None = None
    ) -> Generation:
        return self.plan(question, grounding)

    def plan(self, question: str, grounding: Grounding) -> Generation:
        metrics = _read_by_namesakes(list(grounding.metrics[:MAX_CANDIDATES]))
        if not metrics:
            raise FailedPrecondition(
                "the catalog has no metric that matches the question: " + _ASK_FOR,
                details={"engine": self.name},
            )
        intent = parse_intent(question, self.vocab, _known_words(metrics))
        mentions = find_mentions(intent, metrics, self.vocab, question)
        imply_qualifier(intent, mentions, self.vocab)
        reused = self._reuse(question, intent, mentions, grounding, metrics)
        if reused is not None:
            return reused
        self._check_named_things(intent, mentions, metrics)
        choices, ctx = rank(intent, metrics, mentions, self.vocab)
        best = choices[0]
        if best.covered == 0 and (ctx.concepts or not mentions):
            raise FailedPrecondition(
                f"could not tell what to measure in {question!r}: {_ASK_FOR}",
                details={"engine": self.name},
            )
        unknown = _unmatched_words(ctx.concepts, metrics, self.vocab)
        composer = Composer(intent, ctx, grounding, self.vocab, metrics, choices)
        # "A as a share of B": A / B first, then what the question's words give alone.
        plans = [
            composer.compose_ratio(a, b)
            for a, b in rank_ratio(intent, metrics, mentions, self.vocab)
        ]
        if intent.extremes is not None:
            # "the slowest probe than the fastest one": one measure's highest over its lowest.
            plans.insert(0, composer.compose_extremes_ratio(best, *intent.extremes))
        if compared := _values_compared(intent, mentions, best, self.vocab):
            # "keys in db1 relative to db0": one measure, under one value over the other.
            plans.insert(0, composer.compose_values_ratio(best, *compared))
        per_thing = _per_thing_sides(intent, best, metrics, self.vocab)
        if per_thing is not None:
            # "average memory per key": the memory over the keys, when no label tells keys apart.
            sides = replace(intent, ratio_of=per_thing[:2], ratio=True)
            plans += [
                composer.compose_ratio(a, b)
                for a, b in rank_ratio(
                    sides, metrics, mentions, self.vocab, per_thing[2], per_event=per_thing[3]
                )
            ]
        if intent.difference_of is not None:
            plans += _difference(intent, metrics, mentions, self.vocab, composer)
        if intent.product_of is not None:
            # "if every connection used work_mem": what each uses times how many there may be.
            plans[:0] = _product(intent, metrics, mentions, self.vocab, composer)
        if intent.span:
            # "how many minutes of data does the head block span": its high end less its low.
            plans += [
                composer.compose_difference(high, low, "the other end of its range")
                for high, low in _range_ends(choices, metrics, self.vocab)
            ]
        for after, before in _stage_losses(intent, choices, metrics, self.vocab):
            # "is relabeling dropping any samples": what went into the stage less what is left.
            plans.append(composer.compose_difference(before, after, "what is left after it", "sum"))
        parts = _listed_parts(intent, metrics, mentions, self.vocab)
        if parts:
            # "inserts + updates + deletes": each part on its own words, their rates added.
            plans.append(composer.compose_parts(parts))
        plans += [
            plan for choice in choices[:_PLANS] if (plan := composer.compose(choice)) is not None
        ]
        if intent.percent or intent.ratio or composer.share_of_limit:
            # A share was asked: plans that give one come first (in their order).
            plans.sort(key=lambda p: p.unit not in ("ratio", "percent"))
        kept, refused = verify(plans, grounding, self.validator, metrics)
        if not kept:
            why = "; ".join(problems[0] for _, problems in refused[:2]) or "nothing composed"
            raise FailedPrecondition(
                f"no valid PromQL could be written for {question!r} ({why}): {_ASK_FOR}",
                details={"engine": self.name},
            )
        primary = kept[0]
        confidence = _confidence(primary, choices, intent, mentions) - 0.15 * len(unknown)
        for plan in kept:
            plan.assumptions += [f"nothing in the catalog matched {w!r}; left out" for w in unknown]
        generation = self._generation(primary, max(confidence, 0.1), intent)
        if primary.empty_ok:
            return generation
        alternatives = tuple(
            self._generation(plan, round(confidence * 0.7, 2), intent)
            for plan in kept[1 : 1 + _ALTERNATIVES]
            if not plan.empty_ok
        )
        return replace(generation, alternatives=alternatives)

    def _check_named_things(
        self, intent: Intent, mentions: Sequence[Mention], metrics: Sequence[MetricInfo]
    ) -> None:
        """ "the auth service" when no service is called auth: say so, and what there is."""
        for match in _NAMED_THING.finditer(intent.text):
            word, noun = match.group(1), match.group(2)
            start = match.start(1)
            if stem(word) in self.vocab.common_words or any(
                m.start <= start < m.end for m in mentions
            ):
                continue
            if stem(word) in self.vocab.operation_words or word.isdigit():
                continue
            if any(word in self.vocab.metric_words(m.name) for m in metrics):
                continue
            known: set[str] = set()
            for metric in metrics:
                for label in group_labels([noun], metric, self.vocab):
                    known.update(metric.labels.get(label, ()))
            if not known:
                continue
            listed = ", ".join(sorted(known)[:12]) + (", …" if len(known) > 12 else "")
            raise FailedPrecondition(
                f"no {noun} called {word!r} in the catalog: which {noun}? ({listed})",
                details={"engine": self.name, "unknown": word},
            )

    def _generation(self, plan: Plan, confidence: float, intent: Intent) -> Generation:
        explanation = plan.explanation
        why = f" Chose {plan.metric}"
        if plan.reasons:
            why += f" ({'; '.join(plan.reasons)})"
        explanation += why + "."
        assumptions = list(plan.assumptions)
        for wrong, right in intent.corrections:
            assumptions.append(f"read {wrong!r} as {right!r}")
        return Generation(
            promql=plan.promql,
            explanation=explanation,
            confidence=round(confidence, 2),
            assumptions=tuple(dict.fromkeys(assumptions)),
            engine=self.name,
            unit=plan.unit,
            instant=plan.instant,
            additional=tuple(plan.additional),
        )

    # --- remembered examples

    def _reuse(
        self,
        question: str,
        intent: Intent,
        mentions: list[Mention],
        grounding: Grounding,
        metrics: Sequence[MetricInfo],
    ) -> Generation | None:
        for example in grounding.examples:
            if example.similarity < EXAMPLE_REUSE_SIMILARITY:
                continue
            promql = self._adapted(example, intent, mentions, metrics)
            if promql is None:
                continue
            lookup = lookup_for([promql], {m.name: m for m in metrics})
            if all(v is not None for v in lookup.values()):
                report = self.validator.validate(promql, lookup, 0.0)
                if not report.ok:
                    continue
            changed = promql != example.promql
            return Generation(
                promql=promql,
                explanation=(
                    f"Reused the verified answer to a near-identical question: "
                    f"{example.question!r}" + (", with this question's values." if changed else ".")
                ),
                confidence=round(min(0.95, example.similarity), 2),
                assumptions=("the remembered example still applies",),
                engine="example",
            )
        return None

    def _adapted(
        self,
        example: Example,
        intent: Intent,
        mentions: list[Mention],
        metrics: Sequence[MetricInfo],
    ) -> str | None:
        """The example's PromQL with this question's values, if it asks the same apart from them."""
        theirs = parse_intent(example.question, self.vocab, _known_words(metrics))
        their_mentions = find_mentions(theirs, metrics, self.vocab, example.question)
        if _skeleton(intent, mentions) != _skeleton(theirs, their_mentions):
            return None
        if len(mentions) != len(their_mentions):
            return None
        promql = example.promql
        for new, old in zip(mentions, their_mentions, strict=True):
            if value_key(new.text) == value_key(old.text):
                continue
            labels = {label for label, _ in old.options} & {label for label, _ in new.options}
            done = False
            for label in sorted(labels):
                old_value = next(v for lab, v in old.options if lab == label)
                new_value = next(v for lab, v in new.options if lab == label)
                pattern = re.compile(rf"\b{re.escape(label)}\s*=\s*{re.escape(quote(old_value))}")
                if pattern.search(promql):
                    promql = pattern.sub(f"{label}={quote(new_value)}", promql)
                    done = True
                    break
            if not done:
                return None
        return promql


# "<name> service", "<name> namespace": a thing named by the label it is a value of.
_NAMED_THING = re.compile(
    r"\b([a-z][a-z0-9_\-]*)\s+(service|namespace|pod|job|database|container|endpoint|host)\b"
)


# "memory per key", "rows inserted per committed transaction": per one thing, said in a
# word or two; "how many commands does each client send": what one of them does is per it.
_PER_THING = re.compile(r"\b(?:per|(?:does|do|did)\s+each)\s+([a-z]+)\b")
_TWO_WORDS = re.compile(r"[a-z]+\s+[a-z]+\b")


def _said_after_per(intent: Intent) -> tuple[re.Match[str], str] | None:
    """The things a question's "per" is followed by, as one of its group words: the word or
    the two words after it ("per key", "per committed transaction"), or after a per-second
    rate any group word said there ("commands/sec per connected client": not the time)."""
    for match in _PER_THING.finditer(intent.text):
        two = _TWO_WORDS.match(intent.text, match.start(1))
        for phrase in intent.group_words:
            if (
                phrase == match.group(1)
                or (two is not None and phrase == two.group(0))
                or (intent.per_second and intent.text.startswith(phrase, match.start(1)))
            ):
                return match, phrase
    return None


def _per_thing_sides(
    intent: Intent, best: Choice, metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> tuple[tuple[int, int], tuple[int, int], str, bool] | None:
    """ "average memory per key": (what is measured, the things it is per, their word, whether
    they are events) when no label of the metric tells the things apart and a metric counts
    them — a ratio, not a grouping."""
    if intent.ratio_of is not None or intent.rate_seconds != 1.0:
        return None
    found = _said_after_per(intent)
    if found is None:
        return _average_of_a(intent, best, metrics, vocab)
    match, phrase = found
    after = re.match(r"\s+([a-z]+)", intent.text[match.start(1) + len(phrase) :])
    if after is not None and stem(after.group(1)) in vocab.measure_say_words:
        # "each connected redis client": the phrase goes on to the thing it names.
        phrase = f"{phrase} {after.group(1)}"
    word = _things_counted(phrase, best, metrics, vocab)
    if word is None:
        return None
    named = vocab.metric_words(best.metric.name)
    if word in named and set(split_phrase(intent.text[: match.start()])) & named:
        return None  # "samples per scrape" of scrape_samples_scraped: per scrape already
    return (0, match.start()), (match.start(1), len(intent.text)), word, False


def _things_counted(
    phrase: str, best: Choice, metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> str | None:
    """The word of the things a phrase names ("committed transaction": transactions), when
    no label of the best metric tells them apart and a metric counts them; else None."""
    word = stem(phrase.split()[-1])
    if group_labels([phrase], best.metric, vocab):
        return None
    if not any(word in vocab.metric_words(m.name) for m in metrics):
        return None  # no metric counts the things
    return word


# "…, in milliseconds": the unit a help text ends by saying.
_HELP_UNIT = re.compile(r"\bin\s+(milliseconds|microseconds)\.?$")


def _help_unit(metric: MetricInfo) -> str:
    found = _HELP_UNIT.search(metric.help.lower().strip())
    return found.group(1) if found else ""


def _read_by_namesakes(metrics: list[MetricInfo]) -> list[MetricInfo]:
    """Units a help text says ("…, in milliseconds") where the catalog has none; and an untyped
    metric (its exporter declared no type) read as its typed namesakes are — those of its
    system and subsystem (its first two words) ending in its last word ("pg_stat_*_time"),
    when there are two or more and all are counters in one unit."""
    out = [replace(m, unit=unit) if not m.unit and (unit := _help_unit(m)) else m for m in metrics]
    untyped = [i for i, m in enumerate(out) if m.type == "unknown" and not m.is_counter_like]
    if not untyped:
        return out
    typed = [m for m in out if m.type != "unknown"]
    for i in untyped:
        parts = split_name(out[i].name)
        if len(parts) < 4:
            continue
        kin = [
            m
            for m in typed
            if (words := split_name(m.name))[:2] == parts[:2] and words[-1] == parts[-1]
        ]
        units = {m.unit for m in kin}
        if len(kin) >= 2 and all(m.type == "counter" for m in kin) and len(units) == 1:
            out[i] = replace(out[i], type="counter", unit=units.pop())
    return out


_AVERAGE_OF_A = re.compile(r"\baverage\s+(?:[a-z]+\s+){1,2}?of\s+an?\s+([a-z]+)\b")


def _average_of_a(
    intent: Intent, best: Choice, metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> tuple[tuple[int, int], tuple[int, int], str, bool] | None:
    """ "average size of a command coming into redis": what is said of one thing (the bytes
    coming in) over the things (commands), when no label tells them apart and a metric counts
    them."""
    match = _AVERAGE_OF_A.search(intent.text)
    if match is None or match.group(1) in intent.group_words:
        return None
    word = _things_counted(match.group(1), best, metrics, vocab)
    if word is None:
        return None
    # What is said of it after its name ("coming into redis"), else before ("average size").
    rest = intent.text[match.end() :]
    said = set(split_phrase(rest)) - vocab.common_words
    whole = (match.end(), len(intent.text)) if said else (0, match.start(1))
    return whole, match.span(1), word, True


def _values_compared(
    intent: Intent, mentions: Sequence[Mention], best: Choice, vocab: Vocabulary
) -> tuple[str, str, str] | None:
    """ "How many keys does db1 have relative to db0", "how many times slower are the http
    probes than the tcp probes": two sides that differ only in a value of one label (B names
    no measure A does not) are one measure under each value: (label, A's value, B's value)."""
    if intent.ratio_of is None or not best.covered:
        return None
    (a0, a1), (b0, b1) = intent.ratio_of
    a_side, b_side = side_of(intent, (a0, a1), vocab), side_of(intent, (b0, b1), vocab)
    if not (
        set(b_side.measures) <= set(a_side.measures) and b_side.qualifiers <= a_side.qualifiers
    ):
        return None
    if of_another_thing(intent):
        return None  # "the node's memory": another thing's, not the same measure
    labels = best.metric.labels
    for a in (m for m in mentions if a0 <= m.start < a1):
        for b in (m for m in mentions if b0 <= m.start < b1):
            for label, value in a.options:
                other = next((v for k, v in b.options if k == label and v != value), None)
                if other is not None and label in labels:
                    return label, value, other
    return None


def _difference(
    intent: Intent,
    metrics: Sequence[MetricInfo],
    mentions: Sequence[Mention],
    vocab: Vocabulary,
    composer: Composer,
) -> list[Plan]:
    """ "1m load minus 15m load": the best gauge for each side, the first less the second."""
    assert intent.difference_of is not None
    sides = _two_sides(
        intent,
        intent.difference_of,
        metrics,
        mentions,
        vocab,
        lambda _, choice: choice.metric.type == "gauge",
    )
    if sides is None:
        return []
    a, b = sides
    return [composer.compose_difference(a, b.metric, "as the question subtracts them")]


def _product(
    intent: Intent,
    metrics: Sequence[MetricInfo],
    mentions: Sequence[Mention],
    vocab: Vocabulary,
    composer: Composer,
) -> list[Plan]:
    """ "if every allowed connection used a full work_mem": the best gauge for what each
    uses, times the best gauge for how many of the things there are (or may be)."""
    assert intent.product_of is not None
    sides = _two_sides(
        intent,
        intent.product_of,
        metrics,
        mentions,
        vocab,
        # The things are counted: a number of them, in no unit of bytes or seconds.
        lambda side, choice: (
            not choice.metric.is_counter_like and (side == 0 or not base_unit(choice.metric))
        ),
        imply=True,
    )
    if sides is None:
        return []
    each, things = sides
    return [composer.compose_product(each, things.metric)]


def _two_sides(
    intent: Intent,
    spans: tuple[tuple[int, int], tuple[int, int]],
    metrics: Sequence[MetricInfo],
    mentions: Sequence[Mention],
    vocab: Vocabulary,
    fits: Callable[[int, Choice], bool],
    *,
    imply: bool = False,
) -> tuple[Choice, Choice] | None:
    """The best of the first three metrics for each side of a question that `fits` it (by
    the side's index), each said by the words of its span; None when a side has none or
    both sides are one metric."""
    best: list[Choice] = []
    for index, span in enumerate(spans):
        side = side_of(intent, span, vocab)
        if imply:
            imply_qualifier(side, mentions, vocab)
        ranked, _ = rank(side, metrics, list(mentions), vocab)
        found = next((c for c in ranked[:3] if c.covered and fits(index, c)), None)
        if found is None:
            return None
        best.append(found)
    first, second = best
    return None if first.metric.name == second.metric.name else (first, second)


def _range_ends(
    choices: Sequence[Choice], metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> list[tuple[Choice, MetricInfo]]:
    """The best gauge that is one end of a range (…_min_time), with the gauge of its other end
    (…_max_time): (the high end's choice, the low end)."""
    by_name = {m.name: m for m in metrics}
    for choice in choices[:_PLANS]:
        if choice.metric.type != "gauge":
            continue
        words = choice.metric.name.split("_")
        for low, high in vocab.range_ends:
            for end, other in ((low, high), (high, low)):
                if end not in words:
                    continue
                partner = by_name.get("_".join(other if w == end else w for w in words))
                if partner is None or partner.type != "gauge":
                    continue
                if end == high:
                    return [(choice, partner)]
                return [(replace(choice, metric=partner), choice.metric)]
    return []


def _stage_losses(
    intent: Intent, choices: Sequence[Choice], metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> list[tuple[MetricInfo, Choice]]:
    """ "Is metric relabeling dropping any samples": the best metric of what is left after a
    stage the question names (`…_samples_post_metric_relabeling`), with the choice of its
    sibling that counts what went in (`…_samples_scraped`): (after, before)."""
    if not vocab.loss_words & intent.stems:
        return []
    for choice in choices[:_PLANS]:
        words = choice.metric.name.split("_")
        at = next((i for i, w in enumerate(words) if w in vocab.after_stage_words), None)
        if at is None or not {stem(w) for w in words[at + 1 :]} & intent.stems:
            continue
        before = _stage_input(choice.metric, "_".join(words[:at]) + "_", metrics, vocab)
        if before is not None:
            return [(choice.metric, replace(choice, metric=before))]
    return []


def _stage_input(
    after: MetricInfo, prefix: str, metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> MetricInfo | None:
    """The one sibling of `after` (same name up to its stage, same labels and type) that
    is no count after a stage: what went into it."""
    siblings = [
        m
        for m in metrics
        if m.name.startswith(prefix)
        and m.name != after.name
        and m.type == after.type
        and set(m.labels) == set(after.labels)
        and not set(m.name[len(prefix) :].split("_")) & vocab.after_stage_words
    ]
    return siblings[0] if len(siblings) == 1 else None


def _listed_parts(
    intent: Intent, metrics: Sequence[MetricInfo], mentions: list[Mention], vocab: Vocabulary
) -> list[Choice]:
    """The counter each listed part names on its own words, when every part names one and no
    two the same; else none."""
    found: list[Choice] = []
    # "IOPS (reads + writes)": the parts are counted as the whole is (operations, not bytes).
    counted = any(m.unit == "count" for m in vocab.measures if m.name in intent.measures)
    for span in intent.listed_parts:
        ranked, _ = rank(side_of(intent, span, vocab), metrics, mentions, vocab)
        best = next(
            (
                c
                for c in ranked[:3]
                if c.covered
                and c.metric.is_counter_like
                and not (counted and _measured_in_units(c.metric))
            ),
            None,
        )
        if best is None or any(c.metric.name == best.metric.name for c in found):
            return []
        found.append(best)
    return found if len(found) >= 2 else []


def _measured_in_units(metric: MetricInfo) -> bool:
    """Bytes or seconds, not a count of events."""
    return metric.unit.lower() in ("bytes", "seconds") or bool(
        set(split_name(metric.name)[-2:]) & {"byte", "second"}
    )


def _unmatched_words(
    concepts: Sequence[Concept], metrics: Sequence[MetricInfo], vocab: Vocabulary
) -> list[str]:
    """Words of the question no candidate metric's name or help has."""
    unmatched = []
    for concept in concepts:
        if concept.measure:
            continue
        if not any(
            concept.alternatives & (vocab.metric_words(m.name) | vocab.text_words(m.help))
            for m in metrics
        ):
            unmatched.append(concept.word)
    return unmatched


def _skeleton(intent: Intent, mentions: Sequence[Mention]) -> frozenset[str]:
    return frozenset(
        word
        for word, start, end in intent.tokens
        if not any(m.start <= start and end <= m.end for m in mentions)
    )


def _known_words(metrics: Sequence[MetricInfo]) -> set[str]:
    """Words a misspelling may be corrected to: metric name words and label values."""
    known: set[str] = set()
    for metric in metrics:
        known.update(split_name(metric.name))
    for label, values in distinct_labels(metrics):
        if label == "instance" or len(values) > 200:
            continue
        for value in values:
            known.update(_value_words(value))
    return known


@functools.lru_cache(maxsize=65536)
def _value_words(value: str) -> tuple[str, ...]:
    if value.isalpha():
        return (value.lower(),)
    return tuple(w for w in value_key(value).split() if w.isalpha())


def _confidence(
    plan: Plan, choices: Sequence[Choice], intent: Intent, mentions: Sequence[Mention]
) -> float:
    best = next((c for c in choices if c.metric.name == plan.metric), choices[0])
    confidence = 0.4
    if intent.measures:
        confidence += 0.15
    if best.covered >= 2:
        confidence += 0.1
    if best.score >= 6:
        confidence += 0.1
    runner_up = next((c for c in choices if c.metric.name != best.metric.name), None)
    if runner_up is None or best.score - runner_up.score >= 2:
        confidence += 0.1
    confidence -= 0.1 * len(best.dropped)
    confidence -= 0.05 * len(intent.corrections)
    return max(0.1, min(confidence, 0.9))


__all__ = ["Planner", "QueryPart"]
