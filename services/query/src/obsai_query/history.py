"""Query history: written off the hot path, never lost to a Postgres blip.

`HistoryWriter.record` only appends to a bounded in-memory outbox; a background
task writes batches and, when Postgres fails, keeps the batch and retries with
backoff. On shutdown the outbox is flushed (bounded by a timeout). Only when the
outbox is full for a long outage are the oldest rows dropped, and counted.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import json
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from obsai_common.errors import InvalidArgument
from obsai_query.metrics import (
    HISTORY_DROPPED,
    HISTORY_PENDING,
    HISTORY_WRITE_ERRORS,
    HISTORY_WRITTEN,
)

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

_INSERT = """
INSERT INTO query_history
    (id, user_id, question, promql, engine, success, error, cached, timings, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
ON CONFLICT (id) DO NOTHING
"""
_SELECT = (
    "SELECT id, user_id, question, promql, engine, success, error, cached, timings, created_at"
    " FROM query_history"
)


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    id: str
    user_id: str
    question: str
    promql: str = ""
    engine: str = ""
    success: bool = True
    error: str = ""
    cached: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> tuple[Any, ...]:
        return (
            uuid.UUID(self.id),
            self.user_id,
            _storable(self.question),
            _storable(self.promql),
            _storable(self.engine),
            self.success,
            _storable(self.error),
            self.cached,
            json.dumps(self.timings),
            self.created_at,
        )


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL or lone surrogates; refused input may contain both."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _from_row(row: asyncpg.Record) -> HistoryRecord:
    timings = row["timings"]
    if isinstance(timings, str):
        timings = json.loads(timings)
    return HistoryRecord(
        id=str(row["id"]),
        user_id=row["user_id"],
        question=row["question"],
        promql=row["promql"],
        engine=row["engine"],
        success=row["success"],
        error=row["error"],
        cached=row["cached"],
        timings={k: float(v) for k, v in (timings or {}).items()},
        created_at=row["created_at"],
    )


def _encode_cursor(record: HistoryRecord) -> str:
    raw = f"{record.created_at.isoformat()}|{record.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        return datetime.fromisoformat(stamp), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidArgument("invalid page_token", details={"field": "page_token"}) from error


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size must not be negative", details={"field": "page_size"})
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


class HistoryWriter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        queue_size: int = 10_000,
        batch_size: int = 200,
        retry_max_seconds: float = 5.0,
    ) -> None:
        self._pool = pool
        self._outbox: collections.deque[HistoryRecord] = collections.deque()
        self._pending: dict[str, HistoryRecord] = {}
        self._queue_size = queue_size
        self._batch_size = batch_size
        self._retry_max = retry_max_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # --- writing

    def record(self, record: HistoryRecord) -> None:
        """Queue a row; returns at once."""
        if len(self._outbox) >= self._queue_size:
            dropped = self._outbox.popleft()
            self._pending.pop(dropped.id, None)
            HISTORY_DROPPED.inc()
            log.error("history outbox full; dropped the oldest row", extra={"id": dropped.id})
        self._outbox.append(record)
        self._pending[record.id] = record
        HISTORY_PENDING.set(len(self._outbox))
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="history-writer")

    @property
    def pending_count(self) -> int:
        return len(self._outbox)

    async def _run(self) -> None:
        delay = 0.05
        while True:
            if not self._outbox:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._outbox[i] for i in range(min(self._batch_size, len(self._outbox)))]
            try:
                await self._write(batch)
            except asyncpg.DataError:
                # A row Postgres will never take must not block the others forever.
                await self._write_one_by_one(batch)
            except Exception as error:  # unavailable: keep the batch and retry
                HISTORY_WRITE_ERRORS.inc()
                log.warning(
                    "history write failed; will retry",
                    extra={"rows": len(batch), "error": type(error).__name__},
                )
                await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter
                delay = min(delay * 2, self._retry_max)
                continue
            delay = 0.05
            for record in batch:
                if self._outbox and self._outbox[0] is record:
                    self._outbox.popleft()
                self._pending.pop(record.id, None)
            HISTORY_WRITTEN.inc(len(batch))
            HISTORY_PENDING.set(len(self._outbox))

    async def _write(self, batch: list[HistoryRecord]) -> None:
        async with self._pool.acquire(timeout=5.0) as conn:
            await conn.executemany(_INSERT, [r.row() for r in batch])

    async def _write_one_by_one(self, batch: list[HistoryRecord]) -> None:
        for record in batch:
            try:
                await self._write([record])
            except asyncpg.DataError as error:
                HISTORY_WRITE_ERRORS.inc()
                log.error(
                    "history row refused by PostgreSQL; dropped",
                    extra={"id": record.id, "error": type(error).__name__},
                )

    async def flush(self, seconds: float) -> bool:
        """Wait until the outbox is empty; False if it was not within `seconds`."""
        self.start()
        self._wake.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self._outbox and loop.time() < deadline:  # noqa: ASYNC110 - polls a deque
            await asyncio.sleep(0.01)
        return not self._outbox

    async def close(self, flush_seconds: float) -> None:
        self._closing = True
        self._wake.set()
        if not await self.flush(flush_seconds):
            log.error("history rows not written at shutdown", extra={"rows": len(self._outbox)})
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # --- reading

    async def get(self, query_id: str) -> HistoryRecord | None:
        if query_id in self._pending:
            return self._pending[query_id]
        try:
            ident = uuid.UUID(query_id)
        except ValueError:
            return None
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(_SELECT + " WHERE id = $1", ident)
        return _from_row(row) if row else None

    async def list(
        self, user_id: str, size: int, token: str = ""
    ) -> tuple[list[HistoryRecord], str, int]:
        """A page of one user's history, newest first: (records, next token, total)."""
        size = page_size(size)
        async with self._pool.acquire() as conn:
            if token:
                stamp, ident = _decode_cursor(token)
                rows = await conn.fetch(
                    _SELECT + " WHERE user_id = $1 AND (created_at, id) < ($2, $3)"
                    " ORDER BY created_at DESC, id DESC LIMIT $4",
                    user_id,
                    stamp,
                    ident,
                    size + 1,
                )
            else:
                rows = await conn.fetch(
                    _SELECT + " WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                    user_id,
                    size + 1,
                )
            total = await conn.fetchval(
                "SELECT count(*) FROM query_history WHERE user_id = $1", user_id
            )
        records = [_from_row(r) for r in rows[:size]]
        next_token = _encode_cursor(records[-1]) if len(rows) > size else ""
        return records, next_token, int(total)
