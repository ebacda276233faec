"""Values with units and one-sentence summaries."""

from __future__ import annotations

import pytest

from obsai_query.answer import format_value, infer_unit, summarize
from obsai_query.executor import ResultData, Sample, SeriesData
from tests.unit.query.memory_catalog import demo_metrics

METRICS = {m.name: m for m in demo_metrics()}


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.4213, "cores", "0.421 CPU cores"),
        (1.0, "cores", "1 CPU core"),
        (512 * 1024 * 1024, "bytes", "512 MiB"),
        (3.5 * 1024**3, "bytes", "3.5 GiB"),
        (900, "bytes", "900 B"),
        (2.5 * 1024**2, "bytes_per_second", "2.5 MiB/s"),
        (0.0812, "ratio", "8.12%"),
        (42.0, "percent", "42%"),
        (0.0123, "seconds", "12.3 ms"),
        (3.2, "seconds", "3.2 s"),
        (123.456, "per_second", "123/s"),
        (1234567.0, "", "1,234,567"),
        (float("nan"), "", "no value (NaN)"),
    ],
)
def test_format_value(value: float, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("promql", "unit"),
    [
        ('sum(rate(container_cpu_usage_seconds_total{service="auth"}[5m]))', "cores"),
        ("sum(container_memory_usage_bytes)", "bytes"),
        ("rate(container_network_receive_bytes_total[5m])", "bytes_per_second"),
        ("container_memory_usage_bytes / container_spec_memory_limit_bytes", "ratio"),
        ("100 * (container_memory_usage_bytes / container_spec_memory_limit_bytes)", "percent"),
        ("sum(rate(http_requests_total[5m]))", "per_second"),
        (
            "histogram_quantile(0.95, sum by (le) "
            "(rate(http_request_duration_seconds_bucket[5m])))",
            "seconds",
        ),
        ("sum(container_memory_usage_bytes) / 1024 / 1024 / 1024", ""),
        ("count(up)", "count"),
    ],
)
def test_infer_unit(promql: str, unit: str) -> None:
    assert infer_unit(promql, METRICS) == unit


def vector(*items: tuple[dict[str, str], float]) -> ResultData:
    return ResultData("vector", tuple(SeriesData(labels, Sample(1.0, v)) for labels, v in items))


def test_one_series_reads_as_a_sentence() -> None:
    result = vector(({"service": "auth"}, 0.42))
    assert summarize(result, "cores") == "auth uses 0.42 CPU cores."


def test_ratio_reads_as_percent() -> None:
    result = vector(({"service": "payment"}, 0.081))
    assert summarize(result, "ratio") == "payment is at 8.1%."


def test_several_series_name_the_extremes() -> None:
    result = vector(({"service": "a"}, 1.0), ({"service": "b"}, 3.0), ({"service": "c"}, 2.0))
    text = summarize(result, "bytes")
    assert text.startswith("3 series; highest b at 3 B, lowest a at 1 B")


def test_no_series() -> None:
    assert summarize(ResultData("vector", ()), "").startswith("No data")


def test_range_summary() -> None:
    series = SeriesData({}, None, (Sample(1, 1.0), Sample(2, 3.0), Sample(3, 2.0)))
    text = summarize(ResultData("matrix", (series,)), "seconds", "the last 1h")
    assert "over the last 1h" in text
    assert "peak 3 s" in text
    assert "latest 2 s" in text
