"""ObsAI's own metrics are scraped by the demo world's Prometheus, so ObsAI can
answer questions about itself (issue 6): the stack adds a job `obsai-<name>`
per service, pointed at that service's METRICS_PORT."""

from __future__ import annotations

import time

import pytest

from obsai_devstack.demo_world import query
from obsai_devstack.stack import Stack

pytestmark = pytest.mark.e2e

SERVICES = ("auth", "catalog", "query", "discovery")
# The stack's demo world scrapes every 15 s and its Prometheus starts before the
# services do, so the first scrapes may still read 0: a few intervals suffice.
FIRST_SCRAPE_BOUND_SECONDS = 60.0


def obsai_up(prometheus_url: str) -> dict[str, tuple[str, str]]:
    """job → (instance, value) of the latest `up` sample of each obsai-* job."""
    return {
        r["metric"]["job"]: (r["metric"]["instance"], r["value"][1])
        for r in query(prometheus_url, 'up{job=~"obsai-.*"}')
    }


def test_every_service_is_scraped_by_the_demo_prometheus(stack: Stack) -> None:
    assert stack.demo is not None
    assert stack.prometheus_url == stack.demo.prometheus_url
    expected = {
        f"obsai-{name}": (f"127.0.0.1:{stack.services[name].metrics_port}", "1")
        for name in SERVICES
    }
    deadline = time.monotonic() + FIRST_SCRAPE_BOUND_SECONDS
    seen = obsai_up(stack.prometheus_url)
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        seen = obsai_up(stack.prometheus_url)
    assert seen == expected
