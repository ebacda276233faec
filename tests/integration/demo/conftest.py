"""One demo world (exporter, 25h of history, Prometheus) for the whole session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from obsai_devstack.demo_world import DemoWorld

# Fast scrapes so the first one lands within a couple of seconds of the start.
SCRAPE_INTERVAL = 2


@pytest.fixture(scope="session")
def demo_world() -> Iterator[DemoWorld]:
    missing = [tool for tool in ("prometheus", "promtool") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: run make install")
    with DemoWorld(scrape_interval=SCRAPE_INTERVAL) as world:
        yield world
