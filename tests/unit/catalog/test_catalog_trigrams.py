"""Ruling out metric names that cannot reach pg_trgm's word-similarity threshold.

That the bound really holds against PostgreSQL's own `word_similarity` is checked
in tests/integration/catalog/test_catalog_name_match.py.
"""

from __future__ import annotations

from obsai_catalog.trigrams import NameIndex, pg_int_array, trigrams


def test_trigrams_are_made_as_pg_trgm_makes_them() -> None:
    # Words are runs of letters and digits, lower-cased, padded "  word ".
    assert trigrams("Go_GC") == {"  g", " go", "go ", " gc", "gc "}
    assert trigrams("a") == {"  a", " a "}
    assert trigrams("") == frozenset()
    assert trigrams("-- //") == frozenset()
    assert trigrams("über cpu") is None  # pg_trgm's words there depend on the locale


def test_only_names_that_can_reach_the_threshold_are_candidates() -> None:
    index = NameIndex(
        7,
        {
            1: "process_cpu_seconds_total",
            2: "up",
            3: "http_requests_total",
            4: "container_memory_usage_bytes",
            5: "naïve_metric",
        },
    )
    assert index.version == 7
    # "cpu seconds" holds 12 of process_cpu_seconds_total's 26 trigrams: it cannot match.
    assert index.candidates("cpu seconds") == [5]
    assert index.candidates("process cpu seconds total") == [1, 5]
    assert index.candidates("is it up?") == [2, 5]
    assert index.candidates("http requests total per second") == [3, 5]
    # A text pg_trgm may split otherwise: every name is left to the database.
    assert index.candidates("mémoire") is None


def test_an_index_reuses_the_trigrams_of_names_it_already_knows() -> None:
    first = NameIndex(1, {1: "up"})
    second = NameIndex(2, {1: "up", 2: "down"}, first.name_trigrams)
    assert second.name_trigrams["up"] is first.name_trigrams["up"]
    assert second.candidates("down") == [2]


def test_pg_int_array() -> None:
    assert pg_int_array([]) == "{}"
    assert pg_int_array([3, 1]) == "{3,1}"
