"""The pure parts of hybrid search: reading a question and fusing ranked lists."""

from __future__ import annotations

import pytest

from obsai_catalog.catalog import question_key
from obsai_catalog.search import FusionWeights, fuse, question_terms, semantic_text, tsquery


def test_question_terms_keep_names_whole_and_join_word_grams() -> None:
    terms = question_terms("P95 of the API gateway's /checkout endpoint, in payments?")
    assert {"p95", "api", "gateway", "/checkout", "payments", "payment"} <= set(terms)
    assert {"api-gateway", "api_gateway", "apigateway"} <= set(terms)
    assert "gateway's" not in terms


def test_semantic_text_drops_named_entities_and_time_ranges() -> None:
    entities = {"checkout", "api-gateway", "production"}
    assert semantic_text("p95 latency of checkout over the last hour", entities) == (
        "p95 latency of"
    )
    assert semantic_text("errors of the api gateway in the past 5 minutes", entities) == (
        "errors of the"
    )
    assert semantic_text("cpu in production right now", entities) == "cpu in"
    # Nothing left: the question is kept as it was.
    assert semantic_text("checkout", entities) == "checkout"


def test_tsquery_is_an_or_of_safe_words_with_abbreviations_spelled_out() -> None:
    assert tsquery("fs reads of 'db'!") == "fs | filesystem | reads | of | db | database"
    assert tsquery("a ? !") == ""
    assert "&" not in tsquery("a & b | c")
    assert "!" not in tsquery("x ! y")


def test_fusion_rewards_agreement_and_boosts_only_candidates() -> None:
    fused = fuse(vector=[1, 2, 3], lexical=[2, 4], service_hits=set(), label_hits={99: 2})
    assert fused[0].id == 2  # in both lists
    assert 99 not in [f.id for f in fused]  # a boost alone never makes a candidate
    boosted = fuse(vector=[1, 2, 3], lexical=[2, 4], service_hits={3, 99}, label_hits={})
    by_id = {f.id: f for f in boosted}
    assert by_id[3].matched == ("vector", "service")
    assert by_id[2].matched == ("vector", "lexical")


def test_a_named_service_lifts_its_metric_over_a_slightly_better_stranger() -> None:
    weights = FusionWeights()
    fused = fuse([10, 11, 12], [10, 11, 12], service_hits={12}, label_hits={}, weights=weights)
    assert fused[0].id == 12


def test_label_value_and_name_boosts_grow_with_diminishing_returns() -> None:
    one = fuse([1], [], set(), {1: 1})[0].score
    two = fuse([1], [], set(), {1: 2})[0].score
    many = fuse([1], [], set(), {1: 9})[0].score
    assert one < two < many
    assert many - two == pytest.approx(two - one)  # capped at three values
    named = fuse([1], [], set(), {}, label_name_hits={1: 1})[0]
    assert "label_name" in named.matched


def test_fusion_is_deterministic_on_ties() -> None:
    even = FusionWeights(vector=1.0, lexical=1.0)
    assert [f.id for f in fuse([5, 4], [4, 5], set(), {}, even)] == [4, 5]


def test_question_keys_ignore_case_spacing_and_end_punctuation() -> None:
    assert question_key("  What is the P95   latency?! ") == "what is the p95 latency"
