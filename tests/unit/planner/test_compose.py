"""Stage 3 — compose: PromQL by the metric's type and the operation asked.

Each case is a question, the PromQL the planner writes for it on a fixed
grounding, and its unit. Every PromQL is also checked by the validator.
"""

from __future__ import annotations

import pytest

from tests.unit.planner.conftest import exporter_metrics, plan

DEMO = [
    # counters: rate, or increase over the window asked
    (
        "What is the CPU usage for the auth service?",
        'sum by (service) (rate(container_cpu_usage_seconds_total{service="auth"}[5m]))',
        "cores",
    ),
    (
        "How many requests did payment serve in the last hour?",
        'sum by (service) (increase(http_requests_total{service="payment"}[1h]))',
        "count",
    ),
    # gauges: as they are, or over time
    (
        "average memory usage of the api service over the last hour",
        'sum by (service) (avg_over_time(container_memory_usage_bytes{service="api"}[1h]))',
        "bytes",
    ),
    (
        "How fast is memory usage growing for the cache service?",
        'sum by (service) (deriv(container_memory_usage_bytes{service="cache"}[10m]))',
        "bytes_per_second",
    ),
    # histograms: quantiles keep `le`; the average is _sum / _count
    (
        "What's the 95th percentile response time for the checkout service?",
        "histogram_quantile(0.95, sum by (le, service) "
        '(rate(http_request_duration_seconds_bucket{service="checkout"}[5m])))',
        "seconds",
    ),
    (
        "average response time of the auth service",
        'sum by (service) (rate(http_request_duration_seconds_sum{service="auth"}[5m])) '
        '/ sum by (service) (rate(http_request_duration_seconds_count{service="auth"}[5m]))',
        "seconds",
    ),
    (
        "Compare 50th, 95th, and 99th percentile latency",
        'label_replace(histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))), "quantile", "0.5", "", "") or '  # noqa: E501
        'label_replace(histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))), "quantile", "0.95", "", "") or '  # noqa: E501
        'label_replace(histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))), "quantile", "0.99", "", "")',  # noqa: E501
        "seconds",
    ),
    # errors: a share of the requests through the status label, or their rate
    (
        "What's the error rate for the payment service?",
        'sum by (service) (rate(http_requests_total{service="payment", status=~"5.."}[5m])) '
        '/ sum by (service) (rate(http_requests_total{service="payment"}[5m]))',
        "ratio",
    ),
    (
        "5xx responses per second for payment",
        'sum by (service) (rate(http_requests_total{service="payment", status=~"5.."}[5m]))',
        "per_second",
    ),
    (
        "Compare client errors vs server errors for the auth service",
        'sum by (class, service) (label_replace(rate(http_requests_total{service="auth", '
        'status=~"[45].."}[5m]), "class", "${1}xx", "status", "(.).."))',
        "per_second",
    ),
    (
        "availability of checkout over the last hour (share of requests without a 5xx)",
        'sum by (service) (rate(http_requests_total{service="checkout", status!~"5.."}[1h])) '
        '/ sum by (service) (rate(http_requests_total{service="checkout"}[1h]))',
        "ratio",
    ),
    # used / limit, per pod (a pod is named within its namespace)
    (
        "Which pods are close to running out of memory?",
        "(sum by (namespace, pod) (container_memory_usage_bytes) / sum by (namespace, pod) "
        "(container_spec_memory_limit_bytes)) > 0.85",
        "ratio",
    ),
    # around it: comparisons, peaks, units, thresholds, top k
    (
        "Compare latency now vs 1 hour ago",
        "(histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))) "
        "/ (histogram_quantile(0.95, sum by (le) "
        "(rate(http_request_duration_seconds_bucket[5m] offset 1h))))",
        "ratio",
    ),
    (
        "What was the peak CPU usage in the last week?",
        "max_over_time((sum(rate(container_cpu_usage_seconds_total[5m])))[7d:5m])",
        "cores",
    ),
    (
        "how much memory is auth using in MB",
        '(sum by (service) (container_memory_usage_bytes{service="auth"})) / 1048576',
        "",
    ),
    (
        "Which pods use more than 2 GiB of memory?",
        "sum by (namespace, pod) (container_memory_usage_bytes) > 2147483648",
        "bytes",
    ),
    (
        "Which services have error rates above 1%?",
        '(sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) '
        "/ sum by (service) (rate(http_requests_total[5m]))) > 0.01",
        "ratio",
    ),
    (
        "Which services have CPU usage above 80%?",  # of one core, with no limit to compare to
        "avg by (service) (rate(container_cpu_usage_seconds_total[5m])) > 0.8",
        "ratio",
    ),
    (
        "Which service reads the most from disk?",
        "topk(1, sum by (service) (rate(container_fs_reads_bytes_total[5m])))",
        "bytes_per_second",
    ),
    (
        "top 4 pods by cpu",
        "topk(4, sum by (namespace, pod) (rate(container_cpu_usage_seconds_total[5m])))",
        "cores",
    ),
    (
        "Compare CPU usage between auth and payment services",
        'sum by (service) (rate(container_cpu_usage_seconds_total{service=~"auth|payment"}[5m]))',
        "cores",
    ),
    # none up is 0, not "no data"
    ("How many scrape targets are up?", "count(up == 1) or vector(0)", "count"),
    ("is payment up?", 'up{service="payment"}', ""),  # each target, as it is
    (
        "What's breaking right now?",
        '(sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) '
        "/ sum by (service) (rate(http_requests_total[5m]))) > 0.05",
        "ratio",
    ),
]

EXPORTERS = [
    (
        "What percentage of CPU is in use on the node?",
        '100 * (1 - avg by (job) (rate(node_cpu_seconds_total{job="node", mode="idle"}[5m])))',
        "percent",
    ),
    (
        "memory utilisation of the node in percent",
        '100 * (1 - node_memory_MemAvailable_bytes{job="node"} '
        '/ node_memory_MemTotal_bytes{job="node"})',
        "percent",
    ),
    (
        "What percentage of the root filesystem is used?",
        '100 * (1 - node_filesystem_avail_bytes{mountpoint="/"} '
        '/ node_filesystem_size_bytes{mountpoint="/"})',
        "percent",
    ),
    (
        "How much free space will / have in 4 hours?",
        'predict_linear(node_filesystem_avail_bytes{mountpoint="/"}[1h], 14400)',
        "bytes",
    ),
    (
        "redis cache hit ratio",
        'rate(redis_keyspace_hits_total{job="redis"}[5m]) / (rate(redis_keyspace_hits_total'
        '{job="redis"}[5m]) + rate(redis_keyspace_misses_total{job="redis"}[5m]))',
        "ratio",
    ),
    (
        "What share of transactions in the shop database are rolled back?",
        'rate(pg_stat_database_xact_rollback{datname="shop"}[5m]) / (rate(pg_stat_database_'
        'xact_rollback{datname="shop"}[5m]) + rate(pg_stat_database_xact_commit{datname="shop"}'
        "[5m]))",
        "ratio",
    ),
    (
        "redis memory usage as a percentage of maxmemory",
        '100 * (redis_memory_used_bytes{job="redis"} / redis_memory_max_bytes{job="redis"})',
        "percent",
    ),
    (
        "average time per redis GET command",
        'rate(redis_commands_duration_seconds_total{cmd="get", job="redis"}[5m]) '
        '/ rate(redis_commands_total{cmd="get", job="redis"}[5m])',
        "seconds",
    ),
    (
        "p99 latency of redis SET commands",  # quantiles written in percent, microseconds
        'redis_latency_percentiles_usec{cmd="set", job="redis", quantile="99"} / 1000000',
        "seconds",
    ),
    ("How long has the node been up?", 'time() - node_boot_time_seconds{job="node"}', "seconds"),
    (
        "How many CPUs does the node have?",
        'count(sum by (cpu, job) (rate(node_cpu_seconds_total{cpu!="", job="node"}[5m])))',
        "count",
    ),
    (
        "How many redis databases have keys?",
        'count(sum by (db, job) (redis_db_keys{db!="", job="redis"}) > 0)',
        "count",
    ),
    ("Which probes are failing?", "probe_success == 0", ""),
    (
        "How many series are in Prometheus's head block?",
        'prometheus_tsdb_head_series{job="prometheus"}',
        "",
    ),
    ("database size per database", "sum by (datname) (pg_database_size_bytes)", "bytes"),
    (
        "total size of all postgres databases",  # postgres's databases, not the one so named
        'sum by (job) (pg_database_size_bytes{job="postgres"})',
        "bytes",
    ),
    (
        "transactions committed in the last hour per database",
        "sum by (datname) (increase(pg_stat_database_xact_commit[1h]))",
        "count",
    ),
    (
        "average time per disk read on vda",  # divided by a count of reads, not by bytes
        'rate(node_disk_read_time_seconds_total{device="vda"}[5m]) '
        '/ rate(node_disk_reads_completed_total{device="vda"}[5m])',
        "seconds",
    ),
    (
        "How long has each exporter process been running?",  # each process is a series
        "time() - process_start_time_seconds",
        "seconds",
    ),
    ("1 minute load average", "node_load1", ""),
]


@pytest.mark.parametrize(("question", "promql", "unit"), DEMO)
def test_demo_world(question: str, promql: str, unit: str) -> None:
    generation = plan(question)
    assert generation.promql == promql
    assert generation.unit == unit


@pytest.mark.parametrize(("question", "promql", "unit"), EXPORTERS)
def test_exporters(question: str, promql: str, unit: str) -> None:
    generation = plan(question, exporter_metrics())
    assert generation.promql == promql
    assert generation.unit == unit


def test_a_window_summary_is_evaluated_once_at_its_end() -> None:
    assert plan("How many requests did payment serve in the last hour?").instant
    assert plan("What was the peak CPU usage in the last week?").instant
    # "for the last 24 hours" with a plain rate is a graph, not one number.
    assert not plan("Show me request rate for the last 24 hours").instant


def test_rate_is_never_put_on_a_gauge() -> None:
    assert "rate(" not in plan("memory of the cache service").promql


def test_histograms_keep_le() -> None:
    promql = plan("p99 latency per endpoint for checkout").promql
    assert promql.startswith("histogram_quantile(0.99, sum by (le, endpoint, service)")
