"""Fixed groundings for the planner's unit tests: the demo world's metrics (shared with
the query tests) and a few exporters' (node, Redis, PostgreSQL, blackbox, Prometheus),
shaped like what the catalog returns for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from obsai_query.catalog_client import Example, MetricInfo
from obsai_query.engines.base import Generation
from obsai_query.grounding import Grounding
from obsai_query.planner import Planner, default_vocabulary
from obsai_query.planner.verify import lookup_for
from obsai_query.planner.vocabulary import Vocabulary
from obsai_query.time_range import resolve_window
from obsai_query.validator import PromqlValidator
from tests.unit.query.memory_catalog import demo_metrics

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
# The labels of one exporter's series, for the tests' small groundings.
NODE = {"instance": ("127.0.0.1:9100",), "job": ("node",)}
REDIS = {"instance": ("127.0.0.1:9121",), "job": ("redis",)}
PROM = {"instance": ("127.0.0.1:9090",), "job": ("prometheus",)}
TCP_PROBES = {"instance": ("127.0.0.1:1", "127.0.0.1:2"), "job": ("tcp-probe",)}
HTTP_PROBES = {"instance": ("http://a/metrics", "http://b/health"), "job": ("http-probe",)}
PG = {
    "instance": ("127.0.0.1:9187",),
    "job": ("postgres",),
    "datname": ("inventory", "postgres", "shop"),
}
JOBS = ("node", "redis", "postgres", "prometheus", "http-probe")


def _m(
    name: str,
    kind: str,
    help_text: str,
    labels: dict[str, tuple[str, ...]],
    series: int = 1,
    unit: str = "",
    family: str = "",
    services: Sequence[str] = (),
) -> MetricInfo:
    return MetricInfo(name, kind, help_text, unit, family or name, labels, series, tuple(services))


def exporter_metrics() -> list[MetricInfo]:
    cpu = {**NODE, "cpu": ("0", "1"), "mode": ("idle", "iowait", "system", "user")}
    fs = {**NODE, "device": ("/dev/vda",), "fstype": ("ext4",), "mountpoint": ("/", "/boot")}
    cmd = {**REDIS, "cmd": ("get", "set", "incrby", "hset")}
    return [
        _m(
            "node_cpu_seconds_total",
            "counter",
            "Seconds the CPUs spent in each mode.",
            cpu,
            8,
            "seconds",
        ),
        _m(
            "node_memory_MemAvailable_bytes",
            "gauge",
            "Memory information field MemAvailable_bytes.",
            NODE,
            unit="bytes",
        ),
        _m(
            "node_memory_MemTotal_bytes",
            "gauge",
            "Memory information field MemTotal_bytes.",
            NODE,
            unit="bytes",
        ),
        _m(
            "node_memory_MemFree_bytes",
            "gauge",
            "Memory information field MemFree_bytes.",
            NODE,
            unit="bytes",
        ),
        _m(
            "node_filesystem_avail_bytes",
            "gauge",
            "Filesystem space available to non-root users in bytes.",
            fs,
            2,
            "bytes",
        ),
        _m("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.", fs, 2, "bytes"),
        _m(
            "node_network_receive_bytes_total",
            "counter",
            "Network device statistic receive_bytes.",
            {**NODE, "device": ("eth0", "lo")},
            2,
            "bytes",
        ),
        _m("node_boot_time_seconds", "gauge", "Node boot time, in unixtime.", NODE, unit="seconds"),
        _m("node_load1", "gauge", "1m load average.", NODE),
        _m(
            "node_disk_read_time_seconds_total",
            "counter",
            "The total number of seconds spent by all reads.",
            {**NODE, "device": ("vda",)},
            unit="seconds",
        ),
        _m(
            "node_disk_read_bytes_total",
            "counter",
            "The total number of bytes read successfully.",
            {**NODE, "device": ("vda",)},
            unit="bytes",
        ),
        _m(
            "node_disk_reads_completed_total",
            "counter",
            "The total number of reads completed successfully.",
            {**NODE, "device": ("vda",)},
        ),
        _m(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            {"instance": ("a", "b", "c", "d", "e"), "job": JOBS},
            5,
            "seconds",
            services=JOBS,
        ),
        _m("redis_up", "gauge", "Information about the Redis instance", REDIS),
        _m("redis_memory_used_bytes", "gauge", "memory_used_bytes metric", REDIS, unit="bytes"),
        _m("redis_memory_max_bytes", "gauge", "memory_max_bytes metric", REDIS, unit="bytes"),
        _m("redis_keyspace_hits_total", "counter", "keyspace_hits_total metric", REDIS),
        _m("redis_keyspace_misses_total", "counter", "keyspace_misses_total metric", REDIS),
        _m("redis_commands_total", "counter", "Total number of calls per command", cmd, 4),
        _m(
            "redis_commands_duration_seconds_total",
            "counter",
            "Total amount of time in seconds spent per command",
            cmd,
            4,
            "seconds",
        ),
        _m(
            "redis_latency_percentiles_usec",
            "summary",
            "A summary of latency percentile distribution per command",
            {**cmd, "quantile": ("50", "99", "99.9")},
            12,
        ),
        _m(
            "redis_db_keys",
            "gauge",
            "Total number of keys by DB",
            {**REDIS, "db": ("db0", "db1", "db2")},
            3,
        ),
        _m(
            "pg_up",
            "gauge",
            "Whether the last scrape of metrics from PostgreSQL was able to connect to the server",
            {"instance": PG["instance"], "job": PG["job"]},
        ),
        _m(
            "pg_stat_database_xact_commit",
            "counter",
            "Number of transactions in this database that have been committed",
            PG,
            3,
        ),
        _m(
            "pg_stat_database_xact_rollback",
            "counter",
            "Number of transactions in this database that have been rolled back",
            PG,
            3,
        ),
        _m("pg_database_size_bytes", "gauge", "Disk space used by the database", PG, 3, "bytes"),
        _m(
            "probe_success",
            "gauge",
            "Displays whether or not the probe was a success",
            {"instance": ("http://a/metrics", "http://b/health"), "job": ("http-probe",)},
            2,
        ),
        _m(
            "prometheus_tsdb_head_series",
            "gauge",
            "Total number of series in the head block.",
            {"instance": ("127.0.0.1:9090",), "job": ("prometheus",)},
        ),
        _m(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            {"instance": ("a", "b", "c", "d", "e"), "job": JOBS},
            5,
            "bytes",
            services=JOBS,
        ),
        _m(
            "up",
            "gauge",
            "Whether the target is up (available, healthy, reachable).",
            {"instance": ("a", "b", "c", "d", "e"), "job": JOBS},
            5,
            services=JOBS,
        ),
    ]


def plan(
    question: str,
    metrics: Sequence[MetricInfo] | None = None,
    examples: tuple[Example, ...] = (),
) -> Generation:
    """The planner's answer, checked by the validator like the pipeline would."""
    chosen = tuple(demo_metrics() if metrics is None else metrics)
    window = resolve_window(question=question, now=NOW)
    grounding = Grounding(question, window, chosen, examples=examples)
    generation = Planner().plan(question, grounding)
    span = 0.0 if generation.instant else window.duration
    for part in generation.parts:
        lookup = lookup_for([part.promql], grounding.by_name)
        report = PromqlValidator().validate(part.promql, lookup, span)
        assert report.ok, (part.promql, report.problems)
    return generation


def answer(question: str, metrics: Sequence[MetricInfo]) -> str:
    """The PromQL of the planner's first part for `question` over `metrics`."""
    return plan(question, metrics).promql


@pytest.fixture(scope="session")
def vocab() -> Vocabulary:
    return default_vocabulary()


@pytest.fixture(scope="session")
def demo() -> list[MetricInfo]:
    return demo_metrics()


@pytest.fixture(scope="session")
def exporters() -> list[MetricInfo]:
    return exporter_metrics()
