"""Mechanisms behind blind round 6's misses, stage by stage: a bound is no ranking ("at
least one"), minutes are no minimum ("15 min"), short forms said for a measure ("conns"), an
extreme of each thing grouped ("longest GC pause per job"), versions from info metrics, a
level compared with minutes ago as a difference, the room left under a limit, the rest of
a whole ("keys that don't have a TTL"), a histogram's or summary's events and amount
(_count, _sum), its maximum (quantile 1), "per job" without the targets in it, "each probe
job", things named by what is done to them ("the probed endpoints"), rates in bits ("Mbit/s"),
a status code said ("not returning a 200"), the things a label tells apart ("over all network
interfaces"), a value's share of all ("GETs as a % of all commands") and parts listed to be
added ("inserts + updates + deletes").

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import NODE, REDIS, _m, answer, exporter_metrics

PG_DB = {"instance": ("127.0.0.1:9187",), "job": ("postgres",), "datname": ("shop", "app")}
PROBES = {"instance": ("http://a/metrics", "http://b/health"), "job": ("http-probe",)}
TCP = {"instance": ("127.0.0.1:22", "127.0.0.1:5432"), "job": ("tcp-probe",)}
JOBS = {"instance": ("a", "b", "c"), "job": ("node", "redis", "prometheus")}
GC = {**JOBS, "quantile": ("0", "0.25", "0.5", "0.75", "1")}
HTTP = {"instance": ("127.0.0.1:9090",), "job": ("prometheus",), "handler": ("/metrics", "/")}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m(
            "node_nf_conntrack_entries",
            "gauge",
            "Number of currently allocated flow entries.",
            NODE,
        ),
        _m(
            "node_nf_conntrack_entries_limit",
            "gauge",
            "Maximum size of connection tracking table.",
            NODE,
        ),
        _m("node_uname_info", "gauge", "Labeled system information as provided by uname.", NODE),
        _m(
            "node_memory_KernelStack_bytes",
            "gauge",
            "Memory information field KernelStack_bytes.",
            NODE,
            unit="bytes",
        ),
        _m("redis_instance_info", "gauge", "Information about the Redis instance", REDIS),
        _m(
            "redis_db_keys_expiring",
            "gauge",
            "Total number of expiring keys by DB",
            {**REDIS, "db": ("db0",)},
        ),
        _m(
            "pg_stat_database_numbackends",
            "gauge",
            "Number of backends currently connected to this database.",
            PG_DB,
            2,
        ),
        _m(
            "go_gc_duration_seconds",
            "summary",
            "A summary of the wall-time pause (stop-the-world) duration in garbage collection.",
            GC,
            15,
            "seconds",
        ),
        _m(
            "go_gc_duration_seconds_count",
            "summary",
            "A summary of the wall-time pause (stop-the-world) duration in garbage collection.",
            JOBS,
            3,
            "seconds",
            family="go_gc_duration_seconds",
        ),
        _m(
            "go_gc_duration_seconds_sum",
            "summary",
            "A summary of the wall-time pause (stop-the-world) duration in garbage collection.",
            JOBS,
            3,
            "seconds",
            family="go_gc_duration_seconds",
        ),
        _m(
            "prometheus_http_response_size_bytes_bucket",
            "histogram",
            "Histogram of response size for HTTP requests.",
            {**HTTP, "le": ("100", "1000", "+Inf")},
            6,
            "bytes",
            family="prometheus_http_response_size_bytes",
        ),
        _m(
            "prometheus_http_response_size_bytes_sum",
            "histogram",
            "Histogram of response size for HTTP requests.",
            HTTP,
            2,
            "bytes",
            family="prometheus_http_response_size_bytes",
        ),
        _m(
            "prometheus_http_response_size_bytes_count",
            "histogram",
            "Histogram of response size for HTTP requests.",
            HTTP,
            2,
            "bytes",
            family="prometheus_http_response_size_bytes",
        ),
        _m(
            "scrape_series_added",
            "gauge",
            "The approximate number of new series in this scrape.",
            JOBS,
            3,
            services=("node", "redis", "prometheus"),
        ),
        _m(
            "probe_duration_seconds",
            "gauge",
            "Returns how long the probe took to complete in seconds",
            {"instance": PROBES["instance"] + TCP["instance"], "job": ("http-probe", "tcp-probe")},
            4,
            "seconds",
        ),
        _m(
            "probe_http_version",
            "gauge",
            "Returns the version of HTTP of the probe response",
            PROBES,
            2,
        ),
        _m("probe_http_status_code", "gauge", "Response HTTP status code", PROBES, 2),
        _m(
            "node_network_transmit_bytes_total",
            "counter",
            "Network device statistic transmit_bytes.",
            {**NODE, "device": ("eth0", "lo")},
            2,
            "bytes",
        ),
        _m("redis_net_input_bytes_total", "counter", "Total input bytes", REDIS, unit="bytes"),
        *(
            _m(
                f"pg_stat_database_tup_{kind}",
                "counter",
                f"Number of rows {kind} by queries in this database",
                PG_DB,
                2,
            )
            for kind in ("inserted", "updated", "deleted", "fetched")
        ),
    ]


@pytest.fixture(scope="module")
def grounding() -> list[MetricInfo]:
    return metrics()


# --- parse: what is asked


@pytest.mark.parametrize(
    "question",
    [
        "what fraction of the time is at least one process waiting on IO",
        "disks with at most 3 errors",
    ],
)
def test_a_bound_on_a_number_is_no_ranking(vocab: Vocabulary, question: str) -> None:
    assert parse_intent(question, vocab).top is None


def test_minutes_written_min_are_no_minimum(vocab: Vocabulary) -> None:
    assert parse_intent("how many commands did redis run in the last 15 min", vocab).peak == ""
    assert parse_intent("min free memory over the last hour", vocab).peak == "min"


def test_happened_at_least_once_in_a_window_is_its_extreme(vocab: Vocabulary) -> None:
    intent = parse_intent("which targets failed at least once in the last 5 min?", vocab)
    assert (intent.peak, intent.top) == ("min", None)


def test_a_short_form_said_for_a_measure_is_spelt_out(vocab: Vocabulary) -> None:
    intent = parse_intent("Which database has the most conns?", vocab)
    assert "connections" in intent.measures
    assert intent.top == ("topk", 1) or intent.singular_subject


@pytest.mark.parametrize(
    ("question", "top", "peak"),
    [
        # A superlative of each thing grouped: the extreme of each, over the window if said.
        ("longest GC pause per job", None, ""),
        ("slowest tcp probe duration per target in the last 5m", None, "max"),
        # Which one, or a ranking said outright: still a ranking.
        ("which redis command takes the longest on average?", ("topk", 5), ""),
        ("top 3 slowest jobs per scrape", ("topk", 3), ""),
    ],
)
def test_an_extreme_of_each_thing_grouped_is_no_ranking(
    vocab: Vocabulary, question: str, top: tuple[str, int] | None, peak: str
) -> None:
    intent = parse_intent(question, vocab)
    assert (intent.top, intent.peak) == (top, peak)


def test_room_left_and_things_lacking_are_read(vocab: Vocabulary) -> None:
    headroom = parse_intent("how many more conntrack entries fit before the table is full", vocab)
    assert headroom.headroom
    assert headroom.count_of == ""
    lacking = parse_intent("How many keys in Redis don't have a TTL?", vocab)
    assert lacking.lacking
    assert not parse_intent("How many keys in Redis have a TTL?", vocab).lacking


# --- choose and compose


def test_which_x_takes_the_longest_is_the_top_one(grounding: list[MetricInfo]) -> None:
    promql = answer("Which Redis command takes the longest on average?", grounding)
    assert promql.startswith("topk(1, ")
    assert "by (cmd" in promql


def test_which_x_has_the_most_of_a_short_form(grounding: list[MetricInfo]) -> None:
    assert answer("Which database has the most conns?", grounding) == (
        "topk(1, sum by (datname) (pg_stat_database_numbackends))"
    )


@pytest.mark.parametrize(
    ("question", "promql"),
    [
        ("which kernel version is the node running?", 'node_uname_info{job="node"}'),
        ("what redis version are we on?", 'redis_instance_info{job="redis"}'),
    ],
)
def test_a_version_is_an_info_metric_with_its_labels(
    grounding: list[MetricInfo], question: str, promql: str
) -> None:
    # Never summed: the version is in the labels.
    assert answer(question, grounding) == promql


@pytest.mark.parametrize(
    ("question", "promql"),
    [
        (
            "How much has the 1 min load average changed compared to a minute ago?",
            "(node_load1) - (node_load1 offset 1m)",
        ),
        (
            "redis used mem now vs 1 minute ago",
            '(redis_memory_used_bytes{job="redis"}) - '
            '(redis_memory_used_bytes{job="redis"} offset 1m)',
        ),
        (
            "size of the shop db compared to a minute ago, in KB",
            '((pg_database_size_bytes{datname="shop"}) - '
            '(pg_database_size_bytes{datname="shop"} offset 1m)) / 1024',
        ),
        # A ratio asked, or a day ago: now relative to then.
        (
            "ratio of redis used memory now vs 1 minute ago",
            '(redis_memory_used_bytes{job="redis"}) / '
            '(redis_memory_used_bytes{job="redis"} offset 1m)',
        ),
        (
            "redis used memory compared to yesterday",
            '(redis_memory_used_bytes{job="redis"}) / '
            '(redis_memory_used_bytes{job="redis"} offset 1d)',
        ),
    ],
)
def test_a_level_compared_with_minutes_ago_is_a_difference(
    grounding: list[MetricInfo], question: str, promql: str
) -> None:
    assert answer(question, grounding) == promql


def test_room_left_is_the_limit_minus_what_is_used(grounding: list[MetricInfo]) -> None:
    assert answer("how many more conntrack entries fit before the table is full", grounding) == (
        "node_nf_conntrack_entries_limit - node_nf_conntrack_entries"
    )


def test_things_lacking_what_a_part_has_are_the_rest_of_the_whole(
    grounding: list[MetricInfo],
) -> None:
    assert answer("How many keys in Redis don't have a TTL?", grounding) == (
        'sum by (job) (redis_db_keys{job="redis"})'
        ' - sum by (job) (redis_db_keys_expiring{job="redis"})'
    )


def test_a_summarys_events_per_second_are_its_count(grounding: list[MetricInfo]) -> None:
    assert answer("GC cycles per second for each job", grounding) == (
        "sum by (job) (rate(go_gc_duration_seconds_count[5m]))"
    )


def test_a_histograms_amount_per_second_is_its_sum(grounding: list[MetricInfo]) -> None:
    promql = answer("bytes/sec prometheus sends back in HTTP responses", grounding)
    assert 'rate(prometheus_http_response_size_bytes_sum{job="prometheus"}[5m])' in promql
    assert "_bucket" not in promql


def test_the_longest_of_a_summary_is_its_quantile_1(grounding: list[MetricInfo]) -> None:
    assert answer("longest GC pause per job", grounding) == (
        'max by (job) (go_gc_duration_seconds{quantile="1"})'
    )


def test_per_job_keeps_no_target_label(grounding: list[MetricInfo]) -> None:
    assert answer("new series added per job in the last scrape", grounding) == (
        "sum by (job) (scrape_series_added)"
    )


def test_each_probe_job_groups_by_job(grounding: list[MetricInfo]) -> None:
    assert answer("success ratio of each probe job over the last 15 minutes", grounding) == (
        "avg by (job) (avg_over_time(probe_success[15m]))"
    )


def test_the_slowest_of_each_target_over_a_window_is_its_peak(
    grounding: list[MetricInfo],
) -> None:
    assert answer("slowest tcp probe duration per target in the last 5m", grounding) == (
        'max_over_time(probe_duration_seconds{job="tcp-probe"}[5m])'
    )


def test_the_probed_endpoints_are_one_series_each(grounding: list[MetricInfo]) -> None:
    assert answer("What HTTP version do the probed endpoints answer with?", grounding) == (
        "probe_http_version"
    )


# --- units, status codes, things named, shares of a value, parts listed


@pytest.mark.parametrize(
    ("question", "factor"),
    [("bandwidth in Mbit/s", 125000.0), ("eth0 traffic in Mbps", 125000.0), ("in Gbit/s", 1.25e8)],
)
def test_bits_are_eight_to_a_byte_in_decimal_units(
    vocab: Vocabulary, question: str, factor: float
) -> None:
    unit = parse_intent(question, vocab).unit
    assert unit is not None
    assert unit[:2] == ("bytes", factor)


def test_a_rate_in_bits(grounding: list[MetricInfo]) -> None:
    assert answer("eth0 receive rate in Mbit/s", grounding).endswith(" / 125000")


def test_a_status_code_said_is_compared_with(
    vocab: Vocabulary, grounding: list[MetricInfo]
) -> None:
    intent = parse_intent("Which HTTP probe targets are not returning a 200?", vocab)
    assert intent.code_said is not None
    assert intent.code_said[:2] == ("!=", 200)
    assert parse_intent("probes returning 200", vocab).code_said is not None
    # 4xx and 5xx name errors; a number after "over" is a threshold.
    assert parse_intent("probes returning 503s", vocab).code_said is None
    # One series per target ("which … probe targets": the targets, as they are).
    assert answer("Which HTTP probe targets are not returning a 200?", grounding) == (
        'probe_http_status_code{job="http-probe"} != 200'
    )


def test_things_a_label_tells_apart_prefer_the_metric_with_it(
    grounding: list[MetricInfo],
) -> None:
    promql = answer(
        "How many MB were received over all network interfaces in the past 15 minutes?", grounding
    )
    assert "node_network_receive_bytes_total" in promql


def test_a_value_as_a_share_of_all_of_its_metric(grounding: list[MetricInfo]) -> None:
    assert answer("GETs as a % of all redis commands", grounding) == (
        '100 * (sum by (job) (rate(redis_commands_total{cmd="get", job="redis"}[5m]))'
        ' / sum by (job) (rate(redis_commands_total{job="redis"}[5m])))'
    )


def test_parts_listed_are_added_up(vocab: Vocabulary, grounding: list[MetricInfo]) -> None:
    intent = parse_intent("rows written per second in shop (inserts + updates + deletes)", vocab)
    assert [intent.text[a:b] for a, b in intent.listed_parts] == ["inserts", "updates", "deletes"]
    # Short or common words are no parts ("in plus out" is the whole's parts already).
    assert parse_intent("bandwidth in plus out", vocab).listed_parts == []
    promql = answer("rows written per second in shop (inserts + updates + deletes)", grounding)
    for kind in ("inserted", "updated", "deleted"):
        assert f'pg_stat_database_tup_{kind}{{datname="shop"}}' in promql
    assert "fetched" not in promql


def test_how_fast_a_level_is_changing_is_its_slope(grounding: list[MetricInfo]) -> None:
    # Misspelt, per minute, in MB: the slope over the growth window, scaled.
    assert answer("how fast is avaialble memory changing, in MB per minute", grounding) == (
        "(deriv(node_memory_MemAvailable_bytes[10m]) * 60) / 1048576"
    )
