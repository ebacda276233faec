"""Rates in other units of time, things normalised per CPU core, shares of things that are
in some state now, and the words that pick the metric for them: each test one mechanism on
a small grounding shaped like node, Redis, PostgreSQL, blackbox and Prometheus metrics."""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.choose import whole_by_name
from obsai_query.planner.compose import _with_label
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import _m, answer
from tests.unit.planner.test_generalisation import NODE, PG, REDIS, more_metrics

PROMETHEUS = {"instance": ("127.0.0.1:9090",), "job": ("prometheus",)}


@pytest.fixture(scope="module")
def metrics() -> list[MetricInfo]:
    return [
        *more_metrics(),
        _m("node_load5", "gauge", "5m load average.", NODE),
        _m("node_load15", "gauge", "15m load average.", NODE),
        _m(
            "pg_stat_database_tup_inserted",
            "counter",
            "Number of rows inserted by queries in this database",
            PG,
            3,
        ),
        _m("redis_db_keys_expiring", "gauge", "Total number of expiring keys by DB", REDIS),
        _m("redis_expired_keys_total", "counter", "expired_keys_total metric", REDIS),
        _m("node_vmstat_pgfault", "unknown", "/proc/vmstat information field pgfault.", NODE),
        _m("node_memory_HugePages_Surp", "gauge", "Memory information field.", NODE),
        _m("node_netstat_Tcp_ActiveOpens", "unknown", "Statistic TcpActiveOpens.", NODE),
        _m("node_netstat_Tcp_PassiveOpens", "unknown", "Statistic TcpPassiveOpens.", NODE),
        _m("node_netstat_Tcp_OutSegs", "unknown", "Statistic TcpOutSegs.", NODE),
        _m("node_netstat_TcpExt_TCPTimeouts", "unknown", "Statistic TcpExtTCPTimeouts.", NODE),
        _m(
            "node_scrape_collector_success",
            "gauge",
            "node_exporter: Whether a collector succeeded.",
            {**NODE, "collector": ("cpu", "diskstats", "meminfo")},
            3,
        ),
        _m(
            "go_memstats_heap_inuse_bytes",
            "gauge",
            "Number of heap bytes that are in use.",
            {"instance": ("a", "b"), "job": ("node", "prometheus")},
            2,
            "bytes",
        ),
        _m(
            "prometheus_http_request_duration_seconds",
            "histogram",
            "Histogram of latencies for HTTP requests.",
            {**PROMETHEUS, "handler": ("/metrics", "/api/v1/query", "/-/ready")},
            3,
            "seconds",
        ),
        _m(
            "prometheus_tsdb_compaction_duration_seconds",
            "histogram",
            "Duration of compaction runs",
            PROMETHEUS,
            1,
            "seconds",
        ),
    ]


# --- rates in other units of time


@pytest.mark.parametrize(
    ("question", "seconds"),
    [
        ("rows inserted per minute", 60),
        ("restarts an hour", 3600),
        ("errors per hour by job", 3600),
        ("bytes written a day", 86400),
        ("requests/min", 60),
    ],
)
def test_a_rate_per_unit_of_time(vocab: Vocabulary, question: str, seconds: float) -> None:
    intent = parse_intent(question, vocab)
    assert intent.per_second
    assert intent.rate_seconds == seconds


@pytest.mark.parametrize(
    "question",
    [
        "how many restarts in an hour",
        "will the disk fill within a day",
        "rows per second",
        "the request rate an hour ago",
        "errors over half an hour",
    ],
)
def test_a_window_is_no_unit_of_a_rate(vocab: Vocabulary, question: str) -> None:
    assert parse_intent(question, vocab).rate_seconds == 1.0


def test_a_rate_per_minute_is_sixty_per_second_rates(metrics: list[MetricInfo]) -> None:
    assert answer("rows inserted per minute into the shop database", metrics) == (
        'rate(pg_stat_database_tup_inserted{datname="shop"}[5m]) * 60'
    )


# --- per CPU core


def test_a_measure_per_core_is_divided_by_the_cores(metrics: list[MetricInfo]) -> None:
    assert answer("What's the 5-minute load average per CPU core?", metrics) == (
        'node_load5 / count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})'
    )


def test_cpu_per_core_is_still_grouped_by_core(vocab: Vocabulary) -> None:
    intent = parse_intent("cpu usage per core", vocab)
    assert intent.per_core is None
    assert intent.group_words == ["core"]


def test_a_number_of_the_name_said_picks_it(metrics: list[MetricInfo]) -> None:
    assert answer("the 15 minute load average", metrics) == "node_load15"
    assert answer("load average", metrics) == "node_load1"


def test_a_number_before_a_unit_of_time_is_no_top_k(vocab: Vocabulary) -> None:
    assert parse_intent("what's the 5-minute load", vocab).top is None
    assert parse_intent("the 3 slowest handlers", vocab).top == ("topk", 3)


# --- shares of things that are 1 or 0


def test_the_share_of_healthy_things_is_their_average(metrics: list[MetricInfo]) -> None:
    assert answer("What percentage of the HTTP probes are succeeding?", metrics) == (
        '100 * (avg(probe_success{job="http-probe"}))'
    )


def test_availability_over_a_window_is_the_average_over_time(metrics: list[MetricInfo]) -> None:
    assert answer(
        "availability of each probe target over the last 5 minutes, in percent", metrics
    ) == ("100 * (avg_over_time(probe_success[5m]))")


def test_a_share_of_things_in_a_state_is_part_over_whole(metrics: list[MetricInfo]) -> None:
    assert answer("What fraction of redis keys have an expiry set?", metrics) == (
        'sum by (job) (redis_db_keys_expiring{job="redis"})'
        ' / sum by (job) (redis_db_keys{job="redis"})'
    )


def test_the_whole_is_the_name_less_one_word(metrics: list[MetricInfo]) -> None:
    by_name = {m.name: m for m in metrics}
    expiring = by_name["redis_db_keys_expiring"]
    assert whole_by_name(expiring, metrics) is by_name["redis_db_keys"]
    assert whole_by_name(by_name["redis_db_keys"], metrics) is None
    assert whole_by_name(by_name["redis_expired_keys_total"], metrics) is None


# --- counting things


def test_things_without_the_label_are_not_counted() -> None:
    assert _with_label('sum by (datname) (x{job="a"})', "x", "datname") == (
        'sum by (datname) (x{datname!="", job="a"})'
    )
    assert _with_label("rate(x[5m]) + x_total", "x", "datname") == (
        'rate(x{datname!=""}[5m]) + x_total'
    )


def test_scrape_targets_are_the_series_of_up(metrics: list[MetricInfo]) -> None:
    assert answer("How many scrape targets are up?", metrics) == "count(up == 1) or vector(0)"


# --- words


def test_page_faults(metrics: list[MetricInfo]) -> None:
    assert answer("page faults per second on the host", metrics) == (
        "rate(node_vmstat_pgfault[5m])"
    )


def test_outgoing_connections_are_active_opens(metrics: list[MetricInfo]) -> None:
    assert answer(
        "How many outgoing TCP connections does the machine open per second?", metrics
    ) == ("rate(node_netstat_Tcp_ActiveOpens[5m])")


def test_use_the_most_ranks_and_asks_no_usage(metrics: list[MetricInfo], vocab: Vocabulary) -> None:
    assert "usage" not in parse_intent("which jobs use the most memory", vocab).qualifiers
    assert "usage" in parse_intent("memory used by the node", vocab).qualifiers
    assert answer("Which 3 jobs use the most resident memory?", metrics) == (
        "topk(3, sum by (job) (process_resident_memory_bytes))"
    )


def test_a_value_written_with_its_punctuation_filters(metrics: list[MetricInfo]) -> None:
    promql = answer("average latency of prometheus's /metrics endpoint", metrics)
    assert 'prometheus_http_request_duration_seconds_sum{handler="/metrics"' in promql


def test_the_share_of_things_down_is_one_less_the_share_up(metrics: list[MetricInfo]) -> None:
    assert answer("what percentage of the probes are failing", metrics) == (
        "100 * (1 - avg(probe_success))"
    )


def test_an_uptime_percentage_is_availability(metrics: list[MetricInfo]) -> None:
    assert answer("uptime percentage of the probes over the last hour", metrics) == (
        "100 * (avg(avg_over_time(probe_success[1h])))"
    )


def test_a_share_in_a_state_divides_by_all_states() -> None:
    activity = _m(
        "pg_stat_activity_count",
        "gauge",
        "number of connections in this state",
        {**PG, "state": ("active", "idle", "idle in transaction")},
        9,
    )
    assert answer("percentage of postgres connections that are idle", [activity]) == (
        '100 * (sum by (job) (pg_stat_activity_count{job="postgres", state="idle"})'
        ' / sum by (job) (pg_stat_activity_count{job="postgres"}))'
    )


def _connections() -> list[MetricInfo]:
    server = {**PG, "server": ("127.0.0.1:5432",)}
    return [
        _m(
            "pg_stat_activity_count",
            "gauge",
            "number of connections in this state",
            {**server, "state": ("active", "idle")},
            6,
        ),
        _m(
            "pg_stat_database_sessions",
            "unknown",
            "Unknown metric from pg_stat_database",
            server,
            3,
        ),
        _m(
            "pg_settings_max_connections",
            "gauge",
            "Sets the maximum number of concurrent connections.",
            {k: v for k, v in server.items() if k != "datname"},
        ),
        _m(
            "pg_settings_reserved_connections",
            "gauge",
            "Sets the number of connection slots reserved for roles.",
            {k: v for k, v in server.items() if k != "datname"},
        ),
    ]


def test_a_help_that_counts_the_thing_said_is_its_count() -> None:
    assert answer("total connections to postgres", _connections()) == (
        'sum by (job) (pg_stat_activity_count{job="postgres"})'
    )


def test_a_share_of_a_limit_setting_is_what_counts_the_thing_over_it() -> None:
    assert answer("What percentage of max_connections is in use on postgres?", _connections()) == (
        '100 * (sum by (job) (pg_stat_activity_count{job="postgres"})'
        ' / sum by (job) (pg_settings_max_connections{job="postgres"}))'
    )


def test_how_many_are_there_is_no_condition(metrics: list[MetricInfo]) -> None:
    assert answer("how many postgres databases are there", metrics) == (
        'count(sum by (datname, job) (pg_database_size_bytes{datname!="", job="postgres"}))'
    )


def test_a_measure_of_a_systems_things(metrics: list[MetricInfo]) -> None:
    assert answer("the average TTL of redis keys", metrics).startswith(
        "avg by (job) (redis_db_avg_ttl_seconds"
    )


def test_keys_with_a_ttl_are_the_expiring_keys(metrics: list[MetricInfo]) -> None:
    assert answer("How many redis keys have a TTL?", metrics) == (
        'redis_db_keys_expiring{job="redis"}'
    )


def test_a_qualifier_run_together_with_a_measure_is_two_words(vocab: Vocabulary) -> None:
    assert parse_intent("percentage of redis maxclients in use", vocab).text == (
        "percentage of redis max clients in use"
    )
    assert parse_intent("redis maxmemory", vocab).text == "redis maxmemory"


def test_a_share_of_a_run_together_limit_is_of_what_is_connected() -> None:
    clients = [
        _m("redis_connected_clients", "gauge", "connected_clients metric", REDIS),
        _m("redis_blocked_clients", "gauge", "blocked_clients metric", REDIS),
        _m("redis_config_maxclients", "gauge", "config_maxclients metric", REDIS),
        _m("redis_memory_used_bytes", "gauge", "memory_used_bytes metric", REDIS, unit="bytes"),
        _m("redis_memory_max_bytes", "gauge", "memory_max_bytes metric", REDIS, unit="bytes"),
    ]
    assert answer("What percentage of redis maxclients is in use?", clients) == (
        '100 * (redis_connected_clients{job="redis"} / redis_config_maxclients{job="redis"})'
    )


def test_a_path_names_the_urls_ending_with_it() -> None:
    probes = [
        _m(
            "probe_success",
            "gauge",
            "Displays whether or not the probe was a success",
            {"instance": ("http://a:80/health", "http://a:80/metrics"), "job": ("http-probe",)},
            2,
        )
    ]
    assert answer("is the /health probe succeeding", probes) == (
        'probe_success{instance="http://a:80/health"}'
    )
