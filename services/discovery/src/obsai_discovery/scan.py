"""One scan of one source, in a number of HTTP requests that does not grow with labels.

The original crawler asked `/api/v1/series` once per metric and a label's
values once per metric and label: about metrics * (labels + 1) requests. A scan
here makes:

1. `GET /api/v1/metadata` — types, help and units of every family (1 request);
2. `GET /api/v1/label/__name__/values?start&end` — the names with samples in the
   lookback window (1 request; excluded names are dropped here, never fetched);
3. `POST /api/v1/series` with many `match[]={__name__="..."}` selectors per
   request, for the same window. Everything else — label names, up to N sampled
   values per label, series counts, services, namespaces — is aggregated from
   those label sets in memory. The number of names per request adapts to the
   series seen so far so one response holds about `series_per_request` series:
   ≈ 2 + max(series / series_per_request, names / max_names_per_request) requests.

Metrics are complete as soon as their chunk is aggregated, because a chunk holds
every series of its names, so they are pushed to the catalog while the next
chunks are fetched; memory holds a chunk and a push batch, not the whole estate.
Services (which span chunks) are pushed at the end, then the scan is completed,
which lets the catalog mark what it did not see as stale. A failed scan is
never completed, so a half-read source can't make the catalog forget anything.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from obsai_common.errors import ObsaiError, UpstreamError
from obsai_discovery.families import reconcile_all, resolve
from obsai_discovery.prometheus import PrometheusAPI
from obsai_discovery.records import (
    DiscoveredMetric,
    DiscoveredService,
    LabelSample,
    ScanReport,
)

log = logging.getLogger(__name__)

NAME_LABEL = "__name__"


class CatalogSink(Protocol):
    """Where a scan's results go (the catalog, over gRPC)."""

    async def apply(
        self,
        source: str,
        scan_id: str,
        services: Sequence[DiscoveredService],
        metrics: Sequence[DiscoveredMetric],
    ) -> None: ...

    async def complete(self, source: str, scan_id: str, grace_seconds: int) -> int:
        """Closes the scan; returns how many metrics the catalog marked stale."""
        ...


@dataclass(frozen=True, slots=True)
class ScanOptions:
    lookback_seconds: float = 3600.0
    service_labels: tuple[str, ...] = ("service", "app", "application", "job")
    namespace_label: str = "namespace"
    max_label_values: int = 50
    exclude: tuple[str, ...] = ()
    series_per_request: int = 20_000
    max_names_per_request: int = 1000
    first_names_per_request: int = 100
    concurrency: int = 2
    push_batch_size: int = 250
    stale_grace_seconds: int = 0


class ValueSample:
    """The `limit` smallest distinct values seen, and whether there were more.

    Keeping the smallest (not the first) makes the sample the same on every run,
    whatever order Prometheus answers in, so a re-run changes nothing.
    """

    __slots__ = ("_limit", "_values", "truncated")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: set[str] = set()
        self.truncated = False

    def add(self, value: str) -> None:
        self._values.add(value)
        if len(self._values) > 4 * self._limit:
            self._values = set(sorted(self._values)[: self._limit])
            self.truncated = True

    def result(self) -> tuple[tuple[str, ...], bool]:
        values = sorted(self._values)
        if len(values) > self._limit:
            return tuple(values[: self._limit]), True
        return tuple(values), self.truncated


@dataclass
class _MetricAggregate:
    series: int = 0
    labels: dict[str, ValueSample] = field(default_factory=dict)
    services: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)


@dataclass
class ServiceAggregate:
    source_rank: int
    source_label: str
    series: int = 0
    namespaces: set[str] = field(default_factory=set)


class ChunkPlanner:
    """Hands out names in chunks sized so a response holds about `target` series."""

    def __init__(self, names: Sequence[str], target: int, first: int, maximum: int) -> None:
        self._names = list(names)
        self._next = 0
        self._target = target
        self._size = max(1, min(first, maximum))
        self._maximum = maximum
        self._seen_names = 0
        self._seen_series = 0

    def take(self) -> list[str]:
        chunk = self._names[self._next : self._next + self._size]
        self._next += len(chunk)
        return chunk

    def observe(self, names: int, series: int) -> None:
        self._seen_names += names
        self._seen_series += series
        per_name = max(self._seen_series / max(self._seen_names, 1), 1.0)
        self._size = max(1, min(self._maximum, int(self._target / per_name)))


class Aggregator:
    """Folds label sets into metrics (per chunk) and services (across the scan)."""

    def __init__(self, options: ScanOptions) -> None:
        self._options = options
        self._rank = {label: i for i, label in enumerate(options.service_labels)}
        self.services: dict[str, ServiceAggregate] = {}
        self.series = 0

    def metrics(
        self, chunk: Sequence[str], series: Sequence[dict[str, str]]
    ) -> dict[str, _MetricAggregate]:
        limit = self._options.max_label_values
        namespace_label = self._options.namespace_label
        wanted = set(chunk)
        found: dict[str, _MetricAggregate] = {}
        for labels in series:
            name = labels.get(NAME_LABEL, "")
            if name not in wanted:
                continue
            self.series += 1
            aggregate = found.get(name)
            if aggregate is None:
                aggregate = found[name] = _MetricAggregate()
            aggregate.series += 1
            for label, value in labels.items():
                if label == NAME_LABEL:
                    continue
                sample = aggregate.labels.get(label)
                if sample is None:
                    sample = aggregate.labels[label] = ValueSample(limit)
                sample.add(value)
            namespace = labels.get(namespace_label, "")
            if namespace:
                aggregate.namespaces.add(namespace)
            service, source_label = self._service_of(labels)
            if service:
                aggregate.services.add(service)
                self._count_service(service, source_label, namespace)
        return found

    def _service_of(self, labels: dict[str, str]) -> tuple[str, str]:
        for label in self._options.service_labels:
            if value := labels.get(label):
                return value, label
        return "", ""

    def _count_service(self, name: str, source_label: str, namespace: str) -> None:
        rank = self._rank[source_label]
        service = self.services.get(name)
        if service is None:
            service = self.services[name] = ServiceAggregate(rank, source_label)
        elif rank < service.source_rank:
            service.source_rank, service.source_label = rank, source_label
        service.series += 1
        if namespace:
            service.namespaces.add(namespace)

    def discovered_services(self) -> list[DiscoveredService]:
        return [
            DiscoveredService(name, tuple(sorted(s.namespaces)), s.source_label, s.series)
            for name, s in sorted(self.services.items())
        ]


class _Pusher:
    """Sends metric batches to the catalog in order, while the scan goes on."""

    def __init__(self, sink: CatalogSink, source: str, scan_id: str, batch_size: int) -> None:
        self._sink = sink
        self._source = source
        self._scan_id = scan_id
        self._batch_size = batch_size
        self._pending: list[DiscoveredMetric] = []
        self._queue: asyncio.Queue[list[DiscoveredMetric] | None] = asyncio.Queue(maxsize=2)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while (batch := await self._queue.get()) is not None:
            await self._sink.apply(self._source, self._scan_id, (), batch)

    async def _put(self, item: list[DiscoveredMetric] | None) -> None:
        put = asyncio.create_task(self._queue.put(item))
        done, _ = await asyncio.wait({put, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if put in done:
            return
        put.cancel()
        self._task.result()  # the push failed: raise its error
        raise RuntimeError("the catalog pusher stopped early")

    async def add(self, metrics: Sequence[DiscoveredMetric]) -> None:
        self._pending.extend(metrics)
        while len(self._pending) >= self._batch_size:
            batch, self._pending = (
                self._pending[: self._batch_size],
                self._pending[self._batch_size :],
            )
            await self._put(batch)

    async def finish(self) -> None:
        if self._pending:
            await self._put(self._pending)
            self._pending = []
        await self._put(None)
        await self._task

    def cancel(self) -> None:
        self._task.cancel()


def new_scan_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


class Scanner:
    def __init__(self, options: ScanOptions) -> None:
        self._options = options
        self._exclude = [re.compile(p) for p in options.exclude]

    def excluded(self, name: str) -> bool:
        return any(p.fullmatch(name) for p in self._exclude)

    async def scan(
        self, api: PrometheusAPI, source: str, sink: CatalogSink, scan_id: str = ""
    ) -> ScanReport:
        report = ScanReport(scan_id or new_scan_id(), source, datetime.now(UTC))
        started = time.perf_counter()
        requests_before = api.requests
        try:
            await self._scan(api, sink, report)
            report.success = True
        except ObsaiError as error:
            report.errors.append(error.message)
        except Exception as error:
            log.exception("scan failed", extra={"source": source})
            report.errors.append(f"internal error: {type(error).__name__}")
        report.finished_at = datetime.now(UTC)
        report.duration_seconds = time.perf_counter() - started
        report.http_requests = api.requests - requests_before
        log.info(
            "scan finished",
            extra={
                "source": source,
                "scan_id": report.scan_id,
                "success": report.success,
                "metrics": report.metrics,
                "series": report.series,
                "requests": report.http_requests,
                "seconds": round(report.duration_seconds, 3),
            },
        )
        return report

    async def _scan(self, api: PrometheusAPI, sink: CatalogSink, report: ScanReport) -> None:
        options = self._options
        end = time.time()
        start = end - options.lookback_seconds
        metadata_call = asyncio.create_task(api.metadata())
        try:
            names = await api.label_values(NAME_LABEL, start, end)
        except BaseException:
            metadata_call.cancel()
            raise
        try:
            metadata = reconcile_all(await metadata_call)
        except UpstreamError as error:
            report.errors.append(f"no metadata, types from naming conventions: {error.message}")
            metadata = {}
        names = sorted(n for n in set(names) if not self.excluded(n))
        name_set = frozenset(names)
        aggregator = Aggregator(options)
        planner = ChunkPlanner(
            names,
            options.series_per_request,
            options.first_names_per_request,
            options.max_names_per_request,
        )
        pusher = _Pusher(sink, report.source, report.scan_id, options.push_batch_size)

        async def worker() -> None:
            while chunk := planner.take():
                series = await api.series(chunk, start, end)
                planner.observe(len(chunk), len(series))
                found = aggregator.metrics(chunk, series)
                del series
                report.metrics += len(found)
                await pusher.add(
                    [
                        DiscoveredMetric(
                            name=name,
                            info=resolve(name, name_set, metadata),
                            labels=tuple(
                                LabelSample(label, *sample.result())
                                for label, sample in sorted(found[name].labels.items())
                            ),
                            series_count=found[name].series,
                            services=tuple(sorted(found[name].services)),
                            namespaces=tuple(sorted(found[name].namespaces)),
                        )
                        for name in sorted(found)
                    ]
                )

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(options.concurrency):
                    group.create_task(worker())
            await pusher.finish()
        except BaseException as error:
            pusher.cancel()
            if isinstance(error, BaseExceptionGroup):
                first = error.exceptions[0]
                raise first from error
            raise
        services = aggregator.discovered_services()
        for i in range(0, len(services), 1000):
            await sink.apply(report.source, report.scan_id, services[i : i + 1000], ())
        report.services = len(services)
        report.series = aggregator.series
        report.metrics_marked_stale = await sink.complete(
            report.source, report.scan_id, options.stale_grace_seconds
        )
