"""How SREs word questions about exporters, stage by stage: units said without "in", the
one thing asked ("which process", "the largest postgres database"), shares of events
("segments retransmitted"), a whole that is another thing's ("the host's RAM"), the size of
one event, growth in a unit of time, ages, kinds of a measure ("dirty memory") and what a
"to be …" clause says of it.

Each test is one mechanism on a small, fixed grounding shaped like node, Redis,
PostgreSQL, blackbox and Prometheus metrics; no names in the planner's code.
"""

from __future__ import annotations

import pytest

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.choose import (
    concepts_of,
    event_count_partner,
    find_mentions,
    imply_qualifier,
)
from obsai_query.planner.engine import _known_words
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import NODE, PROM, REDIS, _m, exporter_metrics, plan

VDA = {**NODE, "device": ("vda",)}
PROBES = {"instance": ("http://a/metrics", "http://b/health"), "job": ("http-probe",)}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m("node_memory_Dirty_bytes", "gauge", "Memory information field.", NODE, unit="bytes"),
        _m("node_memory_Writeback_bytes", "gauge", "Memory information field.", NODE, unit="bytes"),
        _m("node_netstat_Tcp_OutSegs", "unknown", "Statistic TcpOutSegs.", NODE),
        _m("node_netstat_Tcp_RetransSegs", "unknown", "Statistic TcpRetransSegs.", NODE),
        _m("node_netstat_Tcp_OutRsts", "unknown", "Statistic TcpOutRsts.", NODE),
        _m(
            "node_disk_written_bytes_total",
            "counter",
            "The total number of bytes written successfully.",
            VDA,
            unit="bytes",
        ),
        _m(
            "node_disk_writes_completed_total",
            "counter",
            "The total number of writes completed successfully.",
            VDA,
        ),
        _m(
            "node_disk_reads_merged_total",
            "counter",
            "The total number of reads merged.",
            VDA,
        ),
        _m(
            "probe_http_uncompressed_body_length",
            "gauge",
            "Length of uncompressed response body",
            PROBES,
            2,
        ),
        _m(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            {"instance": ("a", "b", "c"), "job": ("node", "redis", "prometheus")},
            3,
            services=("node", "redis", "prometheus"),
        ),
        _m(
            "prometheus_tsdb_lowest_timestamp_seconds",
            "gauge",
            "Lowest timestamp value stored in the database.",
            PROM,
            unit="seconds",
        ),
        _m(
            "prometheus_tsdb_lowest_timestamp",
            "gauge",
            "Lowest timestamp value stored in the database. The unit is decided by the library.",
            PROM,
        ),
        _m("go_memstats_alloc_bytes", "gauge", "Bytes allocated and still in use.", PROM),
        _m("node_vmstat_pgfault", "unknown", "/proc/vmstat information field pgfault.", NODE),
        _m("node_vmstat_pgmajfault", "unknown", "/proc/vmstat information field pgmajfault.", NODE),
        _m("redis_rdb_changes_since_last_save", "gauge", "rdb_changes_since_last_save", REDIS),
        _m(
            "redis_rdb_last_save_timestamp_seconds",
            "gauge",
            "rdb_last_save_timestamp_seconds metric",
            REDIS,
            unit="seconds",
        ),
        _m("node_memory_MemTotal_bytes", "gauge", "Memory information field.", NODE, unit="bytes"),
        _m(
            "node_pressure_memory_waiting_seconds_total",
            "counter",
            "Total time in seconds that processes have waited for memory",
            NODE,
            unit="seconds",
        ),
    ]


@pytest.fixture(scope="module")
def grounding() -> list[MetricInfo]:
    return metrics()


# --- parse


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("redis memory MB", "mb"),
        ("how many GB of disk space is free", "gb"),
        ("probe body size (KB)", "kb"),
        ("p99 scrape duration ms", "ms"),
        ("how many hours since the last save", "hours"),
        ("minutes since the node booted", "minutes"),
    ],
)
def test_a_unit_said_without_in(vocab: Vocabulary, question: str, unit: str) -> None:
    intent = parse_intent(question, vocab)
    assert intent.unit is not None
    assert intent.unit[2] == unit


@pytest.mark.parametrize(
    "question", ["nodes with more than 2 GB free", "pods using over 500 MB of memory"]
)
def test_a_unit_after_a_number_is_a_threshold_not_the_answers_unit(
    vocab: Vocabulary, question: str
) -> None:
    intent = parse_intent(question, vocab)
    assert intent.threshold is not None
    assert intent.unit is None


@pytest.mark.parametrize(
    ("question", "groups", "singular"),
    [
        ("which process has the most open file descriptors", ["process"], True),
        ("which processes have the most open files", ["processes"], False),
        ("Which postgres database commits the most transactions?", ["database"], True),
        ("How big is the largest postgres database, in MB?", ["database"], True),
        ("which redis command is called the most", ["command"], True),
    ],
)
def test_the_thing_asked_about_is_the_head_of_its_phrase(
    vocab: Vocabulary, question: str, groups: list[str], singular: bool
) -> None:
    intent = parse_intent(question, vocab)
    assert intent.group_words == groups
    assert intent.singular_subject is singular


def test_ranked_by_a_number_of_things_is_no_grouping(vocab: Vocabulary) -> None:
    intent = parse_intent("top 2 redis databases by number of keys", vocab)
    assert intent.group_words == ["databases"]
    assert intent.top == ("topk", 2)


def test_uptime_as_a_share_is_availability(vocab: Vocabulary) -> None:
    intent = parse_intent("tcp probe uptime over the last 10 minutes, in percent", vocab)
    assert "availability" in intent.measures
    assert "uptime" not in intent.measures
    assert not intent.uptime
    assert parse_intent("redis uptime in hours", vocab).uptime


def test_how_long_ago_names_an_age_not_a_latency(vocab: Vocabulary) -> None:
    intent = parse_intent("how long ago was the last save", vocab)
    assert intent.since
    assert intent.uptime
    assert "latency" not in intent.measures


def test_a_share_of_events_that_end_one_way(vocab: Vocabulary) -> None:
    question = "What percentage of outgoing TCP segments are retransmitted?"
    intent = parse_intent(question, vocab)
    assert intent.share_of_events is not None
    some, all_of_them = intent.share_of_events
    assert intent.text[slice(*some)] == "segments are retransmitted"
    assert intent.text[slice(*all_of_them)] == "outgoing tcp segments"
    # A state now, not an event: the share of things in it (told apart by a label).
    assert parse_intent("what percentage of connections are idle", vocab).share_of_events is None


def test_a_share_of_a_whole_used_by_something(vocab: Vocabulary) -> None:
    intent = parse_intent("What percentage of the host's RAM is Redis using?", vocab)
    assert intent.ratio_of is not None
    used, whole = intent.ratio_of
    assert intent.text[slice(*used)] == "redis using"
    assert intent.text[slice(*whole)] == "host's ram"


def test_iops_are_operations_per_second(vocab: Vocabulary) -> None:
    intent = parse_intent("read IOPS per disk", vocab)
    assert intent.per_second
    assert "commands" in intent.measures  # operations: counted, not bytes


# --- choose


def _concepts(question: str, vocab: Vocabulary, grounding: list[MetricInfo]) -> dict[str, float]:
    intent = parse_intent(question, vocab, _known_words(grounding))
    mentions = find_mentions(intent, grounding, vocab, question)
    return {c.word: c.weight for c in concepts_of(intent, mentions, vocab)}


def test_a_word_before_a_measure_names_its_kind(
    vocab: Vocabulary, grounding: list[MetricInfo]
) -> None:
    weights = _concepts("dirty memory on the node", vocab, grounding)
    assert weights["dirty"] == weights["memory"] == 1.5
    # A state said of a thing ("the exporter up") names no kind of it.
    assert _concepts("is the blackbox exporter up", vocab, grounding).get("exporter", 1.0) < 1.5


def test_words_of_a_to_be_clause_weigh_less(vocab: Vocabulary, grounding: list[MetricInfo]) -> None:
    weights = _concepts(
        "How much dirty memory is waiting to be written back to disk?", vocab, grounding
    )
    assert weights["writes"] < 1.0
    assert weights["disk"] < 1.0
    assert weights["memory"] == 1.5


def test_the_count_of_the_events_a_byte_counter_adds_up(
    vocab: Vocabulary, grounding: list[MetricInfo]
) -> None:
    by_name = {m.name: m for m in grounding}
    events = event_count_partner(by_name["node_disk_written_bytes_total"], grounding, vocab)
    assert events is not None
    assert events.name == "node_disk_writes_completed_total"  # written ~ writes; "completed"
    assert (
        event_count_partner(by_name["node_disk_writes_completed_total"], grounding, vocab) is None
    )


# --- compose (the whole planner)


def test_the_one_asked_of_which_is_the_top_one(grounding: list[MetricInfo]) -> None:
    promql = plan("which process has the most open file descriptors", grounding).promql
    assert promql.startswith("topk(1, ")
    assert "process_open_fds" in promql


def test_a_count_that_is_the_metric_itself_is_ranked(grounding: list[MetricInfo]) -> None:
    promql = plan("top 2 redis databases by number of keys", grounding).promql
    assert promql == 'topk(2, sum by (db, job) (redis_db_keys{job="redis"}))'


def test_a_size_with_no_unit_is_converted_as_bytes(grounding: list[MetricInfo]) -> None:
    promql = plan("body size of the HTTP probe responses in KB", grounding).promql
    assert promql == '(probe_http_uncompressed_body_length{job="http-probe"}) / 1024'


def test_the_average_size_of_one_event(grounding: list[MetricInfo]) -> None:
    promql = plan("What's the average size of a write to vda, in KB?", grounding).promql
    assert "rate(node_disk_written_bytes_total" in promql
    assert "/ rate(node_disk_writes_completed_total" in promql
    assert promql.endswith("/ 1024")


def test_iops_count_operations_done(grounding: list[MetricInfo]) -> None:
    promql = plan("read IOPS on vda", grounding).promql
    assert promql == 'rate(node_disk_reads_completed_total{device="vda"}[5m])'


def test_growth_in_a_unit_of_time(grounding: list[MetricInfo]) -> None:
    promql = plan("How fast is the shop database growing, in MB per hour?", grounding).promql
    assert promql == '(deriv(pg_database_size_bytes{datname="shop"}[10m]) * 3600) / 1048576'


def test_uptime_in_percent_is_the_share_of_time_up(grounding: list[MetricInfo]) -> None:
    promql = plan("http probe uptime over the last 10 minutes, in percent", grounding).promql
    assert "avg_over_time(probe_success" in promql
    assert promql.startswith("100 * ")


def test_a_share_of_events_divides_two_counts(grounding: list[MetricInfo]) -> None:
    promql = plan("What percentage of outgoing TCP segments are retransmitted?", grounding).promql
    assert promql == (
        "100 * (rate(node_netstat_Tcp_RetransSegs[5m]) / rate(node_netstat_Tcp_OutSegs[5m]))"
    )


def test_one_of_two_outcomes_stays_a_share_of_both(grounding: list[MetricInfo]) -> None:
    promql = plan("percentage of transactions that are rolled back", grounding).promql
    assert "xact_rollback" in promql
    assert "+" in promql


def test_a_share_of_another_things_whole(grounding: list[MetricInfo]) -> None:
    promql = plan("What percentage of the host's RAM is Redis using?", grounding).promql
    assert promql == (
        '100 * (redis_memory_used_bytes{job="redis"} / scalar(sum(node_memory_MemTotal_bytes)))'
    )


def test_the_kind_of_memory_said(grounding: list[MetricInfo]) -> None:
    promql = plan("How much dirty memory is waiting to be written back to disk, in MB?", grounding)
    assert promql.promql == "(node_memory_Dirty_bytes) / 1048576"


def test_major_page_faults(grounding: list[MetricInfo]) -> None:
    assert plan("major page faults/sec", grounding).promql == "rate(node_vmstat_pgmajfault[5m])"
    assert plan("page faults per second", grounding).promql == "rate(node_vmstat_pgfault[5m])"


def test_how_far_back_data_goes_is_the_age_of_the_oldest(grounding: list[MetricInfo]) -> None:
    promql = plan("How far back does the data in Prometheus go?", grounding).promql
    assert promql == 'time() - prometheus_tsdb_lowest_timestamp_seconds{job="prometheus"}'


def test_an_age_in_the_unit_asked(grounding: list[MetricInfo]) -> None:
    promql = plan("how many hours since the last redis save", grounding).promql
    assert promql == '(time() - redis_rdb_last_save_timestamp_seconds{job="redis"}) / 3600'
    # A count the name says is since something is that count, no age.
    promql = plan("changes since the last redis save", grounding).promql
    assert promql == 'redis_rdb_changes_since_last_save{job="redis"}'


def test_an_amount_said_alone_is_the_amount_in_use(grounding: list[MetricInfo]) -> None:
    assert plan("redis memory", grounding).promql == 'redis_memory_used_bytes{job="redis"}'


# --- what a measure means when said alone, and the kinds of it


def more_metrics() -> list[MetricInfo]:
    """Memory of a node, a Go process and PostgreSQL's connections beside their limit."""
    pg = {"instance": ("127.0.0.1:9187",), "job": ("postgres",)}
    return [
        *metrics(),
        _m("node_memory_VmallocUsed_bytes", "gauge", "Memory information field.", NODE),
        _m("node_memory_HugePages_Total", "gauge", "Memory information field.", NODE),
        _m("node_memory_HugePages_Free", "gauge", "Memory information field.", NODE),
        _m("node_memory_MemAvailable_bytes", "gauge", "Memory information field.", NODE),
        _m("go_memstats_heap_alloc_bytes", "gauge", "Heap bytes allocated and in use.", PROM),
        _m("go_memstats_heap_sys_bytes", "gauge", "Heap bytes obtained from the OS.", PROM),
        _m(
            "pg_stat_database_numbackends",
            "gauge",
            "Number of backends currently connected to this database.",
            {**pg, "datname": ("postgres", "shop")},
            2,
        ),
        _m(
            "pg_settings_max_connections",
            "gauge",
            "Server Parameter: max_connections",
            pg,
        ),
        _m("redis_mem_fragmentation_ratio", "gauge", "mem_fragmentation_ratio metric", REDIS),
        _m("redis_mem_fragmentation_bytes", "gauge", "mem_fragmentation_bytes metric", REDIS),
        _m("node_sockstat_TCP_tw", "gauge", "Number of TCP sockets in state tw.", NODE),
        _m("node_netstat_Tcp_CurrEstab", "unknown", "Statistic TcpCurrEstab.", NODE),
        _m(
            "net_conntrack_dialer_conn_established_total",
            "counter",
            "Total number of connections successfully established.",
            {**PROM, "dialer_name": ("node", "redis")},
            2,
        ),
        _m("node_load5", "gauge", "5m load average.", NODE),
        _m("redis_keyspace_hits_total", "counter", "keyspace_hits_total metric", REDIS),
        _m("redis_keyspace_misses_total", "counter", "keyspace_misses_total metric", REDIS),
    ]


@pytest.fixture(scope="module")
def wider() -> list[MetricInfo]:
    return more_metrics()


@pytest.mark.parametrize(
    ("question", "implied"),
    [
        ("memory of the node", "usage"),
        ("heap memory of prometheus", "usage"),  # its own words say no other kind
        ("free memory on the node", ""),  # a qualifier said
        ("which job uses the most memory", ""),  # "uses" ranks; no qualifier is meant
        ("p99 latency", ""),  # latency implies nothing
    ],
)
def test_a_measure_implies_a_qualifier_only_said_alone(
    vocab: Vocabulary, question: str, implied: str
) -> None:
    assert parse_intent(question, vocab).implied_qualifier == implied


def test_a_kind_of_a_measure_takes_no_implied_qualifier(
    vocab: Vocabulary, wider: list[MetricInfo]
) -> None:
    intent = parse_intent("dirty memory of the node", vocab)
    imply_qualifier(intent, find_mentions(intent, wider, vocab), vocab)
    assert "usage" not in intent.qualifiers
    intent = parse_intent("redis memory", vocab)
    imply_qualifier(intent, find_mentions(intent, wider, vocab), vocab)
    assert "usage" in intent.qualifiers  # a system named before it is no kind of memory


@pytest.mark.parametrize(
    ("question", "size"),
    [
        ("total memory of the host", True),
        ("how many GB of memory does the node have", True),
        ("total requests per second", False),  # a flow: "total" sums it
    ],
)
def test_the_total_of_an_amount_is_its_size(vocab: Vocabulary, question: str, size: bool) -> None:
    assert ("size" in parse_intent(question, vocab).qualifiers) is size


def test_over_a_span_of_time_is_no_threshold(vocab: Vocabulary) -> None:
    assert parse_intent("load average over 5 minutes", vocab).threshold is None
    assert parse_intent("queries running for over 5 minutes", vocab).threshold is not None
    assert parse_intent("p99 latency over 2 seconds", vocab).threshold is not None


def test_the_measure_of_what_is_grouped_by_is_not_measured(vocab: Vocabulary) -> None:
    # "per target": targets are the series (scrapes' word), the probes' duration is asked.
    assert parse_intent("average probe duration per target", vocab).measures == [
        "probes",
        "latency",
    ]
    assert "probes" in parse_intent("availability of each probe target", vocab).measures


def test_an_outcome_rate_is_its_share(vocab: Vocabulary) -> None:
    assert parse_intent("redis hit rate", vocab).ratio
    assert not parse_intent("redis hits per second", vocab).ratio
    assert not parse_intent("request rate", vocab).ratio


def test_words_of_phrases_are_never_misspellings(vocab: Vocabulary) -> None:
    intent = parse_intent("how close is postgres to its limit", vocab, ["closed", "postgres"])
    assert intent.corrections == []


def test_used_memory_of_a_node(wider: list[MetricInfo]) -> None:
    used = 'node_memory_MemTotal_bytes{job="node"} - node_memory_MemAvailable_bytes{job="node"}'
    for question in ("memory of the node", "node memory used", "how much memory is the node using"):
        assert plan(question, wider).promql == used, question
    assert plan("total memory of the host", wider).promql == "node_memory_MemTotal_bytes"


def test_a_word_of_the_measure_names_its_kind(wider: list[MetricInfo]) -> None:
    promql = plan("heap memory of prometheus", wider).promql
    assert promql == 'go_memstats_heap_alloc_bytes{job="prometheus"}'


def test_a_gauge_that_is_a_ratio_answers_a_ratio(wider: list[MetricInfo]) -> None:
    promql = plan("redis memory fragmentation ratio", wider).promql
    assert promql == 'redis_mem_fragmentation_ratio{job="redis"}'


def test_a_share_of_the_limit_of_the_same_measure(wider: list[MetricInfo]) -> None:
    promql = plan("postgres connection utilisation in percent", wider).promql
    assert "pg_stat_database_numbackends" in promql
    assert "/ sum by (job) (pg_settings_max_connections" in promql


def test_a_level_now_is_no_counter_of_events(wider: list[MetricInfo]) -> None:
    assert plan("established TCP connections", wider).promql == "node_netstat_Tcp_CurrEstab"
    assert plan("TCP connections in TIME_WAIT", wider).promql == "node_sockstat_TCP_tw"


def test_a_hit_rate_is_the_hit_ratio(wider: list[MetricInfo]) -> None:
    promql = plan("redis hit rate", wider).promql
    assert "redis_keyspace_hits_total" in promql
    assert "+ rate(redis_keyspace_misses_total" in promql
