"""Metric names from PromQL, through the parser (never a regex over the text)."""

from __future__ import annotations

import pytest

from obsai_eval.promql import MetricRefs, PromQLSyntaxError, metric_names, metric_refs


@pytest.mark.parametrize(
    ("promql", "names"),
    [
        ("up", {"up"}),
        ('rate(http_requests_total{service="api"}[5m])', {"http_requests_total"}),
        (
            "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_bucket[5m])))",
            {"http_request_duration_bucket"},
        ),
        (
            "sum(rate(a_sum[1h])) / sum(rate(a_count[1h] offset 1d))",
            {"a_sum", "a_count"},
        ),
        ("max_over_time(sum(rate(cpu_seconds_total[5m]))[7d:5m])", {"cpu_seconds_total"}),
        ('{__name__="up", job="x"} == 1', {"up"}),
        ("count(up == 1) + on() group_left vector(1)", {"up"}),
        ("topk(3, sum by (service) (x)) and on (service) (y > bool 2)", {"x", "y"}),
        ("rate(x[5m] @ end())", {"x"}),
        ("absent(nothing_here)", {"nothing_here"}),
        ("vector(1) + 2", set()),
        ("time() - 1", set()),
    ],
)
def test_metric_names(promql: str, names: set[str]) -> None:
    assert metric_names(promql) == names


def test_strings_functions_labels_and_keywords_are_not_metrics() -> None:
    promql = (
        'sum by (class) (label_replace(rate(http_requests_total{status=~"[45].."}[5m]),'
        ' "class", "${1}xx", "status", "(.)..")) > bool 0'
    )
    assert metric_names(promql) == {"http_requests_total"}


def test_name_regex_is_kept_as_a_pattern() -> None:
    refs = metric_refs('sum({__name__=~"node_cpu_.*|up"})')
    assert refs.names == frozenset()
    assert refs.covers(["node_cpu_seconds_total", "up"])
    assert not refs.covers(["node_memory_bytes"])


def test_covers_needs_every_name() -> None:
    refs = MetricRefs(frozenset({"a", "b"}))
    assert refs.covers(["a"])
    assert refs.covers(["a", "b"])
    assert not refs.covers(["a", "c"])
    assert refs.covers([])


@pytest.mark.parametrize("bad", ["sum(", "rate(x)", "foo{", "", "up[5m] +"])
def test_unparseable_promql_raises(bad: str) -> None:
    with pytest.raises(PromQLSyntaxError):
        metric_refs(bad)
