"""The evaluation harness's tests: one demo world (exporter, 25h of history,
Prometheus) for the session's self-checks; unit tests need none of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from obsai_devstack.demo_world import DemoWorld
from obsai_eval.prometheus import PrometheusClient
from obsai_eval.questions import Question, load_questions

DEVSET = Path(__file__).with_name("devset.yaml")


def pytest_configure(config: pytest.Config) -> None:
    # Also to be registered in the root pyproject; here so this directory runs alone.
    config.addinivalue_line(
        "markers", "eval_slice: a slice of the dev set through the whole stack, with a floor"
    )


@pytest.fixture(scope="session")
def devset() -> list[Question]:
    return load_questions(DEVSET)


@pytest.fixture(scope="session")
def prometheus(demo_world: DemoWorld) -> Iterator[PrometheusClient]:
    with PrometheusClient(demo_world.prometheus_url) as client:
        yield client


@pytest.fixture(scope="session")
def at(demo_world: DemoWorld) -> float:
    """One evaluation instant for the session: the last backfilled sample.

    Between the backfill's end and the first live scrape there is a gap (promtool
    and Prometheus's start); a rate window with an edge inside it reads low. At
    the backfill's last sample every window lies wholly in the history.
    """
    return history_end(demo_world)


def history_end(world: DemoWorld) -> float:
    assert world.history is not None, "the demo world was not backfilled in this run"
    return float(world.history.last)
