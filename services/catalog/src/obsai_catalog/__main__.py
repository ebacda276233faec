"""`python -m obsai_catalog` serves; `python -m obsai_catalog migrate` migrates and exits."""

from __future__ import annotations

import asyncio
import sys

from obsai_catalog.app import build_app, migrate
from obsai_catalog.settings import CatalogSettings
from obsai_common.server import serve


def main() -> None:
    settings = CatalogSettings()
    if sys.argv[1:] == ["migrate"]:
        asyncio.run(migrate(settings))
        return
    if sys.argv[1:]:
        sys.exit(f"usage: python -m obsai_catalog [migrate]; unknown arguments {sys.argv[1:]}")
    serve(settings, lambda: build_app(settings))


if __name__ == "__main__":
    main()
