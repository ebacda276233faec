"""The PromQL validator: grounding, lint and guardrails, on the parsed AST."""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.validator import Guardrails, PromqlValidator, metric_names
from tests.unit.query.memory_catalog import demo_metrics

METRICS: dict[str, MetricInfo | None] = {m.name: m for m in demo_metrics()}
METRICS["secret_tokens_total"] = MetricInfo("secret_tokens_total", "counter")
METRICS["huge_total"] = MetricInfo(
    "huge_total", "counter", labels={"pod": ("a", "b")}, series_count=200_000
)


def problems(promql: str, query_range: float = 0.0, **guardrails: object) -> list[str]:
    validator = PromqlValidator(Guardrails(**guardrails))  # type: ignore[arg-type]
    return [p.check for p in validator.validate(promql, METRICS, query_range).problems]


@pytest.mark.parametrize(
    "promql",
    [
        'sum by (service) (rate(container_cpu_usage_seconds_total{service="auth"}[5m]))',
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
        "topk(5, sum by (service) (container_memory_usage_bytes))",
        "max_over_time(sum(rate(container_cpu_usage_seconds_total[5m]))[7d:5m])",
        "sum(rate(http_requests_total[5m])) / sum(rate(http_requests_total[5m] offset 1d))",
        "deriv(container_memory_usage_bytes[10m])",
        'sum by (class) (label_replace(rate(http_requests_total[5m]), "class", "$1", "status",'
        ' "(.).."))',
        "sum(rate(http_request_duration_seconds_sum[1h]))"
        " / sum(rate(http_request_duration_seconds_count[1h]))",
        "up == 1",
    ],
)
def test_good_queries_pass(promql: str) -> None:
    assert problems(promql) == []


def test_rate_on_a_gauge_is_caught() -> None:
    report = PromqlValidator().validate("rate(container_memory_usage_bytes[5m])", METRICS)
    assert [p.check for p in report.problems] == ["counter_function"]
    assert "gauge" in report.problems[0].message


def test_histogram_parts_count_as_counters() -> None:
    assert problems("rate(http_request_duration_seconds_count[5m])") == []


def test_hallucinated_metric_is_caught() -> None:
    assert problems("rate(http_server_requests_seconds_count[5m])") == ["unknown_metric"]


def test_hallucinated_label_is_caught() -> None:
    assert problems('rate(http_requests_total{status_code="500"}[5m])') == ["unknown_label"]
    assert problems("sum by (region) (rate(http_requests_total[5m]))") == ["unknown_label"]


def test_dropping_le_is_caught() -> None:
    checks = problems(
        "histogram_quantile(0.9, sum by (service) (rate(http_request_duration_seconds_bucket[5m])))"
    )
    assert checks == ["histogram_le"]
    assert problems(
        "histogram_quantile(0.9, sum(rate(http_request_duration_seconds_bucket[5m])))"
    ) == ["histogram_le"]


def test_quantile_out_of_range() -> None:
    checks = problems(
        "histogram_quantile(95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"
    )
    assert checks == ["quantile_range"]


def test_quantile_of_a_counter_is_caught() -> None:
    assert problems("histogram_quantile(0.9, rate(http_requests_total[5m]))") == ["histogram_le"]


def test_thirty_day_lookback_is_refused() -> None:
    assert problems("rate(http_requests_total[30d])") == ["lookback"]
    assert problems("rate(http_requests_total[5m] offset 30d)") == ["lookback"]


def test_query_range_counts_toward_lookback() -> None:
    assert problems("sum(rate(http_requests_total[1d]))", query_range=7 * 86400) == ["lookback"]
    assert problems("sum(rate(http_requests_total[5m]))", query_range=6 * 86400) == []


def test_range_window_under_two_scrapes() -> None:
    assert problems("rate(http_requests_total[20s])") == ["range_window"]
    assert problems("rate(http_requests_total[20s])", scrape_interval_seconds=5) == []


def test_subquery_resolution() -> None:
    assert problems("max_over_time(up[1h:1s])") == ["subquery_step"]
    assert problems("max_over_time(up[7d:30s])") == ["subquery_step"]


@pytest.mark.parametrize("promql", ['{__name__=~".+"}', '{job="api"}', 'sum({__name__=~"http.*"})'])
def test_selectors_without_a_metric_name(promql: str) -> None:
    assert "blanket_selector" in problems(promql)


def test_forbidden_metrics() -> None:
    assert problems("rate(secret_tokens_total[5m])") == ["forbidden_metric"]


def test_series_limit_from_catalog_counts() -> None:
    assert problems("rate(huge_total[5m])") == ["series_limit"]
    assert problems('rate(huge_total{pod="a"}[5m])', max_series_per_selector=150_000) == []


def test_syntax_length_and_depth() -> None:
    assert problems("sum(rate(http_requests_total[5m])") == ["syntax"]
    assert problems("") == ["syntax"]
    assert problems("up" + " + up" * 400) == ["length"]
    assert problems("-" * 30 + "up") == ["depth"]


def test_bare_range_vector_result() -> None:
    assert problems("http_requests_total[5m]") == ["range_result"]


def test_warnings_are_not_problems() -> None:
    report = PromqlValidator().validate("max_over_time(up[1h:])", METRICS)
    assert report.ok
    assert report.warnings


def test_metric_names() -> None:
    assert metric_names('a_total / on(x) b{y="c"}') == {"a_total", "b"}
    assert metric_names('{__name__="c", y="d"}') == {"c"}
    assert metric_names("sum(") == set()
