"""Mechanisms behind leftover misses on Redis, Prometheus and the probes, one per test: the
things of "for each exporter" summed when a metric splits them further (by status code),
a word shared by several values naming them all ("the probe jobs"), the one able to do it
being no filter ("is prometheus able to scrape the probes"), what a stage of a pipeline
dropped as the count before it less the count after it ("is relabeling dropping samples"),
the time of a run as how long it takes ("tcp probe times"), the other party of a transfer
being no measure ("sent to its clients"), and the glossary's words for replicas and for
being attached ("hooked up").

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import PROM, REDIS, _m, answer, exporter_metrics

EXPORTERS = {"instance": ("a", "b", "c"), "job": ("node", "redis", "prometheus")}
PROBE_JOBS = ("http-probe", "tcp-probe")
TARGETS = {"instance": ("a", "b", "c", "d"), "job": ("prometheus", "node", *PROBE_JOBS)}
PROBES = {"instance": ("127.0.0.1:1", "http://a/metrics"), "job": PROBE_JOBS}


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        _m(
            "promhttp_metric_handler_requests_total",
            "counter",
            "Total number of scrapes by HTTP status code.",
            {**EXPORTERS, "code": ("200", "500", "503")},
            9,
        ),
        _m("go_goroutines", "gauge", "Number of goroutines that currently exist.", EXPORTERS, 3),
        _m(
            "scrape_samples_scraped",
            "gauge",
            "The number of samples the target exposed.",
            TARGETS,
            4,
        ),
        _m(
            "scrape_samples_post_metric_relabeling",
            "gauge",
            "The number of samples remaining after metric relabeling was applied.",
            TARGETS,
            4,
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
            "probe_ip_protocol",
            "gauge",
            "Specifies whether probe ip protocol is IP4 or IP6",
            PROBES,
        ),
        _m("redis_connected_slaves", "gauge", "connected_slaves metric", REDIS),
        _m("redis_connected_clients", "gauge", "connected_clients metric", REDIS),
        _m("redis_net_output_bytes_total", "counter", "net_output_bytes_total metric", REDIS),
        _m(
            "redis_client_recent_max_output_buffer_bytes",
            "gauge",
            "client_recent_max_output_buffer_bytes metric",
            REDIS,
        ),
        _m("prometheus_build_info", "gauge", "Prometheus build information.", PROM),
    ]


def test_each_exporter_of_a_metric_split_further_is_summed_per_job() -> None:
    """ "requests per second for each exporter": one series per exporter and status code, so
    each exporter is its job, the codes summed; a metric with one series per exporter stays as
    it is."""
    promql = answer("metrics endpoint requests per second for each exporter", metrics())
    assert promql == "sum by (job) (rate(promhttp_metric_handler_requests_total[5m]))"
    assert answer("goroutines of each exporter", metrics()) == "go_goroutines"


def test_a_word_shared_by_several_values_names_them_all() -> None:
    """ "the probe jobs": "probe" is a word of http-probe and of tcp-probe; said before the
    label's noun, it names both, as one filter."""
    promql = answer("how many samples do the probe jobs return per scrape", metrics())
    assert promql == 'scrape_samples_scraped{job=~"http-probe|tcp-probe"}'


def test_a_shared_word_said_alone_names_no_value() -> None:
    """ "how long does each probe take": no label's noun after "probe"; no filter on it."""
    assert answer("how long does each probe take?", metrics()) == "probe_duration_seconds"


def test_the_one_able_to_do_it_is_no_filter() -> None:
    """ "is prometheus able to scrape the probe jobs": prometheus does the scraping; the jobs
    scraped are the probes, not prometheus."""
    promql = answer("is prometheus able to scrape the probe jobs? samples per target", metrics())
    assert 'job=~"http-probe|tcp-probe"' in promql
    assert '"prometheus' not in promql


def test_what_a_stage_dropped_is_before_it_less_after_it() -> None:
    """ "is metric relabeling dropping any samples": the samples scraped less those left
    after relabeling (`…_post_metric_relabeling`), grouped alike and summed."""
    promql = answer("is metric relabeling dropping any samples? per job", metrics())
    assert promql == (
        "sum by (job) (scrape_samples_scraped)"
        " - sum by (job) (scrape_samples_post_metric_relabeling)"
    )


def test_the_time_of_a_run_is_how_long_it_takes(vocab: Vocabulary) -> None:
    """ "tcp probe times": a probe runs, and its time is its duration; "how many times did the
    probe run" counts the runs instead."""
    assert "latency" in parse_intent("tcp probe times now compared to a minute ago", vocab).measures
    promql = answer("tcp probe times now compared to a minute ago", metrics())
    assert promql == (
        '(probe_duration_seconds{job="tcp-probe"})'
        ' - (probe_duration_seconds{job="tcp-probe"} offset 1m)'
    )
    counted = parse_intent("how many times did the tcp probe run in the last 10 min", vocab)
    assert "latency" not in counted.measures


def test_the_other_party_of_a_transfer_is_not_what_is_measured(vocab: Vocabulary) -> None:
    """ "How many MB has Redis sent to its clients": the bytes sent; the clients are who they
    went to, no measure of connections."""
    question = "How many MB has Redis sent to its clients over the last 30 minutes?"
    assert parse_intent(question, vocab).measures == ["transmit"]
    promql = answer(question, metrics())
    assert "increase(redis_net_output_bytes_total" in promql
    assert "[30m]" in promql


def test_replicas_hooked_up_are_connected_slaves() -> None:
    """ "how many replicas are hooked up": a replica in the older word (slave), attached
    (connected); "up" is no state here."""
    promql = answer("how many replicas are hooked up to redis?", metrics())
    assert promql.startswith("redis_connected_slaves")


def scrape_metrics() -> list[MetricInfo]:
    node = {"instance": ("127.0.0.1:9100",), "job": ("node",)}
    return [
        *exporter_metrics(),
        _m("scrape_duration_seconds", "gauge", "", {**node, "job": ("node", "redis")}, 2),
        _m(
            "node_scrape_collector_duration_seconds",
            "gauge",
            "node_exporter: Duration of a collector scrape.",
            {**node, "collector": ("cpu", "diskstats", "meminfo")},
            3,
        ),
    ]


def test_the_kind_of_thing_a_value_is_said_to_be_is_no_help_word() -> None:
    """ "scraping the node exporter": "exporter" says what node is; a help that names its own
    exporter ("node_exporter: …") is no better match for it than the scrape's own duration."""
    promql = answer("how long does scraping the node exporter take?", scrape_metrics())
    assert "scrape_duration_seconds" in promql
    assert "collector" not in promql
