"""Mechanisms behind blind round 7's misses, stage by stage: a subquery's resolution (a step
as long as its range reads nothing), CPU in millicores, an untyped count of events "in the
last 15 mins", a value left out ("not counting prometheus"), the worst of each thing grouped
("worst scrape duration per job"), an amount per thing ("memory per key": a ratio of two
metrics, not a grouping), a gauge already one series per thing keeping its own labels
("which interfaces are down") and words users say for general concepts (a distro is the
OS's release, file handles, a save "being done right now").

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import NODE, PROM, REDIS, _m, answer, exporter_metrics

JOBS = {"instance": ("a", "b", "c"), "job": ("node", "redis", "prometheus")}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m(
            "node_netstat_Tcp_RetransSegs",
            "unknown",
            "Statistic TcpRetransSegs.",
            NODE,
        ),
        _m(
            "node_netstat_Tcp_CurrEstab",
            "unknown",
            "Statistic TcpCurrEstab.",
            NODE,
        ),
        _m(
            "node_network_up",
            "gauge",
            "Value is 1 if operstate is 'up', 0 otherwise.",
            {**NODE, "device": ("eth0", "lo", "ifb0")},
            3,
        ),
        _m(
            "scrape_duration_seconds",
            "gauge",
            "Duration of the scrape.",
            JOBS,
            3,
            "seconds",
        ),
        _m(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            JOBS,
            3,
            "bytes",
        ),
        _m(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            JOBS,
            3,
            "seconds",
        ),
        _m("redis_db_keys", "gauge", "Total number of keys by DB", {**REDIS, "db": ("db0",)}),
        _m("redis_memory_used_bytes", "gauge", "memory_used_bytes metric", REDIS, unit="bytes"),
        _m(
            "prometheus_tsdb_head_chunks",
            "gauge",
            "Total number of chunks in the head block.",
            PROM,
        ),
        _m(
            "prometheus_tsdb_head_series",
            "gauge",
            "Total number of series in the head block.",
            PROM,
        ),
        _m(
            "scrape_samples_scraped",
            "gauge",
            "The number of samples the target exposed.",
            JOBS,
            3,
        ),
        _m(
            "node_filefd_allocated",
            "gauge",
            "File descriptor statistics: allocated.",
            NODE,
        ),
        _m(
            "node_filefd_maximum",
            "gauge",
            "File descriptor statistics: maximum.",
            NODE,
        ),
        _m("node_os_info", "gauge", "A metric with a constant '1' value labeled by os.", NODE),
        _m("redis_rdb_bgsave_in_progress", "gauge", "rdb_bgsave_in_progress metric", REDIS),
        _m("redis_rdb_last_bgsave_status", "gauge", "rdb_last_bgsave_status metric", REDIS),
    ]


@pytest.fixture(scope="module")
def grounding() -> list[MetricInfo]:
    return metrics()


# --- parse: what is asked


def test_millicores_are_a_unit_of_cpu(vocab: Vocabulary) -> None:
    assert parse_intent("redis exporter cpu usage in millicores", vocab).unit == (
        "cores",
        0.001,
        "millicores",
    )


def test_a_superlative_of_each_thing_grouped_is_the_extreme_of_each(vocab: Vocabulary) -> None:
    intent = parse_intent("worst scrape duration per job in the last 5 min", vocab)
    assert (intent.top, intent.extreme_each, intent.peak) == (None, "max", "max")


# --- compose: the PromQL


def test_a_subquery_step_as_long_as_its_range_is_left_to_prometheus(
    grounding: list[MetricInfo],
) -> None:
    promql = answer("peak total resident memory of all jobs over the last 5 minutes", grounding)
    assert promql.endswith("[5m:])"), promql
    assert "[5m:5m]" not in promql


def test_the_worst_of_each_job_is_its_worst_series(grounding: list[MetricInfo]) -> None:
    promql = answer("worst scrape duration per job in the last 5 min", grounding)
    assert promql == "max by (job) (max_over_time(scrape_duration_seconds[5m]))"


def test_cpu_in_millicores_is_cores_times_a_thousand(grounding: list[MetricInfo]) -> None:
    promql = answer("redis cpu usage in millicores", grounding)
    assert "rate(process_cpu_seconds_total" in promql
    assert promql.endswith("/ 0.001"), promql


def test_an_untyped_count_in_a_window_is_its_increase(grounding: list[MetricInfo]) -> None:
    assert (
        answer("tcp retransmits in the last 15 mins", grounding)
        == "increase(node_netstat_Tcp_RetransSegs[15m])"
    )


def test_an_untyped_level_in_a_window_is_no_increase(grounding: list[MetricInfo]) -> None:
    promql = answer("established tcp connections in the last 15 mins", grounding)
    assert "increase" not in promql
    assert "node_netstat_Tcp_CurrEstab" in promql


@pytest.mark.parametrize(
    "question",
    [
        "total RSS of all the exporters, not counting prometheus",
        "resident memory of everything except prometheus",
        "resident memory excluding prometheus",
    ],
)
def test_a_value_left_out_is_a_negative_matcher(grounding: list[MetricInfo], question: str) -> None:
    assert answer(question, grounding) == 'sum(process_resident_memory_bytes{job!="prometheus"})'


def test_a_value_named_is_still_a_filter(grounding: list[MetricInfo]) -> None:
    assert 'job="prometheus"' in answer("resident memory of prometheus", grounding)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("average memory per key in redis", ("redis_memory_used_bytes", "redis_db_keys")),
        (
            "avg chunks per series in the prometheus head",
            ("prometheus_tsdb_head_chunks", "prometheus_tsdb_head_series"),
        ),
    ],
)
def test_an_amount_per_thing_no_label_tells_apart_is_a_ratio(
    grounding: list[MetricInfo], question: str, expected: tuple[str, str]
) -> None:
    amount, things = answer(question, grounding).split(" / ")
    assert expected[0] in amount
    assert expected[1] in things


def test_an_amount_of_a_metric_already_per_thing_is_no_ratio(
    grounding: list[MetricInfo],
) -> None:
    promql = answer("which job has the most samples per scrape?", grounding)
    assert " / " not in promql
    assert "scrape_samples_scraped" in promql


def test_an_amount_per_thing_a_label_tells_apart_is_a_grouping(
    grounding: list[MetricInfo],
) -> None:
    assert answer("resident memory per job", grounding) == (
        "sum by (job) (process_resident_memory_bytes)"
    )


def test_a_gauge_one_series_per_thing_keeps_its_labels(grounding: list[MetricInfo]) -> None:
    assert answer("which network interfaces are down", grounding) == "node_network_up == 0"


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("which linux distro is the node on", "node_os_info"),
        ("is redis doing a bgsave right now?", "redis_rdb_bgsave_in_progress"),
        ("how many more file handles can the host open?", "node_filefd_maximum"),
    ],
)
def test_words_users_say_for_a_concept(
    grounding: list[MetricInfo], question: str, metric: str
) -> None:
    assert metric in answer(question, grounding)
