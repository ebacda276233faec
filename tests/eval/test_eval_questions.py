"""Questions files: the loader's checks, and the dev set's shape (no Prometheus)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from obsai_eval.promql import metric_names
from obsai_eval.questions import Question, QuestionsError, load_questions, select

CATEGORIES = {
    "cpu",
    "memory",
    "disk",
    "network",
    "traffic",
    "errors",
    "latency",
    "availability",
    "comparison",
    "topk",
    "threshold",
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "questions.yaml"
    path.write_text(text)
    return path


def test_loads_a_list(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "- {id: a, q: ' cpu? ', gold: up, category: cpu}\n"
        "- {id: b, q: mem, gold: up, category: memory, notes: n, alternatives: [up == 1]}\n",
    )
    assert load_questions(path) == [
        Question("a", "cpu?", "up", "cpu"),
        Question("b", "mem", "up", "memory", "n", ("up == 1",)),
    ]


def test_loads_a_mapping_with_questions(tmp_path: Path) -> None:
    path = _write(tmp_path, "questions:\n  - {id: a, q: x, gold: up, category: c}\n")
    assert [q.id for q in load_questions(path)] == ["a"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {id: a, q: x, category: c}\n", "`gold` must be a non-empty string"),
        ("- {id: a, q: '', gold: up, category: c}\n", "`q` must be a non-empty string"),
        ("- {id: a, q: x, gold: up, category: c, golds: up}\n", "unknown keys ['golds']"),
        ("- {id: a, q: x, gold: up, category: c, alternatives: up}\n", "`alternatives`"),
        (
            "- {id: a, q: x, gold: up, category: c}\n- {id: a, q: y, gold: up, category: c}\n",
            "duplicate id 'a'",
        ),
        ("just text\n", "expected a list"),
        ("- [1, 2]\n", "expected a mapping"),
        ("- {id: a, q: [x\n", "questions.yaml"),
    ],
)
def test_refuses_a_broken_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(QuestionsError) as caught:
        load_questions(_write(tmp_path, text))
    assert message in str(caught.value)


def test_missing_file_is_a_questions_error(tmp_path: Path) -> None:
    with pytest.raises(QuestionsError):
        load_questions(tmp_path / "nope.yaml")


def test_select_by_category_id_and_limit() -> None:
    qs = [Question(str(i), "q", "up", "a" if i % 2 else "b") for i in range(6)]
    assert [q.id for q in select(qs, categories=["a"])] == ["1", "3", "5"]
    assert [q.id for q in select(qs, ids=["2", "3"])] == ["2", "3"]
    assert [q.id for q in select(qs, limit=2)] == ["0", "1"]
    assert [q.id for q in select(qs, categories=["b"], limit=1)] == ["0"]


def test_devset_size_and_categories(devset: list[Question]) -> None:
    assert len(devset) >= 80
    counts = Counter(q.category for q in devset)
    assert set(counts) == CATEGORIES
    assert min(counts.values()) >= 5, counts


def test_devset_keeps_the_seeds_33(devset: list[Question]) -> None:
    assert [q.id for q in devset if q.id.startswith("seed-")] == [
        f"seed-{n:02d}" for n in range(1, 34)
    ]


def test_every_gold_and_alternative_parses_and_reads_a_metric(devset: list[Question]) -> None:
    for question in devset:
        for promql in question.references:
            assert metric_names(promql), (question.id, promql)


def test_alternatives_read_the_golds_metrics(devset: list[Question]) -> None:
    # Alternatives are other forms of the same answer, not other answers; the
    # only exceptions are written down in the question's notes.
    for question in devset:
        gold = metric_names(question.gold)
        for alternative in question.alternatives:
            if not gold <= metric_names(alternative):
                assert question.notes, (question.id, alternative)
