"""Mechanisms behind blind round 14's misses, stage by stage: a bound said in words ("more
than a minute"; "than a minute ago" is none), a bound held for the whole window (under it:
its highest; over it: its lowest; in seconds, of things that run: how long each run takes),
a count ahead at the pace of now ("how many will it commit over the next hour": the rate
times the hour), an amount in a counter's own unit over a window ("cpu seconds used over
the last hour": its increase), a metric already in percent taken as it is, what is still
free of a limit (1 - used / limit), the share one value has of a metric ("come from the
node exporter"), "when" asking for a point in time, "non-X" leaving out the values that
begin with X, the glossary's words for stale keys and connection attempts, the targets of
another run ("probe targets": no scrape), and a metric of a part of the system named
(prometheus_treecache_watcher_goroutines) not taken for the system's own.

Each test is one mechanism on a small, fixed grounding; no names in the planner's code.
"""

from __future__ import annotations

from obsai_query.catalog_client import MetricInfo
from tests.unit.planner.conftest import NODE, PG, PROM, REDIS, _m, answer, exporter_metrics

PROBES = {"instance": ("http://a/metrics", "http://b/health"), "job": ("http-probe",)}
JOBS = {"instance": ("a", "b", "c"), "job": ("prometheus", "node", "redis")}
PG_ALL = {**PG, "datname": ("inventory", "postgres", "shop", "template0", "template1")}
REDIS_DBS = {**REDIS, "db": ("db0", "db1")}


def _tcp(field: str) -> MetricInfo:
    return _m(f"node_netstat_Tcp_{field}", "untyped", f"Statistic Tcp{field}.", NODE)


def _redis(name: str, help_text: str, labels: dict[str, tuple[str, ...]] = REDIS) -> MetricInfo:
    return _m(f"redis_{name}", "gauge", help_text, labels, len(labels.get("db", ("",))))


def metrics() -> list[MetricInfo]:
    return [
        *(m for m in exporter_metrics() if m.name != "pg_database_size_bytes"),
        _m(
            "pg_database_size_bytes",
            "gauge",
            "Disk space used by the database",
            PG_ALL,
            5,
            "bytes",
        ),
        *(_tcp(f) for f in ("OutSegs", "OutRsts", "InSegs", "RetransSegs", "ActiveOpens")),
        _redis(
            "start_time_seconds", "Start time of the Redis instance since unix epoch in seconds."
        ),
        _redis("slowlog_last_id", "Last id of slowlog"),
        _redis("aof_last_rewrite_duration_sec", "aof_last_rewrite_duration_sec metric"),
        _redis("rdb_last_save_timestamp_seconds", "rdb_last_save_timestamp_seconds metric"),
        _redis("uptime_in_seconds", "uptime_in_seconds metric"),
        _redis("expired_stale_percentage", "expired_stale_percentage metric"),
        _redis("db_keys_expiring", "Total number of expiring keys by DB", REDIS_DBS),
        _redis("db_avg_ttl_seconds", "Avg TTL in seconds", REDIS_DBS),
        _redis("config_maxmemory", "config_maxmemory metric"),
        _m(
            "net_conntrack_dialer_conn_failed_total",
            "counter",
            "Total number of connections failed to dial by the dialer a given name.",
            {**PROM, "dialer_name": ("node", "redis"), "reason": ("refused", "timeout")},
            4,
        ),
        _m(
            "net_conntrack_dialer_conn_attempted_total",
            "counter",
            "Total number of connections attempted by the given dialer a given name.",
            {**PROM, "dialer_name": ("node", "redis")},
            2,
        ),
        _m(
            "prometheus_target_scrape_pools_failed_total",
            "counter",
            "Total number of scrape pool creations that failed.",
            PROM,
        ),
        _m(
            "probe_ip_protocol",
            "gauge",
            "Specifies whether probe ip protocol is IP4 or IP6",
            PROBES,
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
        _m(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            JOBS,
            3,
            "seconds",
        ),
        _m("scrape_duration_seconds", "gauge", "Duration of the scrape", JOBS, 3, "seconds"),
        _m("go_goroutines", "gauge", "Number of goroutines that currently exist.", JOBS, 3),
        _m(
            "prometheus_treecache_watcher_goroutines",
            "gauge",
            "The current number of watcher goroutines.",
            PROM,
        ),
        _m("go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system.", JOBS, 3),
        _m(
            "go_memstats_heap_sys_bytes",
            "gauge",
            "Number of heap bytes obtained from system.",
            JOBS,
            3,
        ),
        _m(
            "go_memstats_alloc_bytes_total",
            "counter",
            "Total number of bytes allocated, even if freed.",
            JOBS,
            3,
        ),
        _m(
            "go_memstats_alloc_bytes",
            "gauge",
            "Number of bytes allocated and still in use.",
            JOBS,
            3,
        ),
        _m(
            "node_memory_KernelStack_bytes",
            "gauge",
            "Memory information field KernelStack_bytes.",
            NODE,
            unit="bytes",
        ),
        _m(
            "go_memstats_stack_inuse_bytes",
            "gauge",
            "Number of bytes in use by the stack allocator.",
            JOBS,
            3,
        ),
        _m("scrape_samples_scraped", "gauge", "The number of samples the target exposed.", JOBS, 3),
        _m(
            "node_scrape_collector_success",
            "gauge",
            "node_exporter: Whether a collector succeeded.",
            {**NODE, "collector": ("cpu", "meminfo", "netdev")},
            3,
        ),
    ]


# --- intent: bounds and horizons said in words


def test_a_bound_said_as_one_unit_of_time_is_that_many_seconds() -> None:
    """ "an average TTL of more than a minute": a bound of 60 s on it."""
    promql = answer("Which redis dbs have an average TTL of more than a minute?", metrics())
    assert promql.startswith("redis_db_avg_ttl_seconds")
    assert promql.endswith("> 60")


def test_a_minute_ago_is_no_bound() -> None:
    """ "faster than a minute ago": a comparison with then, no bound of 60."""
    promql = answer("Is redis running more commands than a minute ago?", metrics())
    assert "> 60" not in promql
    assert "< 60" not in promql


def test_a_bound_held_the_whole_window_is_on_its_highest_value() -> None:
    """ "stayed under 1 second the whole last 10 minutes": its highest over the window under
    the bound; a bound in seconds of probes is on how long they take."""
    promql = answer("which probes have stayed under 1 second the whole last 10 minutes?", metrics())
    assert promql == "max_over_time(probe_duration_seconds[10m]) < 1"


def test_a_count_ahead_at_the_pace_of_now_is_the_rate_times_the_time() -> None:
    """ "how many will it commit over the next hour": the per-second rate times 3600."""
    promql = answer(
        "At the current pace, how many transactions will the shop database commit over the"
        " next hour?",
        metrics(),
    )
    assert "rate(pg_stat_database_xact_commit" in promql
    assert promql.endswith("* 3600")


# --- compose: amounts, shares and points in time


def test_an_amount_in_the_counters_own_unit_over_a_window_is_its_increase() -> None:
    """ "cpu seconds used by each job over the last hour": seconds counted, not cores."""
    promql = answer("cpu seconds used by each job over the last hour", metrics())
    assert promql == "sum by (job) (increase(process_cpu_seconds_total[1h]))"


def test_a_metric_in_percent_asked_as_a_percentage_is_the_answer_as_it_is() -> None:
    """ "what percentage of keys have expired but not been cleaned up": the stale keys'
    percentage, as the exporter gives it (no share worked out of other metrics)."""
    promql = answer(
        "roughly what percentage of redis keys have expired but not been cleaned up yet?",
        metrics(),
    )
    assert promql == 'redis_expired_stale_percentage{job="redis"}'


def test_what_is_still_free_of_a_limit_is_one_less_the_share_used() -> None:
    """ "what percentage of maxmemory is still free": 1 - used / max, in percent."""
    promql = answer("What percentage of redis's maxmemory is still free?", metrics())
    assert promql == (
        '100 * (1 - redis_memory_used_bytes{job="redis"} / redis_memory_max_bytes{job="redis"})'
    )


def test_the_share_that_one_value_has_of_a_metric_is_it_filtered_over_all_of_it() -> None:
    """ "what percentage of all scraped samples come from the node exporter": the node's
    samples over everyone's, one number."""
    promql = answer(
        "What percentage of all scraped samples come from the node exporter?", metrics()
    )
    assert promql == (
        '100 * (sum(scrape_samples_scraped{job="node"}) / sum(scrape_samples_scraped))'
    )


def test_when_asks_for_a_point_in_time() -> None:
    """ "when was redis last (re)started": its start time, a timestamp as it is — not the
    last slowlog id, nor the last AOF rewrite ("re" of "rewrite" is no restart)."""
    promql = answer("When was redis last (re)started?", metrics())
    assert promql == 'redis_start_time_seconds{job="redis"}'


# --- filters: a kind of thing left out


def test_non_and_a_word_leaves_out_the_values_that_begin_with_it() -> None:
    """ "non-template databases": every database but template0 and template1, counted."""
    promql = answer("how many non-template databases are there on the postgres server", metrics())
    assert promql.startswith("count(")
    assert 'datname!~"template0|template1"' in promql


# --- choose: the glossary's words, and what a name says of its system


def test_tcp_segments_are_the_kernels_segs() -> None:
    """ "TCP segments … sending": OutSegs, not OutRsts (resets)."""
    promql = answer("How many TCP segments is the host sending per second?", metrics())
    assert "node_netstat_Tcp_OutSegs" in promql


def test_connection_attempts_are_dials() -> None:
    """ "connection attempts … failed, by reason": the dialer's failed connections."""
    promql = answer(
        "how many connection attempts by prometheus's scrapers failed in the last hour, by reason",
        metrics(),
    )
    assert "increase(net_conntrack_dialer_conn_failed_total" in promql
    assert "reason" in promql


def test_probe_targets_are_the_probes_not_scrapes() -> None:
    """ "probe targets", "across all targets" of probes: the probes' targets, no scrape."""
    assert "scrape" not in answer("How many probe targets do we have in total?", metrics())
    promql = answer("average probe duration across all targets, ms", metrics())
    assert "probe_duration_seconds" in promql


def test_a_metric_of_a_part_of_the_system_named_is_not_the_systems_own() -> None:
    """ "goroutines in prometheus": all its goroutines, not its tree cache watcher's."""
    promql = answer("peak number of goroutines in prometheus over the last 10 min", metrics())
    assert promql.startswith("max_over_time(go_goroutines")
