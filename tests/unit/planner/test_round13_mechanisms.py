"""Mechanisms behind blind round 12's misses, stage by stage: a value left out said around it
("leave prometheus out"), things doing any of what is measured now ("which interfaces are
receiving any traffic": > 0), things nobody is attached to ("have nobody connected": == 0),
checks that pass (availability, "all their targets passing": the lowest of each is 1), the
most of a count at one moment over a window ("most … at the same time in the last 10 min":
its highest), a superlative said of a value rather than of things ("the worst the probe has
taken"), the kinds of things rather than how often they happened ("how many different
commands": their series), and one measure under one value of a label over the same measure
under another ("keys in db1 relative to db0", "how many times slower are the http probes
than the tcp probes"), a word in parentheses as the asker's gloss of what they mean ("heap
allocations (mallocs)"), what a part is not said after it ("overhead rather than data"), and
a class of status codes that names no error ("answering with a 2xx status": >= 200 < 300).

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import NODE, REDIS, _m, answer, exporter_metrics

PG_DB = {
    "instance": ("127.0.0.1:9187",),
    "job": ("postgres",),
    "datname": ("inventory", "postgres", "shop"),
}
JOBS = {"instance": ("a", "b", "c"), "job": ("prometheus", "node", "redis")}
PROBES = {"instance": ("127.0.0.1:1", "http://a/metrics"), "job": ("tcp-probe", "http-probe")}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m("go_goroutines", "gauge", "Number of goroutines that currently exist.", JOBS, 3),
        _m(
            "node_network_transmit_bytes_total",
            "counter",
            "Network device statistic transmit_bytes.",
            {**NODE, "device": ("eth0", "lo")},
            2,
            "bytes",
        ),
        _m(
            "pg_stat_database_numbackends",
            "gauge",
            "Number of backends currently connected to this database.",
            PG_DB,
            3,
        ),
        _m("node_procs_running", "gauge", "Number of processes in runnable state.", NODE),
        _m(
            "probe_duration_seconds",
            "gauge",
            "Returns how long the probe took to complete in seconds",
            PROBES,
            2,
            "seconds",
        ),
    ]


def test_a_value_left_out_is_said_around_it() -> None:
    """ "leave prometheus out": every job but that one, as "except prometheus" says it."""
    promql = answer("which exporter runs the most goroutines? leave prometheus out", metrics())
    assert 'job!="prometheus"' in promql
    assert promql.startswith("topk(1, ")


def test_things_doing_any_of_it_now_are_those_above_zero() -> None:
    """ "which interfaces are actually receiving any traffic": a rate above 0, as "which
    interfaces had traffic" says it."""
    promql = answer("which network interfaces are actually receiving any traffic?", metrics())
    assert promql.endswith(" > 0")
    assert "node_network_receive_bytes_total" in promql


def test_nobody_attached_is_a_level_of_zero(vocab: Vocabulary) -> None:
    """ "which databases have nobody connected": those at 0, as "which dbs are empty"; "nobody"
    is not some of it happening."""
    assert parse_intent("Which databases have nobody connected to them?", vocab).had_any is False
    promql = answer("Which databases have nobody connected to them?", metrics())
    assert promql == "sum by (datname) (pg_stat_database_numbackends) == 0"


def test_checks_that_pass_are_availability() -> None:
    """ "which probe jobs have all their targets passing": a probe that passes succeeds; each
    job healthy only if its lowest is 1."""
    promql = answer("which probe jobs have all their targets passing", metrics())
    assert promql == "min by (job) (probe_success) == 1"


def test_the_most_at_one_moment_is_the_highest_over_the_window() -> None:
    """ "most processes running at the same time in the last 10 min": the highest count at any
    one moment of the window, not the top 5 of anything."""
    promql = answer("most processes running at the same time in the last 10 min", metrics())
    assert promql == "max_over_time(node_procs_running[10m])"


def test_a_superlative_said_of_a_value_ranks_nothing(vocab: Vocabulary) -> None:
    """ "the worst the probe has taken in the past 15 min": the highest value over the window;
    "the" after "worst" names no thing to rank (not "the node")."""
    question = "What's the worst the node exporter /metrics probe has taken in the past 15 min?"
    intent = parse_intent(question, vocab)
    assert intent.group_words == []
    assert intent.top is None
    assert intent.peak == "max"


def test_how_many_different_things_counts_their_kinds() -> None:
    """ "how many different commands has redis run": the commands seen (one series each), not
    the calls of them, nor only those called lately."""
    promql = answer("How many different commands has redis been asked to run?", metrics())
    assert promql.startswith("count(")
    assert "by (cmd" in promql
    assert not promql.endswith("> 0)")
    assert answer("How many commands has redis run?", metrics()) != promql


def test_one_value_relative_to_another_is_the_same_measure_twice() -> None:
    """ "How many keys does db1 have relative to db0": the keys of db1 over those of db0, one
    number each side."""
    promql = answer("How many keys does db1 have relative to db0 (ratio)?", metrics_with_dbs())
    assert promql == 'sum(redis_db_keys{db="db1"}) / sum(redis_db_keys{db="db0"})'


def test_how_many_times_slower_is_a_ratio_of_two_values() -> None:
    """ "how many times slower are the http probes than the tcp probes on average": the
    average of one over the average of the other, no count of "times"."""
    promql = answer(
        "How many times slower are the http probes than the tcp probes on average?", metrics()
    )
    assert promql == (
        'avg(probe_duration_seconds{job="http-probe"})'
        ' / avg(probe_duration_seconds{job="tcp-probe"})'
    )


def metrics_with_dbs() -> list[MetricInfo]:
    return [
        *(m for m in metrics() if m.name != "redis_db_keys"),
        _m(
            "redis_db_keys",
            "gauge",
            "Total number of keys by DB",
            {**REDIS, "db": ("db0", "db1")},
            2,
        ),
    ]


def go_metrics() -> list[MetricInfo]:
    prom = {"instance": ("127.0.0.1:9090",), "job": ("prometheus",)}
    return [
        *metrics(),
        _m("go_memstats_heap_alloc_bytes", "gauge", "Heap bytes allocated and in use.", prom),
        _m("go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use spans.", prom),
        _m(
            "go_memstats_stack_inuse_bytes",
            "gauge",
            "Bytes in use by the stack allocator.",
            prom,
        ),
        _m("go_memstats_mallocs_total", "counter", "Total number of mallocs.", prom),
        _m(
            "redis_memory_used_overhead_bytes",
            "gauge",
            "memory_used_overhead_bytes metric",
            REDIS,
        ),
    ]


def test_a_word_in_parentheses_is_the_askers_gloss() -> None:
    """ "heap allocations (mallocs) per second": the word in parentheses names the thing as
    its metric does; it outweighs the words around it."""
    promql = answer(
        "How many heap allocations (mallocs) per second is Prometheus doing?", go_metrics()
    )
    assert "go_memstats_mallocs_total" in promql
    assert "rate(" in promql


def test_what_a_part_is_not_is_no_part_of_it(vocab: Vocabulary) -> None:
    """ "what percent of redis's used memory is overhead rather than data": overhead as a part
    of the memory used; "rather than data" says only what it is not."""
    question = "What percent of Redis's used memory is overhead rather than data?"
    intent = parse_intent(question, vocab)
    assert intent.ratio_of is not None
    part, _whole = intent.ratio_of
    assert intent.text[part[0] : part[1]] == "overhead"
    promql = answer(question, go_metrics())
    assert "redis_memory_used_overhead_bytes" in promql
    assert "redis_memory_used_bytes" in promql


def test_a_class_of_status_codes_is_a_range_of_them() -> None:
    """ "how many http probe targets are answering with a 2xx status": of a metric whose value
    is a status code, those from 200 up to 299, counted."""
    status = _m(
        "probe_http_status_code",
        "gauge",
        "Response HTTP status code",
        {"instance": ("http://a/", "http://b/"), "job": ("http-probe",)},
        2,
    )
    promql = answer(
        "How many HTTP probe targets are answering with a 2xx status?", [*metrics(), status]
    )
    assert promql.startswith('count(probe_http_status_code{job="http-probe"} >= 200 < 300)')


def test_parentheses_that_leave_out_or_describe_are_no_gloss() -> None:
    """ "the redis dataset itself (w/o overhead)": what is left out is not what is asked;
    a longer description in parentheses is read as the other words are."""
    dataset = _m("redis_memory_used_dataset_bytes", "gauge", "memory_used_dataset_bytes", REDIS)
    promql = answer(
        "how big is the redis dataset itself (w/o overhead), MiB", [*go_metrics(), dataset]
    )
    assert promql.startswith("(redis_memory_used_dataset_bytes")
