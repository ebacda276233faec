"""The execution-match definition, one rule per test."""

from __future__ import annotations

import math

import pytest

from obsai_eval.compare import compare, values_close
from obsai_eval.prometheus import InstantResult, parse_result

vector = InstantResult.vector
scalar = InstantResult.scalar


def test_same_series_same_values_match() -> None:
    gold = vector(({"service": "auth"}, 1.0), ({"service": "payment"}, 2.0))
    answer = vector(({"service": "payment"}, 2.0), ({"service": "auth"}, 1.0))
    assert compare(gold, answer).match


def test_series_pair_by_the_gold_labels_not_by_order_or_value() -> None:
    # Values alone would pair auth with payment; the labels say otherwise.
    gold = vector(({"service": "auth"}, 2.0), ({"service": "payment"}, 1.0))
    answer = vector(({"service": "auth"}, 1.0), ({"service": "payment"}, 2.0))
    verdict = compare(gold, answer)
    assert not verdict.match
    assert "value" in verdict.reason


def test_extra_labels_on_the_answer_are_allowed() -> None:
    gold = vector(({"namespace": "production", "pod": "cache-0"}, 10.0))
    answer = vector(
        ({"namespace": "production", "pod": "cache-0", "service": "cache", "job": "cache"}, 10.0)
    )
    assert compare(gold, answer).match


def test_a_gold_without_labels_pairs_with_any_single_series() -> None:
    assert compare(vector(({}, 5.0)), vector(({"service": "auth"}, 5.0))).match


def test_a_missing_gold_label_is_a_miss() -> None:
    gold = vector(({"namespace": "production", "pod": "cache-0"}, 1.0))
    answer = vector(({"pod": "cache-0"}, 1.0))
    verdict = compare(gold, answer)
    assert not verdict.match
    assert 'namespace="production"' in verdict.reason


def test_a_different_label_value_is_a_miss() -> None:
    verdict = compare(vector(({"service": "auth"}, 1.0)), vector(({"service": "api"}, 1.0)))
    assert not verdict.match
    assert "labels" in verdict.reason


def test_metric_name_is_not_a_pairing_label() -> None:
    gold = vector(({"__name__": "up", "job": "payment"}, 1.0))
    answer = vector(({"job": "payment"}, 1.0))
    assert compare(gold, answer).match


def test_count_mismatch_is_a_miss() -> None:
    gold = vector(({"service": "auth"}, 1.0))
    answer = vector(({"service": "auth", "pod": "a"}, 0.5), ({"service": "auth", "pod": "b"}, 0.5))
    verdict = compare(gold, answer)
    assert not verdict.match
    assert verdict.reason == "2 series in the answer, 1 in the gold"


def test_pairing_finds_the_one_to_one_assignment() -> None:
    # Answer series 0 fits both gold series by labels; a greedy pairing that gave
    # it to the first gold series would leave the second without a partner.
    gold = vector(({}, 1.0), ({"a": "1"}, 2.0))
    answer = vector(({"a": "1"}, 2.0), ({"b": "2"}, 1.0))
    assert compare(gold, answer).match


@pytest.mark.parametrize(
    ("answer", "gold", "close"),
    [
        (109.0, 100.0, True),
        (111.2, 100.0, False),
        (90.5, 100.0, True),
        (-100.0, 100.0, False),
        (5e-7, 0.0, True),  # near zero: the absolute epsilon
        (1e-3, 0.0, False),
        (1e-12, -1e-12, True),
    ],
)
def test_relative_tolerance_with_epsilon_near_zero(answer: float, gold: float, close: bool) -> None:
    assert values_close(answer, gold) is close
    assert compare(vector(({}, gold)), vector(({}, answer))).match is close


def test_tolerance_is_a_parameter() -> None:
    assert not compare(vector(({}, 100.0)), vector(({}, 104.0)), rel_tol=0.01).match


def test_nan_equals_nan_and_nothing_else() -> None:
    nan = math.nan
    assert compare(vector(({}, nan)), vector(({}, nan))).match
    assert not compare(vector(({}, nan)), vector(({}, 0.0))).match
    assert not compare(vector(({}, 0.0)), vector(({}, nan))).match


def test_infinities_equal_themselves() -> None:
    assert compare(vector(({}, math.inf)), vector(({}, math.inf))).match
    assert not compare(vector(({}, math.inf)), vector(({}, -math.inf))).match
    assert not compare(vector(({}, math.inf)), vector(({}, 1e308))).match


def test_scalar_and_one_element_vector_are_equal_when_values_match() -> None:
    assert compare(scalar(3.0), vector(({"service": "auth"}, 3.05))).match
    assert compare(vector(({"service": "auth"}, 3.0)), scalar(3.0)).match
    assert compare(scalar(3.0), scalar(3.0)).match
    verdict = compare(scalar(3.0), vector(({}, 4.0)))
    assert not verdict.match
    assert verdict.reason == "value 4, gold 3"


def test_scalar_against_several_series_is_a_count_mismatch() -> None:
    assert not compare(scalar(3.0), vector(({"a": "1"}, 3.0), ({"a": "2"}, 3.0))).match


def test_a_gold_without_data_matches_nothing() -> None:
    verdict = compare(vector(), vector())
    assert not verdict.match
    assert "no data" in verdict.reason


def test_a_range_vector_answer_is_a_miss() -> None:
    verdict = compare(vector(({}, 1.0)), InstantResult("matrix"))
    assert not verdict.match
    assert "matrix" in verdict.reason


def test_parse_result_reads_prometheus_json() -> None:
    parsed = parse_result(
        {
            "resultType": "vector",
            "result": [
                {"metric": {"service": "auth"}, "value": [1.0, "NaN"]},
                {"metric": {}, "value": [1.0, "+Inf"]},
            ],
        }
    )
    assert parsed.kind == "vector"
    assert math.isnan(parsed.samples[0].value)
    assert parsed.samples[1].value == math.inf
    assert parse_result({"resultType": "scalar", "result": [1.0, "2.5"]}) == scalar(2.5)
    assert parse_result({"resultType": "matrix", "result": []}).samples == ()
