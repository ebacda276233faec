"""How a metric is put in words for embedding and full-text search."""

from __future__ import annotations

from dataclasses import replace

from obsai_catalog.describe import content_hash, describe, name_words, spelled_name
from obsai_catalog.records import DiscoveredMetric, LabelSample, MetricType, TypeSource

BUCKET = DiscoveredMetric(
    name="http_request_duration_seconds_bucket",
    family="http_request_duration_seconds",
    type=MetricType.HISTOGRAM,
    type_source=TypeSource.METADATA,
    help="Time spent answering HTTP requests.",
    unit="seconds",
    labels=(
        LabelSample("le", ("0.1", "+Inf")),
        LabelSample("service", ("checkout",)),
        LabelSample("status", ("200", "500")),
    ),
    series_count=10,
    services=("checkout",),
)


def test_names_split_into_words() -> None:
    assert name_words("http_requestDuration_seconds") == ["http", "request", "duration", "seconds"]
    assert name_words("node:cpu_usage.ratio") == ["node", "cpu", "usage", "ratio"]
    assert spelled_name("container_fs_reads_bytes_total") == (
        "container filesystem reads bytes total"
    )


def test_a_description_has_name_help_role_unit_and_labels_but_no_values() -> None:
    text = describe(BUCKET)
    assert text.startswith("http request duration seconds bucket. Time spent answering HTTP")
    assert "quantiles and percentiles" in text
    assert "latency" in text  # a distribution of seconds is one of durations
    assert "Unit: seconds" in text
    assert "service" in text
    assert "status (response status code" in text
    assert "checkout" not in text  # values are matched exactly, not embedded
    assert "le," not in text
    assert "le." not in text


def test_roles_follow_type_and_suffix() -> None:
    count = replace(BUCKET, name="http_request_duration_seconds_count")
    assert "count of observations" in describe(count)
    counter = replace(BUCKET, name="x_total", family="x", type=MetricType.COUNTER, unit="")
    assert "cumulative total" in describe(counter)
    gauge = replace(BUCKET, name="g", family="g", type=MetricType.GAUGE)
    assert "goes up and down" in describe(gauge)


def test_the_content_hash_ignores_series_counts_only() -> None:
    assert content_hash(BUCKET) == content_hash(replace(BUCKET, series_count=99))
    assert content_hash(BUCKET) != content_hash(replace(BUCKET, help="Other."))
    changed_values = replace(BUCKET, labels=(LabelSample("service", ("payment",)),))
    assert content_hash(BUCKET) != content_hash(changed_values)
