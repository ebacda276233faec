"""Stage 2 — choose: the values a question names, and the metric that answers it."""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.choose import (
    complement_partner,
    find_mentions,
    group_labels,
    label_for,
    limit_partner,
    rank,
    total_partner,
)
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary


def by_name(metrics: list[MetricInfo], name: str) -> MetricInfo:
    return next(m for m in metrics if m.name == name)


def mentioned(question: str, metrics: list[MetricInfo], vocab: Vocabulary) -> dict[str, set]:
    intent = parse_intent(question, vocab)
    return {m.text: set(m.options) for m in find_mentions(intent, metrics, vocab, question)}


def test_values_are_found_word_for_word(vocab: Vocabulary, demo: list[MetricInfo]) -> None:
    found = mentioned("What's the incoming network traffic for the API gateway?", demo, vocab)
    # The longest name wins: "api gateway", not "api".
    assert list(found) == ["api gateway"]
    assert ("service", "api-gateway") in found["api gateway"]
    assert "cache-0" in mentioned("memory of cache-0 in production", demo, vocab)
    assert mentioned("p90 latency of POST /payments", demo, vocab)["payments"] == {
        ("endpoint", "/payments")
    }  # the exact value beats the singular "payment" (a service)


def test_status_codes_and_plurals(vocab: Vocabulary, demo: list[MetricInfo]) -> None:
    found = mentioned("payment 503s per second", demo, vocab)
    assert found["503s"] == {("status", "503")}
    # Numbers that are no status code are never values ("above 500ms").
    assert list(mentioned("services with p95 latency above 500ms", demo, vocab)) == []


def test_values_named_by_a_phrase_or_standing_alone(
    vocab: Vocabulary, exporters: list[MetricInfo]
) -> None:
    assert mentioned("size of the root filesystem", exporters, vocab)["root filesystem"] == {
        ("mountpoint", "/")
    }
    assert mentioned("free disk space on the / filesystem", exporters, vocab)["/"] == {
        ("mountpoint", "/")
    }


def test_everyday_words_are_values_only_in_capitals(
    vocab: Vocabulary, exporters: list[MetricInfo]
) -> None:
    shouted = mentioned("How many GET commands per second does Redis serve?", exporters, vocab)
    assert ("cmd", "get") in shouted["get"]


def test_the_label_named_beside_a_value_wins(vocab: Vocabulary, demo: list[MetricInfo]) -> None:
    intent = parse_intent("cpu usage in the staging environment", vocab)
    (mention,) = find_mentions(intent, demo, vocab)
    cpu = by_name(demo, "container_cpu_usage_seconds_total")
    assert label_for(mention, cpu, intent, vocab) == ("environment", "staging")
    plain = parse_intent("cpu usage in staging", vocab)
    (mention,) = find_mentions(plain, demo, vocab)
    assert label_for(mention, cpu, plain, vocab) == ("namespace", "staging")  # by priority


def test_grouping_labels(vocab: Vocabulary, demo: list[MetricInfo]) -> None:
    cpu = by_name(demo, "container_cpu_usage_seconds_total")
    # A pod's name is unique only in its namespace.
    assert group_labels(["pod"], cpu, vocab) == ["namespace", "pod"]
    assert group_labels(["status code"], by_name(demo, "http_requests_total"), vocab) == ["status"]
    # "node" names a label that tells things apart: instance has one value here.
    assert group_labels(["nodes"], cpu, vocab) == ["namespace", "pod"]


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("How much memory is the payment service using?", "container_memory_usage_bytes"),
        ("memory limit of the database pods", "container_spec_memory_limit_bytes"),
        ("p99 latency for checkout", "http_request_duration_seconds_bucket"),
        ("rps for checkout", "http_requests_total"),
        ("disk reads of storage in bytes per second", "container_fs_reads_bytes_total"),
        ("outbound bandwidth of the frontend", "container_network_transmit_bytes_total"),
        ("is payment up?", "up"),
    ],
)
def test_metric_choice_demo(
    vocab: Vocabulary, demo: list[MetricInfo], question: str, metric: str
) -> None:
    intent = parse_intent(question, vocab)
    choices, _ = rank(intent, demo, find_mentions(intent, demo, vocab, question), vocab)
    assert choices[0].metric.name == metric


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("How much memory is Redis using?", "redis_memory_used_bytes"),
        ("redis cache hit ratio", "redis_keyspace_hits_total"),
        ("size of the shop database", "pg_database_size_bytes"),
        ("Which probes are failing?", "probe_success"),
        ("How many series are in Prometheus's head block?", "prometheus_tsdb_head_series"),
        ("p99 latency of redis SET commands", "redis_latency_percentiles_usec"),
        ("How long has the node been up?", "node_boot_time_seconds"),
    ],
)
def test_metric_choice_exporters(
    vocab: Vocabulary, exporters: list[MetricInfo], question: str, metric: str
) -> None:
    intent = parse_intent(question, vocab)
    mentions = find_mentions(intent, exporters, vocab, question)
    choices, _ = rank(intent, exporters, mentions, vocab)
    assert choices[0].metric.name == metric


def test_a_metric_without_the_named_value_is_passed_over(
    vocab: Vocabulary, demo: list[MetricInfo]
) -> None:
    intent = parse_intent("p95 latency of checkout", vocab)
    choices, _ = rank(intent, demo, find_mentions(intent, demo, vocab), vocab)
    prometheus_own = next(
        c for c in choices if c.metric.name == "prometheus_http_request_duration_seconds_bucket"
    )
    assert prometheus_own.dropped  # it has no service label to filter on
    assert choices[0].filters == {"service": ["checkout"]}


def test_partners(vocab: Vocabulary, demo: list[MetricInfo], exporters: list[MetricInfo]) -> None:
    usage = by_name(demo, "container_memory_usage_bytes")
    limit = limit_partner(usage, demo, vocab)
    assert limit is not None
    assert limit.name == "container_spec_memory_limit_bytes"
    available = by_name(exporters, "node_memory_MemAvailable_bytes")
    size = limit_partner(available, exporters, vocab, "size")
    assert size is not None
    assert size.name == "node_memory_MemTotal_bytes"
    # Resident and virtual memory are not one thing and its limit.
    process = by_name(exporters, "process_resident_memory_bytes")
    assert limit_partner(process, exporters, vocab) is None
    hits = by_name(exporters, "redis_keyspace_hits_total")
    found = complement_partner(hits, exporters, vocab, {"hit"})
    assert found is not None
    assert found[1].name == "redis_keyspace_misses_total"
    durations = by_name(exporters, "redis_commands_duration_seconds_total")
    count = total_partner(durations, exporters, vocab, {"duration", "second"})
    assert count is not None
    assert count.name == "redis_commands_total"
