"""Mechanisms behind blind round 13's misses, stage by stage: a short form of the kernel's
names ("SReclaimable": slab), how many seconds ago a thing last happened (time() - it), "nr
of" for "number of", "everything we scrape" as all there is (no scrape measured), "per cpu"
of a metric that is per cpu already (grouped by it), the things counted after a possessive
("the node exporter's collectors"), "across all the X" as one number, a number said as a
status code ("status code 0"), a state held for the whole window (its lowest over it), a
change per minute (deriv), a part of a whole said where it is ("on the inactive list") or by
what was done to it ("has been released"), a part list in brackets ("(any inserts, updates
or deletes)") searched for part by part, things being done to now (those above 0), one
extreme of a measure over the other ("the slowest probe than the fastest one"), a part of a
whole said as what the time is spent on (matched with it by what both have), and how many
times something ran out (counted, no level near a limit).

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

from obsai_query.catalog_client import MetricInfo
from obsai_query.planner import search_expansions
from obsai_query.planner.intent import parse_intent
from obsai_query.planner.vocabulary import Vocabulary
from tests.unit.planner.conftest import NODE, PROM, _m, answer, exporter_metrics

PG_DB = {
    "instance": ("127.0.0.1:9187",),
    "job": ("postgres",),
    "datname": ("inventory", "postgres", "shop"),
}
PROBES = {"instance": ("http://a/metrics", "http://b/health"), "job": ("http-probe",)}
JOBS = {"instance": ("a", "b", "c"), "job": ("prometheus", "node", "redis")}


def _meminfo(field: str) -> MetricInfo:
    return _m(
        f"node_memory_{field}_bytes",
        "gauge",
        f"Memory information field {field}_bytes.",
        NODE,
        unit="bytes",
    )


def _rows(verb: str) -> MetricInfo:
    return _m(
        f"pg_stat_database_tup_{verb}",
        "counter",
        f"Number of rows {verb} by queries in this database",
        PG_DB,
        3,
    )


def metrics() -> list[MetricInfo]:
    return [
        *exporter_metrics(),
        *(_meminfo(f) for f in ("Slab", "SReclaimable", "SUnreclaim", "Inactive", "Active")),
        *(_rows(verb) for verb in ("fetched", "inserted", "updated", "deleted")),
        _m(
            "pg_stat_database_blk_write_time",
            "counter",
            "Time spent writing data file blocks by backends in this database, in milliseconds",
            PG_DB,
            3,
        ),
        _m("node_sockstat_TCP_tw", "gauge", "Number of TCP sockets in state tw.", NODE),
        _m(
            "node_softnet_processed_total",
            "counter",
            "Number of processed packets",
            {**NODE, "cpu": ("0", "1")},
            2,
        ),
        _m(
            "node_scrape_collector_success",
            "gauge",
            "node_exporter: Whether a collector succeeded.",
            {**NODE, "collector": ("cpu", "meminfo", "netdev")},
            3,
        ),
        _m("go_goroutines", "gauge", "Number of goroutines that currently exist.", JOBS, 3),
        _m(
            "scrape_samples_scraped",
            "gauge",
            "The number of samples the target exposed.",
            JOBS,
            3,
        ),
        _m(
            "go_memstats_last_gc_time_seconds",
            "gauge",
            "Number of seconds since 1970 of last garbage collection.",
            PROM,
            unit="seconds",
        ),
        _m(
            "go_memstats_heap_released_bytes",
            "gauge",
            "Number of heap bytes released to OS.",
            JOBS,
            3,
        ),
        _m(
            "go_memstats_heap_sys_bytes",
            "gauge",
            "Number of heap bytes obtained from system.",
            JOBS,
            3,
        ),
        _m("probe_http_status_code", "gauge", "Response HTTP status code", PROBES, 2),
        _m(
            "probe_http_duration_seconds",
            "gauge",
            "Duration of http request by phase, summed over all redirects",
            {**PROBES, "phase": ("connect", "processing", "resolve", "tls", "transfer")},
            10,
            "seconds",
        ),
        _m(
            "node_softnet_times_squeezed_total",
            "counter",
            "Number of times processing packets ran out of quota",
            {**NODE, "cpu": ("0", "1")},
            2,
        ),
        _m(
            "probe_duration_seconds",
            "gauge",
            "Returns how long the probe took to complete in seconds",
            PROBES,
            2,
            "seconds",
        ),
    ]


def test_the_kernels_short_form_for_slab_names_the_slab() -> None:
    """ "reclaimable slab memory": SReclaimable (the slab's reclaimable part), not all the
    slab."""
    promql = answer("How much reclaimable slab memory does the kernel hold, in MB?", metrics())
    assert promql == "(node_memory_SReclaimable_bytes) / 1048576"


def test_how_many_seconds_ago_is_the_age_of_a_timestamp() -> None:
    """ "how many seconds ago did it last run GC": now less the time of the last one, not a
    count of seconds."""
    promql = answer("how many seconds ago did prometheus last run garbage collection", metrics())
    assert promql == 'time() - go_memstats_last_gc_time_seconds{job="prometheus"}'


def test_nr_of_is_the_number_of_and_highest_over_a_window_its_peak() -> None:
    """ "highest nr of sockets in TIME_WAIT over the last 15 min": the peak over the window,
    no ranking of one series."""
    promql = answer("highest nr of sockets in TIME_WAIT over the last 15 min", metrics())
    assert promql == "max_over_time(node_sockstat_TCP_tw[15m])"


def test_everything_we_scrape_is_everything(vocab: Vocabulary) -> None:
    """ "total goroutines across everything we scrape": of all targets; no scrape is
    measured."""
    intent = parse_intent("total goroutines across everything we scrape", vocab)
    assert intent.measures == ["threads"]
    assert answer("total goroutines across everything we scrape", metrics()) == (
        "sum(go_goroutines)"
    )


def test_per_cpu_of_a_metric_per_cpu_already_groups_by_it() -> None:
    """ "packets processed per second …, for each cpu": one series per cpu; nothing divided by
    the number of cores."""
    promql = answer("packets processed per second by the network softirq, for each cpu", metrics())
    assert promql == "sum by (cpu) (rate(node_softnet_processed_total[5m]))"


def test_things_counted_after_a_possessive_are_its_things(vocab: Vocabulary) -> None:
    """ "how many of the node exporter's collectors are failing": the collectors are counted,
    one number (not one per collector)."""
    question = "how many of the node exporter's collectors are failing?"
    assert parse_intent(question, vocab).count_of == "collector"
    promql = answer(question, metrics())
    assert promql.startswith("count(")
    assert "count by" not in promql
    assert promql.endswith("== 0)")


def test_across_all_the_things_is_one_number() -> None:
    """ "rows fetched across all the postgres databases": their sum, not one per database
    (though "postgres" is a database's name too)."""
    promql = answer(
        "How many rows were fetched across all the postgres databases in the last 15 minutes?",
        metrics(),
    )
    assert "datname" not in promql
    assert "increase(pg_stat_database_tup_fetched" in promql


def test_a_number_said_as_a_status_code_is_compared_with() -> None:
    """ "(status code 0)": the status code equal to it, whatever its digits."""
    promql = answer(
        "which http probes are getting no HTTP response at all (status code 0)?", metrics()
    )
    assert promql.startswith("sum by (instance, job) (probe_http_status_code")
    assert promql.endswith(" == 0")


def test_a_state_held_for_the_whole_window_is_its_lowest(vocab: Vocabulary) -> None:
    """ "up for the whole last 10 minutes": at 1 at its lowest over the window; "been up for"
    a window names no uptime. Down throughout: at 0 at its highest."""
    question = "which probe targets have been up for the whole last 10 minutes"
    intent = parse_intent(question, vocab)
    assert "uptime" not in intent.measures
    assert answer(question, metrics()) == "min_over_time(probe_success[10m]) == 1"
    assert answer(
        "Which probe target has been down for the whole of the last 5 minutes?", metrics()
    ) == ("max_over_time(probe_success[5m]) == 0")
    # "the whole" said of a thing, not of the window: nothing held throughout.
    assert parse_intent("total requests of the whole cluster in the last hour", vocab).peak == ""


def test_a_change_per_minute_is_a_derivative() -> None:
    """ "is it getting slower? change in its duration per minute": deriv() times 60."""
    promql = answer(
        "is the /metrics probe getting slower? change in its duration per minute", metrics()
    )
    assert promql.startswith("deriv(probe_duration_seconds{")
    assert promql.endswith(" * 60")


def test_a_part_said_where_it_is_is_a_part_of_the_whole() -> None:
    """ "what % of RAM is on the inactive list": the inactive memory over all of it, not the
    memory in use."""
    promql = answer("What percentage of RAM is on the inactive list?", metrics())
    assert promql == "100 * (node_memory_Inactive_bytes / node_memory_MemTotal_bytes)"


def test_a_part_said_by_what_was_done_to_it_is_a_part_of_the_whole() -> None:
    """ "what % of prometheus's heap from the OS has been released back": the released part
    over what was obtained from the system, both prometheus's."""
    promql = answer(
        "what percentage of prometheus's heap memory from the OS has been released back to it?",
        metrics(),
    )
    assert promql == (
        '100 * (go_memstats_heap_released_bytes{job="prometheus"}'
        ' / go_memstats_heap_sys_bytes{job="prometheus"})'
    )


def test_parts_listed_in_brackets_are_added_and_searched_one_by_one(vocab: Vocabulary) -> None:
    """ "which databases are being written to right now (any inserts, updates or deletes)":
    the parts' rates added, per database, where above 0; each part is searched for too."""
    question = (
        "which pg databases are being written to right now (any inserts, updates or deletes)?"
    )
    intent = parse_intent(question, vocab)
    assert [intent.text[a:b] for a, b in intent.listed_parts] == ["inserts", "updates", "deletes"]
    assert intent.had_any
    assert [t.split()[0] for t in search_expansions(question)[-3:]] == [
        "inserts",
        "updates",
        "deletes",
    ]
    promql = answer(question, metrics())
    assert promql == (
        "(sum by (datname) (rate(pg_stat_database_tup_inserted[5m]))"
        " + sum by (datname) (rate(pg_stat_database_tup_updated[5m]))"
        " + sum by (datname) (rate(pg_stat_database_tup_deleted[5m]))) > 0"
    )


def test_things_being_done_to_the_most_are_ranked(vocab: Vocabulary) -> None:
    """ "which databases are being written to the most": a ranking, not those above 0."""
    intent = parse_intent("which databases are being written to the most", vocab)
    assert not intent.had_any


def test_one_extreme_over_the_other_is_a_ratio_of_extremes(vocab: Vocabulary) -> None:
    """ "how many times longer does the slowest probe take than the fastest one": the highest
    over the lowest, of all the probes — no ranking, no grouping."""
    question = "how many times longer does the slowest probe take than the fastest one?"
    intent = parse_intent(question, vocab)
    assert intent.extremes == ("max", "min")
    assert intent.top is None
    assert answer(question, metrics()) == (
        "max(probe_duration_seconds) / min(probe_duration_seconds)"
    )


def test_what_the_time_is_spent_on_is_a_part_of_it() -> None:
    """ "what percent of the /metrics probe's total time is spent on the TCP connect": that
    phase's time over the probe's whole time, matched series to series (the phase is only the
    part's label)."""
    promql = answer(
        "waht percent of the /metrics probe's total time is spent on the TCP connect?",
        metrics(),
    )
    assert promql == (
        '100 * (probe_http_duration_seconds{instance="http://a/metrics", phase="connect"}'
        ' / ignoring (phase) probe_duration_seconds{instance="http://a/metrics"})'
    )


def test_time_spent_in_a_mode_is_no_part_of_its_own(vocab: Vocabulary) -> None:
    """ "what percentage of CPU time is spent in system mode": a state of the whole's own
    series, not a part named apart from it."""
    intent = parse_intent("What percentage of CPU time is spent in system mode?", vocab)
    assert intent.ratio_of is None


def test_how_many_times_it_ran_out_counts_the_times(vocab: Vocabulary) -> None:
    """ "how many times did packet processing run out of budget (squeezed)": the times it ran
    out, counted over the window; no level near its limit."""
    question = (
        "how many times did softirq packet processing run out of budget (squeezed) in the last hour"
    )
    intent = parse_intent(question, vocab)
    assert not intent.near_limit
    assert not intent.share_of_limit
    assert answer(question, metrics()) == ("sum(increase(node_softnet_times_squeezed_total[1h]))")
