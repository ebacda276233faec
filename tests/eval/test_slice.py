"""A slice of the dev set through the whole stack (PostgreSQL, Redis, the demo
world, the four services, Envoy), asked as users ask: POST /query on the gateway.

The floor keeps accuracy from regressing silently; raise it as the engines
improve (docs/EVALUATION.md has the full-set numbers). On failure the table and
the misses are in the assertion message.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from obsai_devstack.stack import Stack, StackOptions, running_stack
from obsai_eval.answerers import HttpAnswerer, Login
from obsai_eval.prometheus import PrometheusClient
from obsai_eval.questions import Question, select
from obsai_eval.report import accuracy_line, render
from obsai_eval.runner import run
from tests.eval.conftest import history_end

pytestmark = [pytest.mark.eval_slice, pytest.mark.e2e, pytest.mark.timeout(600)]

# Fraction of the slice that must match.
FLOOR = 0.9
# Two or so per category, seed and own, terse and misspelt.
SLICE = (
    "seed-01",  # cpu, a service
    "seed-09",  # network, by namespace
    "seed-12",  # errors, a percentage
    "seed-15",  # latency, p95
    "seed-26",  # topk
    "seed-30",  # threshold
    "mem-07",  # memory, misspelt
    "disk-02",  # disk, by service
    "traf-01",  # traffic, terse ("rps")
    "lat-02",  # latency, "99th percentile response time"
    "avail-01",  # availability
    "cmp-01",  # comparison, vs an hour ago
)
ADMIN_PASSWORD = secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def eval_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    options = StackOptions(
        work_dir=tmp_path_factory.mktemp("eval-stack"),
        demo_world=True,
        env={
            "OBSAI_ADMIN_USERNAME": "admin",
            "OBSAI_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "JWT_SECRET": secrets.token_urlsafe(48),
            "BCRYPT_ROUNDS": "4",
        },
    )
    with running_stack(options) as stack:
        yield stack


def test_slice_accuracy_is_above_the_floor(eval_stack: Stack, devset: list[Question]) -> None:
    questions = select(devset, ids=SLICE)
    assert [q.id for q in questions] == list(SLICE)
    assert eval_stack.demo is not None
    at = history_end(eval_stack.demo)
    with (
        PrometheusClient(eval_stack.prometheus_url) as prometheus,
        HttpAnswerer(eval_stack.url, Login("admin", ADMIN_PASSWORD)) as answerer,
    ):
        answerer.authenticate()
        # The stack scans Prometheus at start; make sure the catalog is filled.
        answerer.wait_for_discovery()
        outcome = run(questions, answerer, prometheus, at)
    assert outcome.matched >= FLOOR * outcome.total, render(outcome)
    assert accuracy_line(outcome).startswith(f"execution accuracy: {outcome.matched}/12 = ")
