"""Schema migrations: applied once, in order, in the service's own schema."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from obsai_common import db


@pytest.fixture
def migrations_package(tmp_path: Path) -> Iterator[str]:
    package = tmp_path / "fake_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_items.sql").write_text("CREATE TABLE items (id int PRIMARY KEY);")
    (package / "0002_more.sql").write_text(
        textwrap.dedent("""
        ALTER TABLE items ADD COLUMN name text;
        INSERT INTO items VALUES (1, 'one');
        """)
    )
    sys.path.insert(0, str(tmp_path))
    yield "fake_migrations"
    sys.path.remove(str(tmp_path))
    sys.modules.pop("fake_migrations", None)


async def test_applied_once_even_when_replicas_race(
    database_url: str, migrations_package: str
) -> None:
    pools = [await db.create_pool(database_url, "svc") for _ in range(3)]
    try:
        applied = await asyncio.gather(
            *(db.apply_migrations(p, "svc", migrations_package) for p in pools)
        )
        assert sorted(map(len, applied)) == [0, 0, 2]
        async with pools[0].acquire() as conn:
            assert await conn.fetchval("SELECT name FROM items WHERE id = 1") == "one"
            tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'svc'")
        assert {t["tablename"] for t in tables} == {"items", "schema_migrations"}
        assert await db.apply_migrations(pools[0], "svc", migrations_package) == []
    finally:
        for pool in pools:
            await pool.close()


async def test_schema_names_are_validated(database_url: str) -> None:
    with pytest.raises(ValueError, match="invalid schema"):
        await db.create_pool(database_url, "x; DROP TABLE users")
