"""Session-wide real dependencies: PostgreSQL+pgvector and Redis processes, and
the demo world (exporter, 25 h of history, Prometheus).

Each is started once per test session on free ports and stopped at the end;
tests get isolation through fresh databases and flushed Redis, not mocks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis

from obsai_auth.settings import AuthSettings
from obsai_catalog.settings import CatalogSettings
from obsai_devstack.demo_world import DemoWorld
from obsai_devstack.postgres import EmbeddedPostgres
from obsai_devstack.redis import RedisServer
from obsai_discovery.settings import DiscoverySettings
from obsai_gateway.settings import GatewaySettings
from obsai_query.settings import QuerySettings

# Settings objects read the environment: a developer's shell must not leak in.
_ENV_PREFIXES = (
    "DATABASE_URL",
    "REDIS_URL",
    "PROMETHEUS_",
    "ANTHROPIC_",
    "CLAUDE_",
    "OBSAI_",
    "JWT_",
    "DISCOVERY_",
    "EMBEDDING_",
    "CATALOG_",
    "SEARCH_",
)


# … nor any setting a service reads by its bare name (BCRYPT_ROUNDS, LOG_LEVEL, …).
_SETTINGS_NAMES = frozenset(
    f"{settings.model_config.get('env_prefix', '')}{field}".upper()
    for settings in (
        AuthSettings,
        CatalogSettings,
        DiscoverySettings,
        GatewaySettings,
        QuerySettings,
    )
    for field in settings.model_fields
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name.upper() in _SETTINGS_NAMES:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", durable=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
async def database_url(postgres_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """A fresh, empty database for one test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    await _admin(postgres_server.url, f'CREATE DATABASE "{name}"')
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    # A temporary cluster: a database left behind by a failed drop costs nothing.
    with contextlib.suppress(asyncpg.PostgresError, OSError):
        await _admin(postgres_server.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(url: str, statement: str, attempts: int = 3) -> None:
    """Run one statement on a fresh connection, retrying a dropped connection."""
    for attempt in range(attempts):
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(statement)
            return
        except asyncpg.exceptions.ConnectionDoesNotExistError:
            if attempt == attempts - 1:
                raise
        finally:
            await conn.close()


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    """The session Redis, flushed before each test."""
    client = Redis.from_url(redis_server.url)
    await client.flushall()
    await client.aclose()
    return redis_server.url


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


# Fast scrapes so the demo world's first one lands within a couple of seconds.
DEMO_SCRAPE_INTERVAL = 2


@pytest.fixture(scope="session")
def demo_world() -> Iterator[DemoWorld]:
    """One demo world for every test that reads it (it is only ever read)."""
    missing = [tool for tool in ("prometheus", "promtool") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: run make install")
    with DemoWorld(scrape_interval=DEMO_SCRAPE_INTERVAL) as world:
        yield world
