"""The in-memory vector search: exact nearest metrics, filtered by service, ties by id."""

from __future__ import annotations

import numpy as np
import pytest

from obsai_catalog.candidates import CandidateFacts
from obsai_catalog.vectors import VectorIndex


def _unit(*xs: float) -> list[float]:
    v = np.asarray(xs, dtype=np.float32)
    return [float(x) for x in v / np.linalg.norm(v)]


def _index() -> VectorIndex:
    rows = {
        10: (_unit(1, 0, 0), ("checkout",)),
        11: (_unit(0.9, 0.1, 0), ("payment",)),
        12: (_unit(0, 1, 0), ("checkout", "payment")),
        13: (_unit(0, 0, 1), ()),
        # Same direction as 11: equal scores are ordered by id.
        9: (_unit(0.9, 0.1, 0), ("payment",)),
    }
    return VectorIndex(
        7,
        list(rows),
        np.asarray([v for v, _ in rows.values()], dtype=np.float32),
        [CandidateFacts.of(["le"], s) for _, s in rows.values()],
    )


def test_each_query_gets_its_nearest_metrics_best_first() -> None:
    found = _index().nearest([_unit(1, 0, 0), _unit(0, 0.2, 1)], "", 3)
    assert found.ranked == [[10, 9, 11], [13, 12, 9]]
    assert set(found.facts) == {9, 10, 11, 12, 13}
    assert found.facts[12].services == ("checkout", "payment")


def test_a_service_keeps_only_its_metrics() -> None:
    index = _index()
    assert index.nearest([_unit(1, 0, 0)], "payment", 10).ranked == [[9, 11, 12]]
    assert index.nearest([_unit(1, 0, 0)], "checkout", 1).ranked == [[10]]
    unknown = index.nearest([_unit(1, 0, 0)], "kitchen", 10)
    assert unknown.ranked == [[]]
    assert unknown.facts == {}


def test_a_limit_past_the_catalog_returns_every_metric() -> None:
    assert _index().nearest([_unit(0, 1, 0)], "", 50).ranked == [[12, 9, 11, 10, 13]]


def test_no_query_and_an_empty_catalog_find_nothing() -> None:
    assert _index().nearest([], "", 5).ranked == []
    empty = VectorIndex(1, [], np.zeros((0, 3), dtype=np.float32), [])
    assert empty.nearest([_unit(1, 0, 0)], "", 5).ranked == [[]]


def test_rows_must_agree() -> None:
    with pytest.raises(ValueError, match="one row per metric"):
        VectorIndex(1, [1, 2], np.zeros((1, 3), dtype=np.float32), [CandidateFacts.of([], [])])
