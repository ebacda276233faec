"""Mechanisms behind blind round 10's misses, stage by stage: words that are no misspelling
("spends", "garbage collection"), work stalled for want of a resource ("I/O so congested"),
a short form that says which memory ("RSS"), the agent of an -ing word ("archiving" of an
archiver), a question of the subject of "which" that names the things and what they belong
to ("which probe target"), a kind of the things among all of them ("… of the page faults are
major faults"), a limit asked as "how many … can", a superlative of nothing ranked over a
window ("worst connect time … over the past 10 min"), the one doing what is measured
("how long does Prometheus take to scrape …"), a possessive and an endpoint "hit", how many
times a state flipped (changes()), runs counted as samples, "how many times" with no window,
things where nothing happened ("haven't been called"), a rate per thing ("commands/sec per
connected client") and the average of one event ("average size of a command"), a series
ranked as it is, untyped metrics read as their namesakes, and the span of a range (its high
end less its low) or one amount minus another.

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.choose import find_mentions
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import NODE, PROM, REDIS, _m, answer, exporter_metrics

PG = {"instance": ("127.0.0.1:9187",), "job": ("postgres",)}
PG_DB = {**PG, "datname": ("inventory", "postgres", "shop")}
PROBES = {"instance": ("127.0.0.1:1", "http://a/metrics"), "job": ("tcp-probe", "http-probe")}
HTTP_PHASES = {
    "instance": ("http://a/metrics",),
    "job": ("http-probe",),
    "phase": ("connect", "processing", "resolve", "tls", "transfer"),
}
TARGETS = {"instance": ("a", "b", "c"), "job": ("prometheus", "tcp-probe", "node")}
COLLECTORS = {**NODE, "collector": ("cpu", "diskstats", "filesystem", "meminfo", "netclass")}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m(
            "node_pressure_io_stalled_seconds_total",
            "counter",
            "Total time in seconds no process could make progress due to IO congestion",
            NODE,
            unit="seconds",
        ),
        _m(
            "redis_io_threaded_reads_processed",
            "counter",
            "io_threaded_reads_processed metric",
            REDIS,
        ),
        _m("go_memstats_heap_alloc_bytes", "gauge", "Heap bytes allocated and in use.", PROM),
        _m("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", PROM),
        _m(
            "pg_stat_archiver_failed_count",
            "counter",
            "Number of failed attempts for archiving WAL files",
            PG,
        ),
        _m(
            "prometheus_tsdb_wal_truncations_failed_total",
            "counter",
            "Total number of write log truncations that failed.",
            PROM,
        ),
        _m(
            "probe_duration_seconds",
            "gauge",
            "Returns how long the probe took to complete in seconds",
            PROBES,
            2,
            "seconds",
        ),
        _m(
            "scrape_duration_seconds",
            "gauge",
            "Duration of the scrape",
            TARGETS,
            3,
            "seconds",
        ),
        _m(
            "probe_http_duration_seconds",
            "gauge",
            "Duration of http request by phase, summed over all redirects",
            HTTP_PHASES,
            5,
            "seconds",
        ),
        _m(
            "node_vmstat_pgfault",
            "unknown",
            "/proc/vmstat information field pgfault.",
            NODE,
        ),
        _m(
            "node_vmstat_pgmajfault",
            "unknown",
            "/proc/vmstat information field pgmajfault.",
            NODE,
        ),
        _m(
            "pg_settings_autovacuum_max_workers",
            "gauge",
            "Sets the maximum number of simultaneously running autovacuum worker processes.",
            PG,
        ),
        _m(
            "pg_settings_autovacuum_worker_slots",
            "gauge",
            "Sets the number of backend slots to allocate for autovacuum workers.",
            PG,
        ),
        _m(
            "prometheus_http_requests_total",
            "counter",
            "Counter of HTTP requests.",
            {**PROM, "handler": ("/metrics", "/api/v1/query"), "code": ("200",)},
            2,
        ),
        _m(
            "redis_commands_processed_total",
            "counter",
            "commands_processed_total metric",
            REDIS,
        ),
        _m(
            "redis_commands_rejected_calls_total",
            "counter",
            "Total number of errors within command processing",
            {**REDIS, "cmd": ("get", "set", "incrby", "hset")},
            4,
        ),
        _m("redis_connected_clients", "gauge", "connected_clients metric", REDIS),
        _m("redis_net_input_bytes_total", "counter", "net_input_bytes_total metric", REDIS),
        _m(
            "node_scrape_collector_duration_seconds",
            "gauge",
            "node_exporter: Duration of a collector scrape.",
            COLLECTORS,
            5,
            "seconds",
        ),
        _m(
            "pg_stat_database_blk_read_time",
            "counter",
            "Time spent reading data file blocks by backends in this database, in milliseconds",
            PG_DB,
            3,
        ),
        _m(
            "pg_stat_database_blk_write_time",
            "counter",
            "Time spent writing data file blocks by backends in this database, in milliseconds",
            PG_DB,
            3,
        ),
        _m(
            "pg_stat_database_idle_in_transaction_time",
            "unknown",
            "Unknown metric from pg_stat_database",
            PG_DB,
            3,
        ),
        _m(
            "go_gc_duration_seconds_sum",
            "summary",
            "A summary of the pause duration of garbage collection cycles.",
            PROM,
            unit="seconds",
            family="go_gc_duration_seconds",
        ),
        _m("node_load5", "gauge", "5m load average.", NODE),
        _m("node_load15", "gauge", "15m load average.", NODE),
        _m(
            "prometheus_tsdb_head_min_time_seconds",
            "gauge",
            "Minimum time bound of the head block.",
            PROM,
            unit="seconds",
        ),
        _m(
            "prometheus_tsdb_head_max_time_seconds",
            "gauge",
            "Maximum timestamp of the head block.",
            PROM,
            unit="seconds",
        ),
        _m(
            "prometheus_target_interval_length_seconds_sum",
            "summary",
            "Actual intervals between scrapes.",
            {**PROM, "interval": ("15s",)},
            unit="seconds",
            family="prometheus_target_interval_length_seconds",
        ),
        _m(
            "prometheus_target_interval_length_seconds_count",
            "summary",
            "Actual intervals between scrapes.",
            {**PROM, "interval": ("15s",)},
            unit="seconds",
            family="prometheus_target_interval_length_seconds",
        ),
    ]


@pytest.fixture(scope="module")
def grounding() -> list[MetricInfo]:
    return metrics()


# --- parse: what is asked


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        ("which database spends the most time executing queries", "spends"),
        ("what fraction of each second does prometheus spend in garbage collection", "collection"),
    ],
)
def test_glossary_words_are_no_misspellings(vocab: Vocabulary, question: str, kept: str) -> None:
    intent = parse_intent(question, vocab, ["sends", "connection", "spent"])
    assert kept in intent.text
    assert not intent.corrections


def test_a_kind_of_the_things_among_all_of_them(vocab: Vocabulary) -> None:
    intent = parse_intent("What fraction of the page faults on the host are major faults?", vocab)
    assert intent.ratio_of is not None
    part, whole = intent.ratio_of
    assert intent.text[part[0] : part[1]] == "major faults"
    assert intent.text[whole[0] : whole[1]].startswith("page faults")
    # A state of the things is no kind of them: a share of things in it, as before.
    assert parse_intent("what fraction of the keys are expiring", vocab).ratio_of is None


@pytest.mark.parametrize(
    "question",
    [
        "How many autovacuum workers can postgres run at the same time?",
        "how many clients can redis accept",
    ],
)
def test_how_many_can_asks_a_limit(vocab: Vocabulary, question: str) -> None:
    assert "limit" in parse_intent(question, vocab).qualifiers


@pytest.mark.parametrize(
    ("question", "changes"),
    [
        ("How many times has each probe flipped between success and failure?", True),
        ("is the redis target flapping", True),
        ("how many times has each probe failed", False),
    ],
)
def test_a_state_that_flipped(vocab: Vocabulary, question: str, changes: bool) -> None:
    assert parse_intent(question, vocab).changes is changes


def test_a_superlative_of_nothing_ranked_over_a_window(vocab: Vocabulary) -> None:
    intent = parse_intent("worst connect time of the http probes over the past 10 min", vocab)
    assert intent.top is None
    assert intent.peak == "max"
    # Things ranked ("which"), or a number of them, still rank.
    assert parse_intent("which probe was the slowest over the past 10 min", vocab).top
    assert parse_intent("the 3 slowest probes over the past 10 min", vocab).top


def test_things_where_nothing_happened(vocab: Vocabulary) -> None:
    intent = parse_intent("any redis commands that haven't been called in the last 5 min?", vocab)
    assert intent.had_none
    assert not parse_intent("which redis commands were called in the last 5 min", vocab).had_none


def test_the_one_doing_it_is_not_a_filter(vocab: Vocabulary, grounding: list[MetricInfo]) -> None:
    question = "How long does Prometheus take to scrape each tcp probe, in ms?"
    intent = parse_intent(question, vocab)
    mentions = find_mentions(intent, grounding, vocab, question)
    doer = next(m for m in mentions if m.text == "prometheus")
    assert ("job", "prometheus") not in doer.options
    # Named alone, it is the thing measured, filtered on.
    alone = "How long does Prometheus take to scrape, in ms?"
    mentions = find_mentions(parse_intent(alone, vocab), grounding, vocab, alone)
    assert ("job", "prometheus") in next(m for m in mentions if m.text == "prometheus").options


# --- choose: which metric


def test_work_stalled_for_want_of_a_resource(grounding: list[MetricInfo]) -> None:
    # Not a metric whose name merely has "io" and "processed" in it.
    assert answer(
        "For how many seconds over the last 10 minutes was I/O so congested that no process"
        " could make progress?",
        grounding,
    ) == ("increase(node_pressure_io_stalled_seconds_total[10m])")


def test_a_short_form_that_says_which_memory(grounding: list[MetricInfo]) -> None:
    assert answer("Prometheus RSS now vs a minute ago, in MB", grounding) == (
        '((process_resident_memory_bytes{job="prometheus"})'
        ' - (process_resident_memory_bytes{job="prometheus"} offset 1m)) / 1048576'
    )


def test_the_agent_of_an_ing_word(grounding: list[MetricInfo]) -> None:
    # "archiving" is what an archiver does; "how many times" with no window: all so far.
    assert answer("has WAL archiving failed at all? how many times", grounding) == (
        "pg_stat_archiver_failed_count"
    )


def test_which_of_the_things_something_has(grounding: list[MetricInfo]) -> None:
    # "probe target": targets of the probes, one each; the probes are what is measured.
    assert (
        answer(
            "Which probe target has been the slowest on average over the last 10 minutes?",
            grounding,
        )
        == "topk(1, avg_over_time(probe_duration_seconds[10m]))"
    )


def test_a_limit_asked_as_how_many_can(grounding: list[MetricInfo]) -> None:
    assert answer("How many autovacuum workers can postgres run at the same time?", grounding) == (
        'pg_settings_autovacuum_max_workers{job="postgres"}'
    )


def test_an_endpoint_hit(grounding: list[MetricInfo]) -> None:
    assert (
        answer(
            "how many times was prometheus's own /metrics endpoint hit in the last 5 min", grounding
        )
        == 'increase(prometheus_http_requests_total{handler="/metrics", job="prometheus"}[5m])'
    )


def test_the_time_between_events_is_their_interval(grounding: list[MetricInfo]) -> None:
    assert answer("What's the actual average time between scrapes, in seconds?", grounding) == (
        "rate(prometheus_target_interval_length_seconds_sum[5m])"
        " / rate(prometheus_target_interval_length_seconds_count[5m])"
    )


# --- compose: the query


def test_a_kind_of_events_among_all_of_them_counted(grounding: list[MetricInfo]) -> None:
    # Untyped counts of events, in a share of events: per second, both.
    assert answer("What fraction of the page faults on the host are major faults?", grounding) == (
        "rate(node_vmstat_pgmajfault[5m]) / rate(node_vmstat_pgfault[5m])"
    )


def test_how_many_times_a_state_flipped(grounding: list[MetricInfo]) -> None:
    assert answer(
        "How many times has each probe flipped between success and failure in the last 15 minutes?",
        grounding,
    ) == ("changes(probe_success[15m])")


def test_runs_of_a_probe_are_its_samples(grounding: list[MetricInfo]) -> None:
    # Each run writes one sample of each of its series (here the one of both jobs).
    assert answer(
        "how many probe runs did each probe job do in the last 10 minutes", grounding
    ) == ("sum by (job) (count_over_time(probe_duration_seconds[10m]))")


def test_the_worst_over_a_window_of_each_series(grounding: list[MetricInfo]) -> None:
    assert answer("worst connect time of the http probes over the past 10 min", grounding) == (
        'max_over_time(probe_http_duration_seconds{job="http-probe", phase="connect"}[10m])'
    )


def test_the_doer_named_and_the_things_it_works_on(grounding: list[MetricInfo]) -> None:
    assert answer("How long does Prometheus take to scrape each tcp probe, in ms?", grounding) == (
        '(scrape_duration_seconds{job="tcp-probe"}) / 0.001'
    )


def test_things_where_nothing_happened_in_the_window(grounding: list[MetricInfo]) -> None:
    # "called" only says the commands happened: not the metric of rejected calls.
    assert answer(
        "any redis commands that havent been called at all in the last 5 min?", grounding
    ) == ('sum by (cmd, job) (increase(redis_commands_total{job="redis"}[5m])) == 0')


def test_a_rate_per_thing_there_is_now(grounding: list[MetricInfo]) -> None:
    assert answer("redis commands/sec per connected client", grounding) == (
        'sum by (job) (rate(redis_commands_total{job="redis"}[5m]))'
        ' / sum by (job) (redis_connected_clients{job="redis"})'
    )


def test_the_average_of_one_event(grounding: list[MetricInfo]) -> None:
    assert answer("Average size of a command coming into redis, in bytes?", grounding) == (
        'sum by (job) (rate(redis_net_input_bytes_total{job="redis"}[5m]))'
        ' / sum by (job) (rate(redis_commands_total{job="redis"}[5m]))'
    )


def test_one_series_each_is_ranked_as_it_is(grounding: list[MetricInfo]) -> None:
    assert answer("which 3 collectors are the slowest?", grounding) == (
        "topk(3, node_scrape_collector_duration_seconds)"
    )


def test_the_span_of_a_range_is_its_high_end_less_its_low(grounding: list[MetricInfo]) -> None:
    assert answer("how many minutes of data does the prometheus head block span", grounding) == (
        '(prometheus_tsdb_head_max_time_seconds{job="prometheus"}'
        ' - prometheus_tsdb_head_min_time_seconds{job="prometheus"}) / 60'
    )


def test_one_amount_minus_another(vocab: Vocabulary, grounding: list[MetricInfo]) -> None:
    question = "Is the load going up or down? 1m load minus 15m load"
    intent = parse_intent(question, vocab)
    assert intent.difference_of is not None
    assert [intent.text[a:b] for a, b in intent.difference_of] == ["1m load", "15m load"]
    assert answer(question, grounding) == "node_load1 - node_load15"


def test_an_untyped_metric_read_as_its_namesakes(grounding: list[MetricInfo]) -> None:
    # Its typed namesakes (pg_stat_*_time) are counters in milliseconds ("…, in milliseconds").
    assert answer(
        "How many seconds did sessions sit idle inside an open transaction over the last 15"
        " minutes, per database?",
        grounding,
    ) == ("sum by (datname) (increase(pg_stat_database_idle_in_transaction_time[15m])) * 0.001")
