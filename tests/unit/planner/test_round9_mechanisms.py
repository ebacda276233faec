"""Mechanisms behind blind round 8's misses, stage by stage: a time "from now" as a
prediction, the time left until a level is reached ("days until … reaches 1 GB"), "which X
had Y" as the things where any Y happened, a threshold whose number counts a word ("more
than 1 commit per second"), comparatives that are not misspellings ("larger than 50 KB"),
a unit asked that is the metric's own ("above 10 microseconds", "(usec)"), a quantile
already one series per thing, the extreme of each group over a window ("max … per job over
the last 10 min"), "times" as a noun in a comparison, "the fastest" of a rate, a share of
the things that live somewhere ("… keys live in db0"), and the parts of CPU time asked as a
percent of one core.

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import (
    HTTP_PROBES,
    PROM,
    REDIS,
    _m,
    answer,
    exporter_metrics,
    plan,
)

PROBES = {"instance": ("127.0.0.1:1", "http://a/metrics"), "job": ("tcp-probe", "http-probe")}
JOBS = {"instance": ("a", "b", "c"), "job": ("node", "redis", "prometheus")}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m(
            "probe_duration_seconds",
            "gauge",
            "Returns how long the probe took to complete in seconds",
            PROBES,
            2,
            "seconds",
        ),
        _m(
            "probe_http_uncompressed_body_length",
            "gauge",
            "Length of uncompressed response body",
            HTTP_PROBES,
            2,
        ),
        _m(
            "go_memstats_alloc_bytes_total",
            "counter",
            "Total number of bytes allocated, even if freed.",
            JOBS,
            3,
            "bytes",
        ),
        _m(
            "prometheus_tsdb_head_samples_appended_total",
            "counter",
            "Total number of appended samples.",
            PROM,
        ),
        _m(
            "prometheus_tsdb_too_old_samples_total",
            "counter",
            "Total number of out of bound samples ingestion failed attempts.",
            PROM,
        ),
        _m(
            "redis_cpu_user_main_thread_seconds_total",
            "counter",
            "cpu_user_main_thread_seconds_total metric",
            REDIS,
        ),
        _m(
            "redis_cpu_sys_main_thread_seconds_total",
            "counter",
            "cpu_sys_main_thread_seconds_total metric",
            REDIS,
        ),
    ]


@pytest.fixture(scope="module")
def grounding() -> list[MetricInfo]:
    return metrics()


# --- parse: what is asked


@pytest.mark.parametrize(
    ("question", "seconds"),
    [
        ("how much memory will redis be using an hour from now", 3600.0),
        ("head series count 1h from now", 3600.0),
        ("redis memory 2 days from now", 172800.0),
    ],
)
def test_a_time_from_now_is_a_prediction(vocab: Vocabulary, question: str, seconds: float) -> None:
    assert parse_intent(question, vocab).predict_seconds == seconds


def test_a_level_to_reach_in_the_unit_said(vocab: Vocabulary) -> None:
    intent = parse_intent("how many days until the shop database reaches 1 GB", vocab)
    assert intent.reach is not None
    assert (intent.reach.value, intent.reach.kind) == (1024**3, "bytes")
    assert "size" in intent.measures  # a level in bytes is a size when nothing else is named


@pytest.mark.parametrize(
    ("question", "had"),
    [
        ("which databases had rollbacks in the last 5 minutes", True),
        ("which disks saw errors", True),
        ("which databases have the most rollbacks", False),
        ("which databases had more than 3 rollbacks", False),  # a threshold of its own
    ],
)
def test_which_things_had_events(vocab: Vocabulary, question: str, had: bool) -> None:
    assert parse_intent(question, vocab).had_any is had


def test_the_word_counted_after_a_threshold_stays_the_measure(vocab: Vocabulary) -> None:
    intent = parse_intent("which dbs are doing more than 1 commit per second", vocab)
    assert intent.threshold is not None
    assert intent.threshold.value == 1.0
    start = intent.text.index("commit")
    assert not any(a <= start < b for a, b in intent.consumed)  # still there to be measured


def test_a_comparative_is_not_corrected_to_its_adjective(vocab: Vocabulary) -> None:
    intent = parse_intent("which probes return a body larger than 50 KB", vocab)
    assert intent.threshold is not None
    assert (intent.threshold.value, intent.threshold.kind) == (50 * 1024, "bytes")


def test_the_fastest_of_a_rate_is_the_highest(vocab: Vocabulary) -> None:
    intent = parse_intent("which 3 jobs allocate memory the fastest, in bytes per second", vocab)
    assert intent.top == ("topk", 3)
    assert "latency" not in intent.measures
    assert parse_intent("fastest http endpoint", vocab).top is not None
    assert parse_intent("fastest http endpoint", vocab).top[0] == "bottomk"  # type: ignore[index]


# --- compose: the query


def test_predicted_an_hour_from_now(grounding: list[MetricInfo]) -> None:
    assert answer("at this rate, how much memory will redis use an hour from now?", grounding) == (
        'predict_linear(redis_memory_used_bytes{job="redis"}[1h], 3600)'
    )


def test_days_until_a_level_is_reached(grounding: list[MetricInfo]) -> None:
    assert answer(
        "At its current growth rate, how many days until the shop database reaches 1 GB?",
        grounding,
    ) == (
        '((1073741824 - pg_database_size_bytes{datname="shop"})'
        ' / deriv(pg_database_size_bytes{datname="shop"}[1h])) / 86400'
    )


def test_which_things_had_events_are_those_above_zero(grounding: list[MetricInfo]) -> None:
    assert answer("which databases had rollbacks in the last 5 minutes", grounding) == (
        "sum by (datname) (increase(pg_stat_database_xact_rollback[5m])) > 0"
    )


def test_more_than_a_number_of_events_per_second(grounding: list[MetricInfo]) -> None:
    assert answer("which dbs are doing more than 1 commit per second", grounding) == (
        "sum by (datname) (rate(pg_stat_database_xact_commit[5m])) > 1"
    )


def test_a_size_threshold_in_kb(grounding: list[MetricInfo]) -> None:
    assert answer("Which HTTP probes return a body larger than 50 KB?", grounding) == (
        'probe_http_uncompressed_body_length{job="http-probe"} > 51200'
    )


def test_a_threshold_in_the_metrics_own_unit_compares_it_as_it_is(
    grounding: list[MetricInfo],
) -> None:
    assert answer(
        "Which Redis commands have a 99th percentile latency above 10 microseconds?", grounding
    ) == ('redis_latency_percentiles_usec{job="redis", quantile="99"} > 10')
    # Another unit still converts: the metric's microseconds to seconds, then compared.
    assert answer("redis p99 latency above 1 ms", grounding).endswith("/ 1000000) > 0.001")


def test_a_quantile_per_thing_in_the_metrics_own_unit(grounding: list[MetricInfo]) -> None:
    # One series per command already: kept as it is, in microseconds as asked.
    assert answer("median latency of each redis command (usec)", grounding) == (
        'redis_latency_percentiles_usec{job="redis", quantile="50"}'
    )


def test_the_highest_of_each_group_over_a_window(grounding: list[MetricInfo]) -> None:
    assert answer("max probe duration per job over the last 10 min", grounding) == (
        "max by (job) (max_over_time(probe_duration_seconds[10m]))"
    )


def test_times_as_a_noun_compares_as_a_difference(grounding: list[MetricInfo]) -> None:
    assert answer("tcp probe duration times now compared to a minute ago", grounding) == (
        '(probe_duration_seconds{job="tcp-probe"})'
        ' - (probe_duration_seconds{job="tcp-probe"} offset 1m)'
    )
    assert " / " in answer(
        "tcp probe duration now, how many times higher than a minute ago", grounding
    )


def test_the_fastest_allocating_jobs(grounding: list[MetricInfo]) -> None:
    assert answer("Which 3 jobs allocate memory the fastest, in bytes per second?", grounding) == (
        "topk(3, sum by (job) (rate(go_memstats_alloc_bytes_total[5m])))"
    )


def test_a_share_of_the_things_that_live_somewhere(grounding: list[MetricInfo]) -> None:
    # Those in db0 over all of them ("redis" said: its job, on both sides).
    assert answer("what share of all the redis keys live in db0", grounding) == (
        'sum by (job) (redis_db_keys{db="db0", job="redis"})'
        ' / sum by (job) (redis_db_keys{job="redis"})'
    )


def test_parts_of_cpu_time_as_a_percent_of_one_core(grounding: list[MetricInfo]) -> None:
    assert answer("redis main thread CPU usage as a percent of one core", grounding) == (
        '100 * (rate(redis_cpu_sys_main_thread_seconds_total{job="redis"}[5m])'
        ' + rate(redis_cpu_user_main_thread_seconds_total{job="redis"}[5m]))'
    )


def test_ingesting_samples_is_appending_them(grounding: list[MetricInfo]) -> None:
    question = "Is Prometheus ingesting faster than a minute ago? samples/s now vs then"
    generation = plan(question, grounding)
    assert "prometheus_tsdb_head_samples_appended_total" in generation.promql
    assert "its name says ingesting" in generation.explanation  # the word, not just "samples"
