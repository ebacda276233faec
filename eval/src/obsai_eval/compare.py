"""The execution-match definition: does the answer's result equal the gold's?

An answer matches when, evaluated at the same instant as the gold:

- it has the same number of series as the gold;
- its series pair one-to-one with the gold's by the labels the gold keeps: each
  gold series' labels (less `__name__`) must appear, with the same values, on
  its partner; the answer may carry extra labels;
- paired values agree within a relative tolerance (10%), or an absolute epsilon
  for values near zero; NaN equals NaN and an infinity equals itself;
- a scalar and a one-element vector are the same thing when their values agree.

A gold with no data proves nothing, so it is never matched. A range vector or a
string from the answer is not an instant value and does not match.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from obsai_eval.prometheus import InstantResult, Sample

REL_TOLERANCE = 0.10
ABS_EPSILON = 1e-6
_COMPARABLE = ("vector", "scalar")


@dataclass(frozen=True)
class Comparison:
    match: bool
    reason: str = ""


def values_close(
    answer: float, gold: float, rel_tol: float = REL_TOLERANCE, abs_eps: float = ABS_EPSILON
) -> bool:
    """Equal within `rel_tol` (relative to the larger) or `abs_eps`; NaN == NaN."""
    if math.isnan(answer) or math.isnan(gold):
        return math.isnan(answer) and math.isnan(gold)
    if math.isinf(answer) or math.isinf(gold):
        return answer == gold
    return math.isclose(answer, gold, rel_tol=rel_tol, abs_tol=abs_eps)


def compare(
    gold: InstantResult,
    answer: InstantResult,
    rel_tol: float = REL_TOLERANCE,
    abs_eps: float = ABS_EPSILON,
) -> Comparison:
    """Whether `answer` matches `gold`, and if not, the first reason why."""
    if gold.kind not in _COMPARABLE:
        return Comparison(False, f"the gold returns a {gold.kind}, not an instant value")
    if answer.kind not in _COMPARABLE:
        return Comparison(False, f"the answer returns a {answer.kind}, not an instant value")
    if not gold.samples:
        return Comparison(False, "the gold returns no data, so nothing can be checked")
    if len(answer.samples) != len(gold.samples):
        return Comparison(
            False, f"{len(answer.samples)} series in the answer, {len(gold.samples)} in the gold"
        )

    def close(a: Sample, g: Sample) -> bool:
        return values_close(a.value, g.value, rel_tol, abs_eps)

    if "scalar" in (gold.kind, answer.kind):
        # One sample each (counts are equal and a scalar has one): labels cannot
        # be compared with a scalar, so only the value speaks.
        a, g = answer.samples[0], gold.samples[0]
        if close(a, g):
            return Comparison(True)
        return Comparison(False, f"value {_fmt(a.value)}, gold {_fmt(g.value)}")

    golds, answers = gold.samples, answer.samples
    keys = [_pairing_labels(g.labels) for g in golds]

    def labels_fit(i: int, j: int) -> bool:
        have = answers[j].labels
        return all(have.get(name) == value for name, value in keys[i].items())

    by_labels = _perfect_matching(len(golds), len(answers), labels_fit)
    if by_labels is None:
        return Comparison(False, _unpaired_reason(keys, len(answers), labels_fit))

    def fits(i: int, j: int) -> bool:
        return labels_fit(i, j) and close(answers[j], golds[i])

    if _perfect_matching(len(golds), len(answers), fits) is not None:
        return Comparison(True)
    for i, j in enumerate(by_labels):
        if not close(answers[j], golds[i]):
            return Comparison(
                False,
                f"value {_fmt(answers[j].value)}, gold {_fmt(golds[i].value)}"
                f" for {_fmt_labels(keys[i])}",
            )
    return Comparison(False, "values differ")  # pragma: no cover - a matching exists above


def _pairing_labels(labels: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k != "__name__"}


def _perfect_matching(left: int, right: int, edge: Callable[[int, int], bool]) -> list[int] | None:
    """A partner on the right for every node on the left (Kuhn's augmenting paths).

    Returns partner[i] for each left node i, or None when no perfect matching exists.
    """
    adjacency = [[j for j in range(right) if edge(i, j)] for i in range(left)]
    owner: list[int | None] = [None] * right

    def augment(i: int, seen: list[bool]) -> bool:
        for j in adjacency[i]:
            if seen[j]:
                continue
            seen[j] = True
            current = owner[j]
            if current is None or augment(current, seen):
                owner[j] = i
                return True
        return False

    for i in range(left):
        if not augment(i, [False] * right):
            return None
    partner = [0] * left
    for j, matched in enumerate(owner):
        if matched is not None:
            partner[matched] = j
    return partner


def _unpaired_reason(
    keys: Sequence[Mapping[str, str]], right: int, edge: Callable[[int, int], bool]
) -> str:
    """Why the answer's series cannot stand for the gold's, naming a gold series."""
    for i, key in enumerate(keys):
        if not any(edge(i, j) for j in range(right)):
            return f"no answer series with the gold's labels {_fmt_labels(key)}"
    return "the answer's series do not pair one-to-one with the gold's by the gold's labels"


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _fmt_labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return "{}"
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def describe(samples: Sequence[Sample], limit: int = 3) -> str:
    """A short human description of some samples, for reports."""
    shown = [f"{_fmt_labels(_pairing_labels(s.labels))} {_fmt(s.value)}" for s in samples[:limit]]
    more = f" (+{len(samples) - limit} more)" if len(samples) > limit else ""
    return "; ".join(shown) + more
