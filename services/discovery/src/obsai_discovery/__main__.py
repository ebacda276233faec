"""`python -m obsai_discovery`: serve, and scan Prometheus/Mimir on schedule and on demand."""

from __future__ import annotations

import sys

from obsai_common.server import serve
from obsai_discovery.app import build_app
from obsai_discovery.settings import DiscoverySettings


def main() -> None:
    if sys.argv[1:]:
        sys.exit(f"usage: python -m obsai_discovery; unknown arguments {sys.argv[1:]}")
    settings = DiscoverySettings()
    serve(settings, lambda: build_app(settings))


if __name__ == "__main__":
    main()
