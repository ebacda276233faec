"""What lets the planner answer about exporters it was not built on: sums of parts, ratios
of two named things, shortened and run-together names, what is used of a whole, the age
of a timestamp, counting targets, and how a question's wording groups and filters.

Each test is one mechanism on a small, fixed grounding shaped like node, Redis,
PostgreSQL, blackbox and Prometheus metrics; no names in the planner's code.
"""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.choose import find_mentions, whole_of_parts
from obsai_query.planner.intent import parse_intent, search_words, side_of
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import NODE, REDIS, _m, answer, exporter_metrics

PG = {
    "instance": ("127.0.0.1:9187",),
    "job": ("postgres",),
    "datname": ("inventory", "postgres", "shop"),
}
PROBES = {"instance": ("http://a/metrics", "http://b/health"), "job": ("http-probe",)}


def more_metrics() -> list[MetricInfo]:
    """The shared exporters' grounding and the metrics these mechanisms are about."""
    return [
        *exporter_metrics(),
        _m("redis_cpu_user_seconds_total", "counter", "cpu_user_seconds_total metric", REDIS),
        _m("redis_cpu_sys_seconds_total", "counter", "cpu_sys_seconds_total metric", REDIS),
        _m("redis_connected_clients", "gauge", "connected_clients metric", REDIS),
        _m("redis_blocked_clients", "gauge", "blocked_clients metric", REDIS),
        _m("redis_config_maxclients", "gauge", "config_maxclients metric", REDIS),
        _m(
            "redis_db_avg_ttl_seconds",
            "gauge",
            "Avg TTL in seconds",
            {**REDIS, "db": ("db0", "db1")},
            2,
        ),
        _m(
            "redis_rdb_last_save_timestamp_seconds",
            "gauge",
            "rdb_last_save_timestamp_seconds metric",
            REDIS,
            unit="seconds",
        ),
        _m("node_memory_SwapTotal_bytes", "gauge", "Memory information field.", NODE, unit="bytes"),
        _m("node_memory_SwapFree_bytes", "gauge", "Memory information field.", NODE, unit="bytes"),
        _m(
            "node_filesystem_files",
            "gauge",
            "Filesystem total file nodes.",
            {**NODE, "mountpoint": ("/",)},
        ),
        _m(
            "node_filesystem_files_free",
            "gauge",
            "Filesystem total free file nodes.",
            {**NODE, "mountpoint": ("/",)},
        ),
        _m("node_netstat_Tcp_RetransSegs", "unknown", "Statistic TcpRetransSegs.", NODE),
        _m("node_netstat_Tcp_InSegs", "unknown", "Statistic TcpInSegs.", NODE),
        _m("node_vmstat_pgmajfault", "unknown", "/proc/vmstat information field pgmajfault.", NODE),
        _m(
            "node_network_up",
            "gauge",
            "Value is 1 if operstate is 'up', 0 otherwise.",
            {**NODE, "device": ("eth0", "lo")},
            2,
        ),
        _m(
            "pg_locks_count",
            "gauge",
            "Number of locks",
            {**PG, "mode": ("accesssharelock", "exclusivelock", "rowexclusivelock")},
            9,
        ),
        _m("pg_stat_activity_max_tx_duration", "gauge", "max duration in seconds", PG, 3),
        _m("probe_http_status_code", "gauge", "Response HTTP status code", PROBES, 2),
        _m("node_load1", "gauge", "1m load average.", NODE),
        _m("node_sockstat_TCP_alloc", "gauge", "Number of TCP sockets in state alloc.", NODE),
        _m("node_sockstat_TCP_inuse", "gauge", "Number of TCP sockets in state inuse.", NODE),
        _m(
            "probe_http_duration_seconds",
            "gauge",
            "Duration of http request by phase, summed over all redirects",
            {**PROBES, "phase": ("connect", "processing", "transfer")},
            6,
            "seconds",
        ),
    ]


@pytest.fixture(scope="module")
def metrics() -> list[MetricInfo]:
    return more_metrics()


# --- sums of parts


def test_a_whole_unnamed_is_the_sum_of_its_parts(metrics: list[MetricInfo]) -> None:
    promql = answer("redis cpu usage", metrics)
    assert "redis_cpu_user_seconds_total" in promql
    assert "redis_cpu_sys_seconds_total" in promql
    assert " + " in promql


def test_one_part_named_is_that_part(metrics: list[MetricInfo], vocab: Vocabulary) -> None:
    promql = answer("redis user cpu seconds per second", metrics)
    assert promql == 'rate(redis_cpu_user_seconds_total{job="redis"}[5m])'
    intent = parse_intent("postgres commits per second", vocab)
    commit = next(m for m in metrics if m.name == "pg_stat_database_xact_commit")
    assert whole_of_parts(commit, metrics, intent, vocab) == []


def test_every_part_named_is_the_whole_again(metrics: list[MetricInfo], vocab: Vocabulary) -> None:
    commit = next(m for m in metrics if m.name == "pg_stat_database_xact_commit")
    both = parse_intent("transactions per second, commits and rollbacks together", vocab)
    assert {m.name for m in whole_of_parts(commit, metrics, both, vocab)} == {
        "pg_stat_database_xact_commit",
        "pg_stat_database_xact_rollback",
    }
    alone = parse_intent("postgres transactions per second", vocab)
    assert len(whole_of_parts(commit, metrics, alone, vocab)) == 2


# --- a ratio of two named things


@pytest.mark.parametrize(
    ("question", "a", "b"),
    [
        ("connected clients vs its maxclients", "connected clients", "max clients"),
        ("open fds as a percentage of the max", "open fds", "max"),
        ("ratio of blocked clients to connected clients", "blocked clients", "connected clients"),
        ("backends relative to max connections", "backends", "max connections"),
    ],
)
def test_a_ratio_of_two_things_is_split_in_its_sides(
    vocab: Vocabulary, question: str, a: str, b: str
) -> None:
    intent = parse_intent(question, vocab)
    assert intent.ratio_of is not None
    (a0, a1), (b0, b1) = intent.ratio_of
    assert (intent.text[a0:a1], intent.text[b0:b1]) == (a, b)
    assert intent.ratio


@pytest.mark.parametrize(
    "question",
    ["cpu usage production vs staging", "checkout request rate vs an hour ago", "redis memory"],
)
def test_comparisons_of_values_are_no_ratio_of_things(vocab: Vocabulary, question: str) -> None:
    assert parse_intent(question, vocab).ratio_of is None


def test_one_side_of_a_ratio_keeps_only_its_words(vocab: Vocabulary) -> None:
    intent = parse_intent("committed memory as a share of the commit limit", vocab)
    assert intent.ratio_of is not None
    side = side_of(intent, intent.ratio_of[1], vocab)
    assert [w for w, _, _ in side.tokens] == ["commit", "limit"]
    assert side.qualifiers == {"limit"}
    assert side.measures == []


def test_a_named_ratio_divides_the_two_things(metrics: list[MetricInfo]) -> None:
    assert (
        answer("connected clients redis vs its maxclients", metrics)
        == 'redis_connected_clients{job="redis"} / redis_config_maxclients{job="redis"}'
    )


# --- names that shorten or run words together


@pytest.mark.parametrize(
    ("word", "asked", "found"),
    [
        ("retrans", {"tcp", "retransmitted"}, {"retransmitted"}),
        # (segs is the glossary's own word for TCP segments now: not a shortening)
        ("frag", {"fragment"}, {"fragment"}),
        # (pgmajfault is the glossary's own word for major page faults now: not a shortening)
        ("pgsteal", {"page", "steal"}, {"page", "steal"}),
        ("pgscankswapd", {"page", "scan", "kswapd"}, {"page", "scan", "kswapd"}),
        ("shmem", {"shared", "memory"}, {"shared", "memory"}),
        ("offset", {"eviction"}, set()),  # no run of pieces that means the question
        ("time", {"timeout"}, set()),  # a word the glossary knows is only itself
    ],
)
def test_shortened_and_run_together_name_words(
    vocab: Vocabulary, word: str, asked: set[str], found: set[str]
) -> None:
    assert found <= vocab.abbreviated(word, frozenset(asked))
    if not found:
        assert not vocab.abbreviated(word, frozenset(asked))


def test_an_untyped_count_asked_per_second_is_a_rate(metrics: list[MetricInfo]) -> None:
    assert answer("TCP segments retransmitted per second", metrics) == (
        "rate(node_netstat_Tcp_RetransSegs[5m])"
    )
    assert answer("major page faults per second", metrics) == "rate(node_vmstat_pgmajfault[5m])"


def test_a_value_written_as_one_word(metrics: list[MetricInfo], vocab: Vocabulary) -> None:
    intent = parse_intent("access share locks in postgres", vocab)
    found = {m.text: m.options for m in find_mentions(intent, metrics, vocab)}
    assert found["access share locks"] == (("mode", "accesssharelock"),)


# --- a whole, what is left of it, what is used


def test_used_is_the_whole_less_what_is_left(metrics: list[MetricInfo]) -> None:
    assert answer("How much swap is in use?", metrics) == (
        "node_memory_SwapTotal_bytes - node_memory_SwapFree_bytes"
    )


def test_the_share_left_when_what_is_available_is_asked(metrics: list[MetricInfo]) -> None:
    assert answer("available memory in percent", metrics) == (
        "100 * (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)"
    )


def test_the_whole_of_a_free_count_is_its_name_without_free(metrics: list[MetricInfo]) -> None:
    assert answer("inode usage of the root filesystem in percent", metrics) == (
        '100 * (1 - node_filesystem_files_free{mountpoint="/"} '
        '/ node_filesystem_files{mountpoint="/"})'
    )


def test_how_much_a_thing_has_is_its_size(vocab: Vocabulary) -> None:
    assert "size" in parse_intent("how much memory does the machine have", vocab).qualifiers
    assert "size" not in parse_intent("how much memory is used", vocab).qualifiers


# --- time


def test_time_since_a_timestamp_is_its_age(metrics: list[MetricInfo]) -> None:
    assert answer("time since the last redis save", metrics) == (
        'time() - redis_rdb_last_save_timestamp_seconds{job="redis"}'
    )


@pytest.mark.parametrize(
    ("question", "window"),
    [
        ("how long did the last scrape take", ""),  # "last" of a scrape, no window
        ("requests in the last 2 hours", "in"),
        ("cpu over the past day", "over"),
        ("latency for the last 30m", "for"),
    ],
)
def test_a_window_needs_a_unit_of_time(vocab: Vocabulary, question: str, window: str) -> None:
    assert parse_intent(question, vocab).window_word == window


def test_an_age_in_hours(metrics: list[MetricInfo]) -> None:
    assert answer("node uptime in hours", metrics) == (
        '(time() - node_boot_time_seconds{job="node"}) / 3600'
    )


def test_the_peak_of_a_gauge_reads_every_sample(metrics: list[MetricInfo]) -> None:
    assert answer("peak 1 minute load over the last hour", metrics) == (
        "max_over_time(node_load1[1h])"
    )


# --- grouping and filtering by the question's wording


@pytest.mark.parametrize(
    ("question", "groups"),
    [
        ("cpu usage per core", ["core"]),
        ("http requests by status code and handler", ["status code", "handler"]),
        ("memory used by prometheus", []),  # who uses it, not a grouping
        ("memory used by each exporter", ["each exporter"]),
        ("most called redis command", ["command"]),
        ("size of the biggest postgres database", ["database"]),
        ("which job uses the most cpu", ["job"]),  # cpu is what jobs are ranked by
    ],
)
def test_grouping_words(vocab: Vocabulary, question: str, groups: list[str]) -> None:
    assert parse_intent(question, vocab).group_words == groups


def test_a_value_before_a_grouping_names_the_system(metrics: list[MetricInfo]) -> None:
    assert answer("size of each postgres database", metrics) == (
        'sum by (datname, job) (pg_database_size_bytes{job="postgres"})'
    )


def test_a_measure_before_another_word_says_what_it_is_of(metrics: list[MetricInfo]) -> None:
    assert answer("average key TTL per redis db", metrics).startswith(
        "avg by (db, job) (redis_db_avg_ttl_seconds"
    )


def test_a_measure_after_of_says_what_it_is_of(metrics: list[MetricInfo]) -> None:
    assert answer("average ttl of keys in db0", metrics).startswith("redis_db_avg_ttl_seconds")


def test_a_measure_before_a_label_in_plural_groups_by_it(metrics: list[MetricInfo]) -> None:
    assert answer("lock modes held in postgres", metrics) == (
        'sum by (mode, job) (pg_locks_count{job="postgres"})'
    )


def test_the_words_said_weigh_more_than_their_synonyms(metrics: list[MetricInfo]) -> None:
    # "in use" is said in the name run together; "alloc" only means the same.
    assert answer("number of TCP sockets in use", metrics) == "node_sockstat_TCP_inuse"


def test_the_longest_of_them_is_a_max(metrics: list[MetricInfo]) -> None:
    assert answer("longest running transaction in postgres", metrics).startswith(
        "max by (job) (pg_stat_activity_max_tx_duration"
    )


# --- targets, probes and things counted


def test_how_many_targets_are_down(metrics: list[MetricInfo]) -> None:
    assert answer("how many targets are down", metrics) == "count(up == 0) or vector(0)"


def test_how_many_things_are_up(metrics: list[MetricInfo]) -> None:
    assert answer("how many network interfaces are up", metrics) == (
        'count(min by (device) (node_network_up{device!=""}) == 1)'
    )


def test_which_probes_succeed(metrics: list[MetricInfo]) -> None:
    assert answer("Which probes are succeeding?", metrics) == "probe_success == 1"


def test_a_job_named_after_its_probes_answers_per_probe(metrics: list[MetricInfo]) -> None:
    assert answer("http probe status codes", metrics) == (
        'probe_http_status_code{job="http-probe"}'
    )


def test_how_many_probes_succeed(metrics: list[MetricInfo]) -> None:
    assert answer("how many probes succeed", metrics) == "count(probe_success == 1) or vector(0)"


def test_grouped_things_that_are_series_stay_apart(metrics: list[MetricInfo]) -> None:
    assert answer("http probe durations by phase", metrics) == (
        'avg by (phase, instance, job) (probe_http_duration_seconds{job="http-probe"})'
    )


def test_a_total_over_all_of_them_is_one_number(metrics: list[MetricInfo]) -> None:
    assert answer("total resident memory of all exporters", metrics) == (
        "sum(process_resident_memory_bytes)"
    )


# --- grounding


def test_the_other_outcome_is_searched_for_as_the_question_says_it(vocab: Vocabulary) -> None:
    assert "redis cache hit ratio" in search_words("redis cache miss ratio", vocab)
