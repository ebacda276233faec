"""Questions files: a YAML list of questions, each with a gold PromQL.

    - id: lat-01
      q: p99 latency for checkout
      gold: histogram_quantile(0.99, sum by (le) (rate(...[5m])))
      category: latency
      notes: optional, free text
      alternatives: [optional list of PromQL that is equally right]

A file may also be a mapping with the list under `questions:`. The loader knows
nothing about any particular world: the same code reads the demo world's dev set
and a set about other exporters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_REQUIRED = ("id", "q", "gold", "category")
_OPTIONAL = ("notes", "alternatives")


class QuestionsError(ValueError):
    """A questions file that cannot be used as it is."""


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    gold: str
    category: str
    notes: str = ""
    # Other PromQL that answers the question equally well (e.g. a percentage
    # where the gold gives a ratio); a match with any of them counts.
    alternatives: tuple[str, ...] = ()

    @property
    def references(self) -> tuple[str, ...]:
        """The gold first, then its alternatives."""
        return (self.gold, *self.alternatives)


def load_questions(path: Path | str) -> list[Question]:
    """Read and check a questions file; raises QuestionsError naming the problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionsError(f"{path}: {exc}") from exc
    if isinstance(raw, Mapping):
        raw = raw.get("questions")
    if not isinstance(raw, list):
        raise QuestionsError(f"{path}: expected a list of questions (or `questions:` with one)")
    questions = [_question(path, index, item) for index, item in enumerate(raw)]
    _check_unique(path, questions)
    return questions


def select(
    questions: Sequence[Question],
    categories: Iterable[str] = (),
    ids: Iterable[str] = (),
    limit: int | None = None,
) -> list[Question]:
    """The questions in any of `categories` / `ids` (all when empty), the first `limit`."""
    wanted_categories = set(categories)
    wanted_ids = set(ids)
    chosen = [
        q
        for q in questions
        if (not wanted_categories or q.category in wanted_categories)
        and (not wanted_ids or q.id in wanted_ids)
    ]
    return chosen if limit is None else chosen[:limit]


def _question(path: Path, index: int, item: Any) -> Question:
    where = f"{path}: question {index + 1}"
    if not isinstance(item, Mapping):
        raise QuestionsError(f"{where}: expected a mapping, got {type(item).__name__}")
    if isinstance(item.get("id"), str):
        where = f"{path}: question {item['id']!r}"
    unknown = sorted(set(item) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise QuestionsError(f"{where}: unknown keys {unknown}")
    for key in _REQUIRED:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise QuestionsError(f"{where}: `{key}` must be a non-empty string")
    notes = item.get("notes", "")
    if not isinstance(notes, str):
        raise QuestionsError(f"{where}: `notes` must be a string")
    alternatives = item.get("alternatives", [])
    if not isinstance(alternatives, list) or not all(
        isinstance(a, str) and a.strip() for a in alternatives
    ):
        raise QuestionsError(f"{where}: `alternatives` must be a list of PromQL strings")
    return Question(
        id=item["id"].strip(),
        q=item["q"].strip(),
        gold=item["gold"].strip(),
        category=item["category"].strip(),
        notes=notes.strip(),
        alternatives=tuple(a.strip() for a in alternatives),
    )


def _check_unique(path: Path, questions: Sequence[Question]) -> None:
    seen: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise QuestionsError(f"{path}: duplicate id {question.id!r}")
        seen.add(question.id)
