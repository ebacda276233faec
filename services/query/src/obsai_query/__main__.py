"""`python -m obsai_query` serves; `python -m obsai_query migrate` migrates and exits."""

from __future__ import annotations

import asyncio
import sys

from obsai_common import db
from obsai_common.server import serve
from obsai_query.app import SCHEMA, build_app
from obsai_query.settings import QuerySettings


async def _migrate(settings: QuerySettings) -> None:
    pool = await db.create_pool(settings.database_url.get_secret_value(), SCHEMA)
    try:
        await db.apply_migrations(pool, SCHEMA, "obsai_query.migrations")
    finally:
        await pool.close()


def main() -> None:
    settings = QuerySettings()
    if sys.argv[1:] == ["migrate"]:
        asyncio.run(_migrate(settings))
        return
    serve(settings, lambda: build_app(settings))


if __name__ == "__main__":
    main()
