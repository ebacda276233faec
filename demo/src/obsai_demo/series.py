"""Metric families and the series of the estate, each a pure function of time.

The exporter and the backfill both read this one list, so a series has the same
name, labels and value whether it was scraped or backfilled.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from obsai_demo import model
from obsai_demo.estate import Endpoint, Pod, build_pods

ValueAt = Callable[[float], float]

CONTAINER_LABELS = ("service", "namespace", "environment", "pod", "container")
REQUEST_LABELS = ("service", "namespace", "environment", "pod", "endpoint", "method", "status")
DURATION_LABELS = ("service", "namespace", "environment", "pod", "endpoint", "method")
# The `le` values of model.BUCKET_BOUNDS as prometheus_client writes them (repr,
# "+Inf"); scraped and backfilled buckets must be the very same series.
BUCKET_LABELS: tuple[str, ...] = tuple(
    "+Inf" if math.isinf(bound) else repr(bound) for bound in model.BUCKET_BOUNDS
)


class Kind(enum.Enum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class Family:
    """A metric family as it is exposed (counter names keep their `_total`)."""

    name: str
    kind: Kind
    help: str
    unit: str
    label_names: tuple[str, ...]

    @property
    def metadata_name(self) -> str:
        """The OpenMetrics family name: a counter's name without `_total`."""
        if self.kind is Kind.COUNTER:
            return self.name.removesuffix("_total")
        return self.name


@dataclass(frozen=True)
class Series:
    """A counter or gauge series."""

    label_values: tuple[str, ...]
    service: str
    namespace: str
    value_at: ValueAt


@dataclass(frozen=True)
class HistogramPoint:
    buckets: tuple[float, ...]
    count: float
    sum: float


@dataclass(frozen=True)
class HistogramSeries:
    """A histogram series: cumulative buckets share one request counter."""

    label_values: tuple[str, ...]
    service: str
    namespace: str
    requests: model.Wave
    restart_offset: float
    fractions: tuple[float, ...]
    mean_seconds: float

    def at(self, t: float) -> HistogramPoint:
        observed = model.counter(self.requests, self.restart_offset, t)
        buckets = tuple(float(math.floor(observed * f)) for f in self.fractions)
        return HistogramPoint(buckets, buckets[-1], observed * self.mean_seconds)


@dataclass(frozen=True)
class FamilySeries:
    family: Family
    series: tuple[Series | HistogramSeries, ...]


CPU = Family(
    "container_cpu_usage_seconds_total",
    Kind.COUNTER,
    "Cumulative cpu time consumed in seconds.",
    "seconds",
    CONTAINER_LABELS,
)
MEMORY = Family(
    "container_memory_usage_bytes",
    Kind.GAUGE,
    "Current memory usage in bytes, including all memory regardless of when it was accessed.",
    "bytes",
    CONTAINER_LABELS,
)
MEMORY_LIMIT = Family(
    "container_spec_memory_limit_bytes",
    Kind.GAUGE,
    "Memory limit for the container.",
    "bytes",
    CONTAINER_LABELS,
)
FS_READS = Family(
    "container_fs_reads_bytes_total",
    Kind.COUNTER,
    "Cumulative count of bytes read.",
    "bytes",
    CONTAINER_LABELS,
)
FS_WRITES = Family(
    "container_fs_writes_total",
    Kind.COUNTER,
    "Cumulative count of writes completed.",
    "",
    CONTAINER_LABELS,
)
NET_RECEIVE = Family(
    "container_network_receive_bytes_total",
    Kind.COUNTER,
    "Cumulative count of bytes received.",
    "bytes",
    CONTAINER_LABELS,
)
NET_TRANSMIT = Family(
    "container_network_transmit_bytes_total",
    Kind.COUNTER,
    "Cumulative count of bytes transmitted.",
    "bytes",
    CONTAINER_LABELS,
)
REQUESTS = Family(
    "http_requests_total",
    Kind.COUNTER,
    "Total HTTP requests handled, by endpoint, method and status code.",
    "",
    REQUEST_LABELS,
)
DURATION = Family(
    "http_request_duration_seconds",
    Kind.HISTOGRAM,
    "Time spent answering HTTP requests.",
    "seconds",
    DURATION_LABELS,
)


def _constant(value: float, _t: float) -> float:
    return value


def _memory_at(wave: model.Wave, t: float) -> float:
    return model.whole_pages(wave.at(t))


def _requests_with_status(wave: model.Wave, offset: float, share: float, t: float) -> float:
    # Whole requests; flooring a rising value keeps the counter monotonic.
    return float(math.floor(model.counter(wave, offset, t) * share))


def _container_families(pods: tuple[Pod, ...]) -> list[FamilySeries]:
    def counter(wave: Callable[[Pod], model.Wave]) -> Callable[[Pod], ValueAt]:
        return lambda pod: partial(model.counter, wave(pod), model.restart_offset(pod))

    def family(f: Family, value_of: Callable[[Pod], ValueAt]) -> FamilySeries:
        return FamilySeries(
            f,
            tuple(
                Series(_container_labels(pod), pod.service.name, pod.namespace, value_of(pod))
                for pod in pods
            ),
        )

    return [
        family(CPU, counter(model.cpu_wave)),
        family(MEMORY, lambda pod: partial(_memory_at, model.memory_wave(pod))),
        family(MEMORY_LIMIT, lambda pod: partial(_constant, pod.service.memory_limit_bytes)),
        family(FS_READS, counter(model.fs_read_wave)),
        family(FS_WRITES, counter(model.fs_writes_wave)),
        family(NET_RECEIVE, counter(model.receive_wave)),
        family(NET_TRANSMIT, counter(model.transmit_wave)),
    ]


def _container_labels(pod: Pod) -> tuple[str, ...]:
    name = pod.service.name
    return (name, pod.namespace, pod.environment, pod.name, name)


def _endpoint_labels(pod: Pod, endpoint: Endpoint) -> tuple[str, ...]:
    service = pod.service.name
    return (service, pod.namespace, pod.environment, pod.name, endpoint.path, endpoint.method)


def _request_series(pod: Pod) -> list[Series]:
    offset = model.restart_offset(pod)
    return [
        Series(
            (*_endpoint_labels(pod, endpoint), status),
            pod.service.name,
            pod.namespace,
            partial(_requests_with_status, model.requests_wave(pod, endpoint), offset, share),
        )
        for endpoint in pod.service.endpoints
        for status, share in pod.service.status_shares()
    ]


def _duration_series(pod: Pod) -> list[HistogramSeries]:
    sigma = pod.service.latency_sigma
    return [
        HistogramSeries(
            _endpoint_labels(pod, endpoint),
            pod.service.name,
            pod.namespace,
            model.requests_wave(pod, endpoint),
            model.restart_offset(pod),
            model.latency_fractions(endpoint, sigma),
            model.mean_latency(endpoint, sigma),
        )
        for endpoint in pod.service.endpoints
    ]


def build_families(pods: tuple[Pod, ...] | None = None) -> tuple[FamilySeries, ...]:
    """Every family of the estate with all of its series, in a stable order."""
    pods = build_pods() if pods is None else pods
    requests = [s for pod in pods for s in _request_series(pod)]
    durations = [s for pod in pods for s in _duration_series(pod)]
    return (
        *_container_families(pods),
        FamilySeries(REQUESTS, tuple(requests)),
        FamilySeries(DURATION, tuple(durations)),
    )
