"""PostgreSQL: a pool per service, confined to its own schema, with migrations.

Migrations are `NNNN_name.sql` files in the service's `migrations` package,
applied in order at start under an advisory lock (so replicas starting together
apply each file once) and recorded in `<schema>.schema_migrations`.
"""

from __future__ import annotations

import importlib.resources
import logging
import re
from collections.abc import Awaitable, Callable

import asyncpg

log = logging.getLogger(__name__)

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

ConnectionInit = Callable[[asyncpg.Connection], Awaitable[None]]


def _checked_schema(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


async def create_pool(
    dsn: str,
    schema: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    init: ConnectionInit | None = None,
    command_timeout: float = 10.0,
) -> asyncpg.Pool:
    schema = _checked_schema(schema)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        timeout=5.0,
        server_settings={"search_path": f"{schema},public", "application_name": f"obsai-{schema}"},
        init=init,
        # asyncpg's default reset costs a round trip on every release; our
        # connections keep no session state (transactions and xact locks end
        # with their transaction), so there is nothing to reset.
        reset=_keep_connection_state,
    )
    assert pool is not None
    return pool


async def _keep_connection_state(connection: asyncpg.Connection) -> None:
    return None


def _migration_files(package: str) -> list[tuple[str, str]]:
    files = importlib.resources.files(package)
    return sorted(
        (entry.name.removesuffix(".sql"), entry.read_text())
        for entry in files.iterdir()
        if entry.name.endswith(".sql")
    )


async def apply_migrations(pool: asyncpg.Pool, schema: str, package: str) -> list[str]:
    """Apply pending migrations; returns the versions applied now."""
    schema = _checked_schema(schema)
    applied_now: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"obsai-migrate-{schema}")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        # The schema name is validated above; everything after runs inside it.
        await conn.execute(f"SET LOCAL search_path TO {schema}, public")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for version, sql in _migration_files(package):
            if version in done:
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            applied_now.append(version)
    if applied_now:
        log.info("migrations applied", extra={"schema": schema, "versions": applied_now})
    return applied_now


async def ping(pool: asyncpg.Pool) -> None:
    async with pool.acquire(timeout=2.0) as conn:
        await conn.fetchval("SELECT 1", timeout=2.0)
