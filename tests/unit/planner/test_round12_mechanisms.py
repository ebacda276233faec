"""Mechanisms behind blind round 11's misses, stage by stage: a phrasal verb's "up" that is
no state ("set up", "add up"), a machine called a "box", a value left out by a bare "not"
("(not idle)"), a superlative of one series over a window when a number of a time follows
"the" ("the highest the 1 min load has been"), the extreme of each series taken before the
extreme of all ("worst … of any probe over the last 10 minutes"), a span in Prometheus'
notation ("over 10m") that is a window, not a threshold, the standard deviation of samples
("std dev", "jittery"), each thing against the average of all ("slower than the average
probe"), how often a state flipped ("up/down changes", "gone down or come back up") without
a slashed pair read as a word of its own, the kind of thing asked a word or two after
"which" ("which prometheus http handler"), a rate per thing said as "does each … send", a
part of a whole as a share of the parts ("… in the kernel (sys) rather than in user space"),
an aside in brackets that only explains ("(process heaps and stacks)"), the whole of a part
("% of the RAM"), the action timed ("take to replay"), and what a yes-or-no question asks is
going on ("is redis still loading").

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from obsai_query.time_range import window_from_question
from tests.unit.planner.conftest import NODE, PROM, REDIS, _m, answer, exporter_metrics

ETH = {**NODE, "device": ("eth0", "lo")}
PG = {"instance": ("127.0.0.1:9187",), "job": ("postgres",)}
PG_STATES = {**PG, "datname": ("shop",), "state": ("active", "idle", "idle in transaction")}
HANDLERS = {**PROM, "handler": ("/metrics", "/api/v1/query")}
PROBES = {
    "instance": ("127.0.0.1:1", "127.0.0.1:2", "http://a/metrics"),
    "job": ("tcp-probe", "tcp-probe", "http-probe"),
}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m(
            "node_memory_HugePages_Total",
            "gauge",
            "Memory information field HugePages_Total.",
            NODE,
        ),
        _m("node_memory_HugePages_Free", "gauge", "Memory information field HugePages_Free.", NODE),
        _m(
            "pg_settings_huge_page_size_bytes",
            "gauge",
            "Server Parameter: huge_page_size [Units converted to bytes].",
            PG,
            unit="bytes",
        ),
        _m("node_load5", "gauge", "5m load average.", NODE),
        _m("node_load15", "gauge", "15m load average.", NODE),
        _m(
            "pg_stat_activity_count",
            "gauge",
            "number of connections in this state",
            PG_STATES,
            3,
        ),
        _m(
            "probe_duration_seconds",
            "gauge",
            "Returns how long the probe took to complete in seconds",
            PROBES,
            3,
            "seconds",
        ),
        _m(
            "probe_dns_lookup_time_seconds",
            "gauge",
            "Returns the time taken for probe dns lookup in seconds",
            PROBES,
            3,
            "seconds",
        ),
        _m(
            "node_network_carrier_up_changes_total",
            "counter",
            "Network device property: carrier_up_changes_total",
            ETH,
            2,
        ),
        _m(
            "node_network_carrier_down_changes_total",
            "counter",
            "Network device property: carrier_down_changes_total",
            ETH,
            2,
        ),
        _m(
            "prometheus_http_request_duration_seconds",
            "histogram",
            "Histogram of latencies for HTTP requests.",
            HANDLERS,
            2,
            "seconds",
        ),
        _m("redis_connected_clients", "gauge", "connected_clients metric", REDIS),
        _m(
            "redis_cpu_sys_seconds_total",
            "counter",
            "cpu_sys_seconds_total metric",
            REDIS,
            unit="seconds",
        ),
        _m(
            "redis_cpu_user_seconds_total",
            "counter",
            "cpu_user_seconds_total metric",
            REDIS,
            unit="seconds",
        ),
        _m(
            "node_memory_AnonPages_bytes",
            "gauge",
            "Memory information field AnonPages_bytes.",
            NODE,
            unit="bytes",
        ),
        _m(
            "node_memory_AnonHugePages_bytes",
            "gauge",
            "Memory information field AnonHugePages_bytes.",
            NODE,
            unit="bytes",
        ),
        _m(
            "process_virtual_memory_max_bytes",
            "gauge",
            "Maximum amount of virtual memory available in bytes.",
            PROM,
            unit="bytes",
        ),
        _m(
            "prometheus_tsdb_wal_truncate_duration_seconds",
            "summary",
            "Duration of WAL truncation.",
            PROM,
            unit="seconds",
        ),
        _m(
            "prometheus_tsdb_data_replay_duration_seconds",
            "gauge",
            "Time taken to replay the data on disk.",
            PROM,
            unit="seconds",
        ),
        _m("redis_loading_dump_file", "gauge", "loading_dump_file metric", REDIS),
        _m(
            "redis_memory_used_dataset_bytes",
            "gauge",
            "memory_used_dataset_bytes metric",
            REDIS,
            unit="bytes",
        ),
    ]


# --- words: a particle is no state, a box is a machine


def test_a_phrasal_verbs_up_is_no_state_of_health(vocab: Vocabulary) -> None:
    # "set up" is configured, "add up" is a sum: neither asks whether anything is up.
    assert answer("do we have any huge pages set up on this box?", metrics()) == (
        "node_memory_HugePages_Total"
    )
    for question in ("add up the durations of the tcp probes", "is swap set up on the host"):
        assert "availability" not in parse_intent(question, vocab).measures


def test_the_sum_said_as_add_up_is_one_number_in_the_unit_asked() -> None:
    promql = answer(
        "If you add up the durations of every probe, how many milliseconds is that?", metrics()
    )
    assert promql == "(sum(probe_duration_seconds)) / 0.001"


# --- filters


def test_a_bare_not_before_a_value_leaves_it_out() -> None:
    promql = answer(
        "how many postgres connections are actually doing something (not idle)?", metrics()
    )
    assert 'state!="idle"' in promql
    assert 'state="idle"' not in promql


# --- the window, and what is done over it


def test_a_number_of_a_time_after_the_is_no_count_of_things_ranked() -> None:
    # "the highest the 1 min load has been in the last hour": its peak, not a top 1.
    assert answer("whats the highest the 1 min load has been in the last hour", metrics()) == (
        "max_over_time(node_load1[1h])"
    )


def test_the_worst_of_any_series_over_a_window_is_the_max_of_their_maxima() -> None:
    promql = answer("worst DNS lookup time of any probe over the last 10 minutes", metrics())
    assert promql == "max(max_over_time(probe_dns_lookup_time_seconds[10m]))"


def test_a_span_in_prometheus_notation_is_a_window_not_a_threshold() -> None:
    found = window_from_question("std dev of their duration over 10m")
    assert found is not None
    assert found[0] == 600.0
    # A time in seconds after "over" stays a threshold of a latency.
    assert window_from_question("probes with a duration over 2s") is None


def test_the_standard_deviation_of_samples_over_the_window(vocab: Vocabulary) -> None:
    intent = parse_intent(
        "how jittery are the tcp probes? std dev of their duration over 10m", vocab
    )
    assert intent.deviation
    assert intent.threshold is None
    assert answer(
        "how jittery are the tcp probes? std dev of their duration over 10m", metrics()
    ) == ('stddev_over_time(probe_duration_seconds{job="tcp-probe"}[10m])')
    assert answer("standard deviation of the 1m load over 1h", metrics()) == (
        "stddev_over_time(node_load1[1h])"
    )


# --- comparisons


def test_each_thing_against_the_average_of_all() -> None:
    ms = metrics()
    assert answer("Which probes are slower than the average probe?", ms) == (
        "probe_duration_seconds > scalar(avg(probe_duration_seconds))"
    )
    assert answer("which probes are faster than average?", ms) == (
        "probe_duration_seconds < scalar(avg(probe_duration_seconds))"
    )


# --- state changes


def test_up_down_changes_of_probes_are_their_changes_not_those_down() -> None:
    promql = answer(
        "have any of the probes been flapping? up/down changes per target in the last 15 min",
        metrics(),
    )
    assert promql.startswith("changes(probe_success[15m])")
    assert "== 0" not in promql


def test_a_link_gone_down_or_back_up_is_both_counters_of_its_changes() -> None:
    promql = answer(
        "How many times has the eth0 link gone down or come back up since boot?", metrics()
    )
    assert "node_network_carrier_down_changes_total" in promql
    assert "node_network_carrier_up_changes_total" in promql
    assert 'device="eth0"' in promql


# --- grouping, and rates per thing


def test_the_thing_asked_by_which_is_a_word_or_two_on() -> None:
    promql = answer("which prometheus http handler has the highest average latency?", metrics())
    assert promql.startswith("topk(1, sum by (handler")


def test_what_each_thing_does_is_per_thing() -> None:
    promql = answer(
        "on average how many commands/sec does each connected redis client send", metrics()
    )
    assert "rate(redis_commands_total" in promql
    assert "/ sum by (job) (redis_connected_clients" in promql


# --- shares


def test_a_part_rather_than_another_is_a_share_of_all_the_parts() -> None:
    promql = answer(
        "What fraction of Redis's CPU time is spent in the kernel (sys) rather than in user space?",
        metrics(),
    )
    assert promql.startswith('rate(redis_cpu_sys_seconds_total{job="redis"}[5m]) / (')
    assert "redis_cpu_user_seconds_total" in promql.split(" / ", 1)[1]


def test_a_part_named_alone_is_a_share_of_all_the_parts() -> None:
    promql = answer("what share of redis cpu time is user", metrics())
    assert promql.startswith('rate(redis_cpu_user_seconds_total{job="redis"}[5m]) / (')


def test_an_aside_in_brackets_names_nothing_more_and_the_whole_is_no_other_part() -> None:
    promql = answer("what % of the RAM is anonymous memory (process heaps and stacks)?", metrics())
    assert promql == "100 * (node_memory_AnonPages_bytes / node_memory_MemTotal_bytes)"


# --- the action asked about


def test_the_verb_after_take_to_is_what_is_timed() -> None:
    promql = answer(
        "How long did Prometheus take to replay its WAL on startup, in seconds?", metrics()
    )
    assert promql.startswith("prometheus_tsdb_data_replay_duration_seconds")


def test_a_yes_or_no_question_asks_what_is_going_on() -> None:
    assert answer("is redis stil loading its dataset from disk?", metrics()) == (
        'redis_loading_dump_file{job="redis"}'
    )


def test_a_part_compared_with_an_earlier_time_is_no_share_of_the_parts(
    demo: list[MetricInfo],
) -> None:
    # "compared to yesterday" is a ratio of the part now to the part then, not of the
    # part to its whole (receive + transmit).
    promql = answer("network receive rate of api-gateway compared to yesterday at this time", demo)
    assert "transmit" not in promql
    assert "container_network_receive_bytes_total" in promql
    assert "offset 1d" in promql
