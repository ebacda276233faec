"""When scans run: at start (with backoff while the source is down), every interval,
and on demand — once per cycle across all replicas.

A scan runs only while its replica holds the Redis lock. A scheduled scan also
skips a cycle another replica has just completed (its report is in Redis), so
N replicas with the same interval scan once per interval, not N times. Manual
triggers never skip, but never run beside another scan either: a trigger while
a scan runs anywhere answers `triggered: false`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from obsai_common.errors import ObsaiError
from obsai_discovery.lock import RedisLock
from obsai_discovery.records import ScanReport

log = logging.getLogger(__name__)

SCANS = Counter("obsai_discovery_scans_total", "Discovery scans run, by result.", ["result"])
LAST_DURATION = Gauge(
    "obsai_discovery_last_scan_duration_seconds", "Wall time of the last discovery scan."
)
LAST_REQUESTS = Gauge(
    "obsai_discovery_last_scan_http_requests", "HTTP requests the last scan made to sources."
)
LAST_METRICS = Gauge("obsai_discovery_last_scan_metrics", "Metric names the last scan found.")

Cycle = Callable[[], Awaitable[ScanReport]]


def report_to_json(report: ScanReport) -> str:
    return json.dumps(asdict(report), default=lambda v: v.isoformat())


def report_from_json(text: str | bytes) -> ScanReport:
    data: dict[str, Any] = json.loads(text)
    for key in ("started_at", "finished_at"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    return ScanReport(**data)


def combine(reports: Sequence[ScanReport]) -> ScanReport:
    """One report for a cycle over several sources."""
    if len(reports) == 1:
        return reports[0]
    first, last = reports[0], reports[-1]
    return ScanReport(
        scan_id=first.scan_id,
        source=",".join(r.source for r in reports),
        started_at=first.started_at,
        finished_at=last.finished_at,
        duration_seconds=sum(r.duration_seconds for r in reports),
        services=sum(r.services for r in reports),
        metrics=sum(r.metrics for r in reports),
        series=sum(r.series for r in reports),
        http_requests=sum(r.http_requests for r in reports),
        metrics_marked_stale=sum(r.metrics_marked_stale for r in reports),
        errors=[f"{r.source}: {e}" for r in reports for e in r.errors],
        success=all(r.success for r in reports),
    )


class ReportStore:
    """The last scan's report, in Redis so every replica shows the same status."""

    def __init__(self, redis: Redis, key: str) -> None:
        self._redis = redis
        self._key = key

    async def save(self, report: ScanReport) -> None:
        try:
            await self._redis.set(self._key, report_to_json(report))
        except RedisError:
            log.warning("could not store the scan report in Redis")

    async def load(self) -> ScanReport | None:
        try:
            raw = await self._redis.get(self._key)
        except RedisError:
            return None
        return None if raw is None else report_from_json(raw)


@dataclass(frozen=True, slots=True)
class Status:
    state: str  # idle | running
    triggered: bool
    last_scan: ScanReport | None
    next_scan_at: datetime | None


class DiscoveryScheduler:
    def __init__(
        self,
        cycle: Cycle,
        lock: RedisLock,
        reports: ReportStore,
        *,
        interval_seconds: float,
        retry_initial_seconds: float = 1.0,
        retry_max_seconds: float = 60.0,
        on_startup: bool = True,
    ) -> None:
        self._cycle = cycle
        self._lock = lock
        self._reports = reports
        self._interval = interval_seconds
        self._retry_initial = retry_initial_seconds
        self._retry_max = min(retry_max_seconds, interval_seconds)
        self._on_startup = on_startup
        self._starting = asyncio.Lock()
        self._current: asyncio.Task[ScanReport | None] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._last: ScanReport | None = None
        self._next_at: datetime | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="discovery-scheduler")

    async def stop(self) -> None:
        for task in (self._loop_task, self._current):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _loop(self) -> None:
        delay = 0.0 if self._on_startup else self._interval
        backoff = self._retry_initial
        while True:
            self._next_at = datetime.now(UTC) + timedelta(seconds=delay)
            await asyncio.sleep(delay)
            try:
                task = await self._start(scheduled=True)
                report = None if task is None else await task
            except ObsaiError as error:
                log.warning("discovery could not run", extra={"error": error.message})
                report = ScanReport("", "", datetime.now(UTC), errors=[error.message])
            if report is None or report.success:
                delay, backoff = self._interval, self._retry_initial
            else:
                delay, backoff = backoff, min(backoff * 2, self._retry_max)
                log.info("discovery retrying", extra={"in_seconds": delay})

    async def _start(self, *, scheduled: bool) -> asyncio.Task[ScanReport | None] | None:
        """Starts a scan if none runs here or anywhere; None if one does."""
        async with self._starting:
            if self._current is not None and not self._current.done():
                return None
            token = await self._lock.acquire()
            if token is None:
                return None
            self._current = asyncio.create_task(self._run(token, scheduled))
            return self._current

    async def _run(self, token: str, scheduled: bool) -> ScanReport | None:
        async with self._lock.holding(token):
            if scheduled and self._recently_done(await self._reports.load()):
                return None
            report = await self._cycle()
            self._last = report
            SCANS.labels("success" if report.success else "failure").inc()
            LAST_DURATION.set(report.duration_seconds)
            LAST_REQUESTS.set(report.http_requests)
            LAST_METRICS.set(report.metrics)
            await self._reports.save(report)
            return report

    def _recently_done(self, last: ScanReport | None) -> bool:
        """Another replica completed this cycle's scan already."""
        if last is None or not last.success or last.finished_at is None:
            return False
        age = (datetime.now(UTC) - last.finished_at).total_seconds()
        return age < self._interval / 2

    async def trigger(self, *, wait: bool) -> Status:
        task = await self._start(scheduled=False)
        if wait:
            await self._wait_for_scan(task)
        return await self.status(triggered=task is not None)

    async def _wait_for_scan(self, task: asyncio.Task[ScanReport | None] | None) -> None:
        """Waits for the scan this call started, or for the one already running
        here or on another replica: either way the catalog is fresh after."""
        running = task or self._current
        if running is not None and not running.done():
            # A caller that goes away does not cancel the scan.
            await asyncio.shield(running)
            return
        # Another replica's scan can only be watched through its Redis lock,
        # which expires if its holder dies, so this ends.
        while await self._lock.held():  # noqa: ASYNC110
            await asyncio.sleep(0.2)

    async def status(self, *, triggered: bool = False) -> Status:
        running = (self._current is not None and not self._current.done()) or (
            await self._lock.held()
        )
        last = await self._reports.load() or self._last
        return Status("running" if running else "idle", triggered, last, self._next_at)
