"""Plain-English questions about the demo world, each with the metrics it needs.

A question needs every metric listed (e.g. usage and limit for a percentage of
the limit). Written as users ask, not as metric names; the search code never
sees this file.
"""

from __future__ import annotations

CPU = "container_cpu_usage_seconds_total"
MEMORY = "container_memory_usage_bytes"
MEMORY_LIMIT = "container_spec_memory_limit_bytes"
FS_READS = "container_fs_reads_bytes_total"
FS_WRITES = "container_fs_writes_total"
NET_RX = "container_network_receive_bytes_total"
NET_TX = "container_network_transmit_bytes_total"
REQUESTS = "http_requests_total"
BUCKET = "http_request_duration_seconds_bucket"
DURATION_SUM = "http_request_duration_seconds_sum"
DURATION_COUNT = "http_request_duration_seconds_count"
UP = "up"

QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    # CPU
    ("Which service uses the most CPU?", (CPU,)),
    ("CPU usage of the catalog pods in production", (CPU,)),
    ("How many CPU cores is payment using right now?", (CPU,)),
    ("cpu consumption per namespace", (CPU,)),
    ("compare CPU usage of production and staging", (CPU,)),
    ("CPU seconds consumed by the cache pods over the last 24 hours", (CPU,)),
    ("is any container CPU throttled or saturated", (CPU,)),
    # memory
    ("memory usage of the cache service", (MEMORY,)),
    ("Which pod is closest to its memory limit?", (MEMORY, MEMORY_LIMIT)),
    ("memory limit of the database container", (MEMORY_LIMIT,)),
    ("how much RAM does checkout use", (MEMORY,)),
    ("memory utilisation as a percentage of the limit for api-gateway", (MEMORY, MEMORY_LIMIT)),
    ("top 5 pods by memory", (MEMORY,)),
    ("memory of pods in the staging namespace", (MEMORY,)),
    # filesystem
    ("disk read throughput of storage", (FS_READS,)),
    ("how many filesystem writes per second does the database do", (FS_WRITES,)),
    ("bytes read from disk by each container", (FS_READS,)),
    ("write operations on disk for the storage pods", (FS_WRITES,)),
    # network
    ("network traffic received by frontend", (NET_RX,)),
    ("outbound network bandwidth of the storage service", (NET_TX,)),
    ("bytes sent over the network per pod", (NET_TX,)),
    ("incoming network bytes per second in staging", (NET_RX,)),
    ("total network I/O of the api service, in and out", (NET_RX, NET_TX)),
    # requests and errors
    ("request rate of checkout", (REQUESTS,)),
    ("how many requests per second does the api-gateway handle", (REQUESTS,)),
    ("error rate of payment", (REQUESTS,)),
    ("percentage of 5xx responses for the catalog service", (REQUESTS,)),
    ("how many 503 errors did payment return in the last hour", (REQUESTS,)),
    ("404 responses of the frontend", (REQUESTS,)),
    ("traffic per endpoint for the auth service", (REQUESTS,)),
    ("which endpoint of api gets the most POST requests", (REQUESTS,)),
    ("requests to /checkout broken down by status code", (REQUESTS,)),
    ("total HTTP requests across all services in production", (REQUESTS,)),
    ("which service has the highest error ratio", (REQUESTS,)),
    ("how many requests per second hit /api/v1/orders", (REQUESTS,)),
    # latency
    ("p95 latency of checkout over the last hour", (BUCKET,)),
    ("99th percentile response time of the api-gateway", (BUCKET,)),
    ("median request duration of the database", (BUCKET,)),
    ("average latency of payment", (DURATION_SUM, DURATION_COUNT)),
    ("which endpoint of catalog has the highest p99 latency", (BUCKET,)),
    ("how long do requests to /payments take", (BUCKET,)),
    ("latency distribution of the frontend", (BUCKET,)),
    ("mean time to answer a request for storage", (DURATION_SUM, DURATION_COUNT)),
    ("share of cache requests slower than 100ms", (BUCKET,)),
    # availability and scraping
    ("Is the payment service up?", (UP,)),
    ("which targets are down", (UP,)),
    ("how many instances of auth are being scraped successfully", (UP,)),
    ("availability of the cache service over the last day", (UP,)),
    ("how long does scraping the payment target take", ("scrape_duration_seconds",)),
    ("how many samples does each target expose", ("scrape_samples_scraped",)),
    # written after the search was tuned on the ones above, as a check on overfitting
    ("how busy is the checkout CPU", (CPU,)),
    ("are there any failing requests on auth", (REQUESTS,)),
    ("data written to disk by cache", (FS_WRITES,)),
    ("response time of the /api/v1/orders endpoint", (BUCKET,)),
    ("how much memory is the frontend allowed to use", (MEMORY_LIMIT,)),
    ("download traffic of the catalog pods", (NET_RX,)),
    ("slow requests on payment", (BUCKET,)),
    ("HTTP 500s in production", (REQUESTS,)),
    ("is storage healthy", (UP,)),
    ("throughput in requests per second of the frontend", (REQUESTS,)),
    ("working set memory of database pods", (MEMORY,)),
    ("garbage collection pauses of prometheus", ("go_gc_duration_seconds",)),
    ("how much memory does prometheus itself use", ("process_resident_memory_bytes",)),
    ("open file descriptors of prometheus", ("process_open_fds",)),
]
