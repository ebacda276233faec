"""Per-user daily usage: queries and cache hits (reported by the query service
through RecordUsage) and rate-limit rejections (counted here)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import asyncpg

from obsai_auth.storage import parse_uuid, postgres_errors
from obsai_auth.users import Accounts
from obsai_common.errors import InvalidArgument, NotFound, ObsaiError

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class DayUsage:
    day: date
    queries: int = 0
    cache_hits: int = 0
    rate_limit_rejections: int = 0


@dataclass(frozen=True, slots=True)
class UsageReport:
    user_id: str
    days: list[DayUsage]
    last_activity_at: datetime | None

    @property
    def total_queries(self) -> int:
        return sum(d.queries for d in self.days)

    @property
    def total_cache_hits(self) -> int:
        return sum(d.cache_hits for d in self.days)

    @property
    def total_rate_limit_rejections(self) -> int:
        return sum(d.rate_limit_rejections for d in self.days)


class UsageStore(Protocol):
    async def add(
        self, user_id: str, day: date, queries: int, cache_hits: int, rejections: int
    ) -> bool:
        """Add to a day's counters; False when the user does not exist."""
        ...

    async def days(self, user_id: str, since: date) -> list[DayUsage]: ...

    async def last_activity(self, user_id: str) -> datetime | None: ...


class PgUsageStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def add(
        self, user_id: str, day: date, queries: int, cache_hits: int, rejections: int
    ) -> bool:
        try:
            with postgres_errors():
                await self._pool.execute(
                    "INSERT INTO usage_daily AS u (user_id, day, queries, cache_hits,"
                    " rate_limit_rejections) VALUES ($1, $2, $3, $4, $5)"
                    " ON CONFLICT (user_id, day) DO UPDATE SET"
                    " queries = u.queries + EXCLUDED.queries,"
                    " cache_hits = u.cache_hits + EXCLUDED.cache_hits,"
                    " rate_limit_rejections = u.rate_limit_rejections"
                    "   + EXCLUDED.rate_limit_rejections,"
                    " last_activity_at = now()",
                    parse_uuid(user_id, "user_id"),
                    day,
                    queries,
                    cache_hits,
                    rejections,
                )
        except asyncpg.ForeignKeyViolationError:
            return False
        return True

    async def days(self, user_id: str, since: date) -> list[DayUsage]:
        with postgres_errors():
            rows = await self._pool.fetch(
                "SELECT day, queries, cache_hits, rate_limit_rejections FROM usage_daily"
                " WHERE user_id = $1 AND day >= $2 ORDER BY day",
                parse_uuid(user_id, "user_id"),
                since,
            )
        return [
            DayUsage(r["day"], r["queries"], r["cache_hits"], r["rate_limit_rejections"])
            for r in rows
        ]

    async def last_activity(self, user_id: str) -> datetime | None:
        with postgres_errors():
            value: datetime | None = await self._pool.fetchval(
                "SELECT greatest(max(d.last_activity_at), max(u.last_login_at))"
                " FROM users u LEFT JOIN usage_daily d ON d.user_id = u.id WHERE u.id = $1",
                parse_uuid(user_id, "user_id"),
            )
        return value


class Usage:
    def __init__(self, store: UsageStore, accounts: Accounts) -> None:
        self._store = store
        self._accounts = accounts

    async def record(self, user_id: str, queries: int, cache_hits: int) -> None:
        parse_uuid(user_id, "user_id")
        if queries < 0 or cache_hits < 0:
            raise InvalidArgument("queries and cache_hits must not be negative")
        if queries == 0 and cache_hits == 0:
            return
        if not await self._store.add(user_id, _today(), queries, cache_hits, 0):
            raise NotFound("user not found")

    async def record_rejection(self, user_id: str) -> None:
        """Best effort: accounting never changes an authorization decision."""
        try:
            await self._store.add(user_id, _today(), 0, 0, 1)
        except ObsaiError:
            log.warning("could not record a rate-limit rejection", extra={"user_id": user_id})

    async def report(self, user_id: str, days: int, *, today: date | None = None) -> UsageReport:
        """Every day of the period, oldest first, zeros included."""
        await self._accounts.get(user_id)  # NotFound for an unknown user
        if not 0 <= days <= MAX_DAYS:
            raise InvalidArgument(f"days must be between 1 and {MAX_DAYS} (0 means {DEFAULT_DAYS})")
        days = days or DEFAULT_DAYS
        today = today or _today()
        since = today - timedelta(days=days - 1)
        recorded = {d.day: d for d in await self._store.days(user_id, since)}
        series = [
            recorded.get(day, DayUsage(day))
            for day in (since + timedelta(days=i) for i in range(days))
        ]
        return UsageReport(user_id, series, await self._store.last_activity(user_id))


def _today() -> date:
    return datetime.now(UTC).date()
