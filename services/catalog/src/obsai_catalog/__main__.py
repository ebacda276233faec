"""`python -m obsai_catalog` serves; `python -m obsai_catalog migrate` migrates and exits;
`python -m obsai_catalog prepare-model` builds the embedding model it will run and exits."""

from __future__ import annotations

import asyncio
import sys

from obsai_catalog.app import build_app, migrate, prepare_model
from obsai_catalog.settings import CatalogSettings
from obsai_common.server import serve


def main() -> None:
    settings = CatalogSettings()
    if sys.argv[1:] == ["migrate"]:
        asyncio.run(migrate(settings))
        return
    if sys.argv[1:] == ["prepare-model"]:
        print(prepare_model(settings))
        return
    if sys.argv[1:]:
        sys.exit(
            "usage: python -m obsai_catalog [migrate | prepare-model];"
            f" unknown arguments {sys.argv[1:]}"
        )
    serve(settings, lambda: build_app(settings))


if __name__ == "__main__":
    main()
