"""Mechanisms behind blind round 7's remaining misses, stage by stage: a rate "now vs a
minute ago" as a difference, a level compared with earlier staying a level (an untyped
"CurrEstab" is one), "commits/s", a passive verb naming the events counted ("processes
were forked"), "by time spent" as what is ranked, the memory in use on one side of "memory
per key", a part of a whole ("what percent of RAM is page cache"), "% of X are idle", "at
least one", counts of samples ("how many times was each job scraped"), a subject no label
tells apart as a word of the measure ("what Go version"), info series when a name is asked
("which distro"), listed parts counted as the whole is ("IOPS (reads + writes)"), an average
over a window per probe, failed probes in a window, the worst of each group over a window,
and "break down … by" that says nothing is down.

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import (
    HTTP_PROBES,
    NODE,
    PROM,
    REDIS,
    TCP_PROBES,
    _m,
    answer,
    exporter_metrics,
)

JOBS = {"instance": ("a", "b", "c"), "job": ("node", "redis", "prometheus")}
PG_STATE = {
    "instance": ("127.0.0.1:9187",),
    "job": ("postgres",),
    "datname": ("shop", "postgres"),
    "state": ("active", "idle"),
}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m("node_netstat_Tcp_CurrEstab", "unknown", "Statistic TcpCurrEstab.", NODE),
        _m(
            "net_conntrack_dialer_conn_established_total",
            "counter",
            "Total number of connections successfully established by the given dialer.",
            {**PROM, "dialer_name": ("node", "redis")},
            2,
        ),
        _m(
            "prometheus_tsdb_head_series_removed_total",
            "counter",
            "Total number of series removed in the head",
            PROM,
        ),
        _m("node_forks_total", "counter", "Total number of forks.", NODE),
        _m("node_procs_running", "gauge", "Number of processes in runnable state.", NODE),
        _m(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            JOBS,
            3,
            "seconds",
        ),
        _m(
            "redis_commands_total",
            "counter",
            "Total number of calls per command",
            {**REDIS, "cmd": ("get", "set")},
            2,
        ),
        _m("redis_memory_used_bytes", "gauge", "memory_used_bytes metric", REDIS, unit="bytes"),
        _m(
            "redis_mem_fragmentation_bytes",
            "gauge",
            "mem_fragmentation_bytes metric",
            REDIS,
            unit="bytes",
        ),
        _m(
            "node_memory_Cached_bytes",
            "gauge",
            "Memory information field Cached_bytes.",
            NODE,
            unit="bytes",
        ),
        _m(
            "pg_stat_activity_count",
            "gauge",
            "number of connections in this state",
            PG_STATE,
            4,
        ),
        _m(
            "pg_stat_database_numbackends",
            "gauge",
            "Number of backends currently connected to this database.",
            {"instance": ("127.0.0.1:9187",), "job": ("postgres",), "datname": ("shop", "x")},
            2,
        ),
        _m(
            "scrape_samples_scraped",
            "gauge",
            "The number of samples the target exposed.",
            JOBS,
            3,
        ),
        _m(
            "go_info",
            "gauge",
            "Information about the Go environment.",
            {
                **JOBS,
                "version": ("go1.19.8",),
            },
            3,
        ),
        _m("process_open_fds", "gauge", "Number of open file descriptors.", JOBS, 3),
        _m(
            "node_os_info",
            "gauge",
            "A metric with a constant '1' value labeled by os.",
            {
                **NODE,
                "pretty_name": ("Debian GNU/Linux 12 (bookworm)",),
            },
        ),
        _m(
            "node_os_version",
            "gauge",
            "Metric containing the major.minor part of the OS version.",
            NODE,
        ),
        _m(
            "node_disk_writes_completed_total",
            "counter",
            "The total number of writes completed successfully.",
            {**NODE, "device": ("vda",)},
        ),
        _m(
            "probe_duration_seconds",
            "gauge",
            "Returns how long the probe took to complete in seconds",
            TCP_PROBES,
            2,
            "seconds",
        ),
        _m(
            "probe_http_duration_seconds",
            "gauge",
            "Duration of http request by phase, summed over all redirects",
            {**HTTP_PROBES, "phase": ("connect", "processing", "resolve", "tls", "transfer")},
            10,
            "seconds",
        ),
        _m(
            "scrape_duration_seconds",
            "gauge",
            "Duration of the scrape.",
            JOBS,
            3,
            "seconds",
        ),
    ]


@pytest.fixture(scope="module")
def grounding() -> list[MetricInfo]:
    return metrics()


# --- parse: what is asked


def test_things_per_second_written_with_a_slash(vocab: Vocabulary) -> None:
    intent = parse_intent("pg commits/s now vs a minute ago", vocab)
    assert intent.per_second
    assert "commits per second" in intent.text


def test_a_rate_in_bits_keeps_its_unit(vocab: Vocabulary) -> None:
    assert "mbits/s" in parse_intent("traffic on eth0 in mbits/s", vocab).text


@pytest.mark.parametrize(
    ("question", "op", "value"),
    [
        ("which postgres dbs have at least one connection right now", ">=", 1.0),
        ("which dbs have at least 2 connections", ">=", 2.0),
        ("which dbs have at most three connections", "<=", 3.0),
        ("databases with more than 5 connections", ">", 5.0),
    ],
)
def test_bounds_said_in_words_and_inclusive(
    vocab: Vocabulary, question: str, op: str, value: float
) -> None:
    threshold = parse_intent(question, vocab).threshold
    assert threshold is not None
    assert (threshold.op, threshold.value) == (op, value)


def test_at_least_one_in_a_fraction_is_a_state_not_a_threshold(vocab: Vocabulary) -> None:
    intent = parse_intent("What fraction of the time is at least one process stalled?", vocab)
    assert intent.threshold is None


def test_a_part_said_after_is_is_a_ratio_to_the_whole(vocab: Vocabulary) -> None:
    intent = parse_intent("What percent of RAM is page cache?", vocab)
    assert intent.ratio_of is not None
    part, whole = intent.ratio_of
    assert intent.text[part[0] : part[1]] == "page cache"
    assert intent.text[whole[0] : whole[1]] == "ram"


@pytest.mark.parametrize(
    "question", ["what percent of memory is used", "what percentage of the disk is free"]
)
def test_a_state_said_after_is_is_no_part(vocab: Vocabulary, question: str) -> None:
    assert parse_intent(question, vocab).ratio_of is None


# --- choose and compose: the PromQL


def test_a_rate_now_vs_a_minute_ago_is_a_difference(grounding: list[MetricInfo]) -> None:
    assert answer("pg commits/s now vs a minute ago", grounding) == (
        "(sum(rate(pg_stat_database_xact_commit[5m])))"
        " - (sum(rate(pg_stat_database_xact_commit[5m] offset 1m)))"
    )


def test_a_rate_vs_an_hour_ago_is_still_a_ratio(grounding: list[MetricInfo]) -> None:
    assert " / (" in answer("pg commits per second vs an hour ago", grounding)


def test_an_untyped_current_count_is_a_level(grounding: list[MetricInfo]) -> None:
    assert answer("established tcp connections now vs a minute ago", grounding) == (
        "(node_netstat_Tcp_CurrEstab) - (node_netstat_Tcp_CurrEstab offset 1m)"
    )


def test_a_level_compared_with_earlier_is_no_count_of_events(
    grounding: list[MetricInfo],
) -> None:
    promql = answer("prometheus head series now vs 1 minute ago", grounding)
    assert promql.startswith("(prometheus_tsdb_head_series{"), promql
    assert promql.endswith(" offset 1m)"), promql


def test_a_passive_verb_names_the_events_counted(grounding: list[MetricInfo]) -> None:
    assert (
        answer("How many processes were forked in the last 10 minutes?", grounding)
        == "increase(node_forks_total[10m])"
    )


def test_ranked_by_time_spent_is_the_seconds_spent(grounding: list[MetricInfo]) -> None:
    promql = answer("top 5 redis commands by time spent", grounding)
    assert promql.startswith("topk(5, sum by (cmd"), promql
    assert "rate(redis_commands_duration_seconds_total" in promql


def test_memory_per_key_is_the_memory_in_use(grounding: list[MetricInfo]) -> None:
    promql = answer("average memory per key in redis, in bytes", grounding)
    assert promql.startswith("sum by (job) (redis_memory_used_bytes"), promql
    assert "redis_db_keys" in promql


def test_a_part_of_a_whole_amount(grounding: list[MetricInfo]) -> None:
    assert answer("What percent of RAM is page cache?", grounding) == (
        "100 * (node_memory_Cached_bytes / node_memory_MemTotal_bytes)"
    )


def test_a_percent_sign_of_things_in_a_state(grounding: list[MetricInfo]) -> None:
    assert answer("what % of pg connections are idle", grounding) == (
        '100 * (sum(pg_stat_activity_count{state="idle"}) / sum(pg_stat_activity_count))'
    )


def test_at_least_one_is_a_threshold_on_each(grounding: list[MetricInfo]) -> None:
    promql = answer("which postgres dbs have at least one connection right now", grounding)
    assert "pg_stat_database_numbackends" in promql
    assert promql.endswith(">= 1"), promql


def test_times_scraped_in_a_window_counts_samples(grounding: list[MetricInfo]) -> None:
    promql = answer("How many times was each job scraped in the last minute?", grounding)
    assert promql.startswith("sum by (job) (count_over_time("), promql
    assert promql.endswith("[1m]))"), promql


def test_a_subject_no_label_tells_apart_is_a_word_of_the_measure(
    grounding: list[MetricInfo],
) -> None:
    assert answer("What Go version is each exporter built with?", grounding) == "go_info"


def test_a_name_asked_is_in_an_info_series(grounding: list[MetricInfo]) -> None:
    assert answer("which linux distro is the node on", grounding).startswith("node_os_info")


def test_listed_parts_are_counted_as_the_whole_is(grounding: list[MetricInfo]) -> None:
    assert answer("total IOPS on vda (reads + writes)", grounding) == (
        'rate(node_disk_reads_completed_total{device="vda"}[5m])'
        ' + rate(node_disk_writes_completed_total{device="vda"}[5m])'
    )


def test_an_average_over_a_window_keeps_each_probe(grounding: list[MetricInfo]) -> None:
    promql = answer("avg tcp probe latency over the last 5 min, in ms", grounding)
    assert promql.startswith('(avg_over_time(probe_duration_seconds{job="tcp-probe"}[5m]))')
    assert " by (" not in promql


def test_failed_probes_per_target_in_a_window(grounding: list[MetricInfo]) -> None:
    assert answer("number of failed probes per target in the last 5m", grounding) == (
        "count_over_time(probe_success[5m]) - sum_over_time(probe_success[5m])"
    )


def test_the_worst_of_each_group_reads_every_sample(grounding: list[MetricInfo]) -> None:
    assert answer("worst scrape duration per job in the last 5 min", grounding) == (
        "max by (job) (max_over_time(scrape_duration_seconds[5m]))"
    )


def test_break_down_by_says_nothing_is_down(grounding: list[MetricInfo]) -> None:
    promql = answer("break down the http probe time by phase for the /metrics endpoint", grounding)
    assert "probe_http_duration_seconds" in promql
    assert "phase" in promql
    assert "== 0" not in promql
