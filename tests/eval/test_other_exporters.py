"""The second evaluation set: exporters the planner was not built on.

One `ExportersWorld` per module (Debian's node, Redis, PostgreSQL and blackbox
exporters against a private Redis and PostgreSQL, and a Prometheus scraping them
and itself). Its golds are checked to run and return data there; then the whole
set is asked through the public API of a stack on that Prometheus, with a floor
on execution accuracy (docs/EVALUATION.md has the measured numbers).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from obsai_devstack.exporters_world import ExportersWorld, missing_exporters
from obsai_devstack.stack import Stack, StackOptions, running_stack
from obsai_eval.answerers import HttpAnswerer, Login
from obsai_eval.prometheus import PrometheusClient
from obsai_eval.questions import Question, load_questions
from obsai_eval.report import render
from obsai_eval.runner import run

pytestmark = [pytest.mark.eval_slice, pytest.mark.e2e, pytest.mark.timeout(600)]

HERE = Path(__file__).parent
QUESTIONS = HERE / "other_exporters.yaml"
HOLDOUT = HERE / "other_exporters_holdout.yaml"
# Later rounds, each written blind and measured once (docs/EVALUATION.md).
ROUNDS = [HERE / f"holdout_round{n}.yaml" for n in range(4, 17)]
# Fraction of each set that must match, asked through the stack (measured:
# docs/EVALUATION.md). This test asks about 20 seconds after the first scrape, where
# rates read younger than on the worlds the rounds were measured on, and "vs a minute
# ago" golds have no data yet; so each round's floor is what it matched here after its
# misses' causes were fixed, less a margin:
# - other_exporters.yaml: 56/56 measured.
# - round 5: 45/48 on a world minutes old.
# - round 6: 48/51 on a world minutes old; its three "compared to a minute ago"
#   questions cannot match here.
# - round 7: 48/51 on a world minutes old; its four "now vs a minute ago" golds have
#   no data this young: 48 - 4, less a margin of two.
# - round 8: 41/55 here (its five "vs a minute ago" golds have no data), less three
#   (two of its golds may be empty: MAY_BE_EMPTY).
# - rounds 9 to 12: 49, 49, 50 and 43 of 55 here (deriv() windows read other samples
#   too), each less a margin of three; round 12 measured 49-50 after session 6's fixes.
# - rounds 13 and 14 (session 6): 51-54 and 47 of 55 here, less a margin of three.
# - rounds 15 and 16 (session 6, as first measured: their misses not fixed): 38 and 49
#   of 55 here, less three.
FLOORS = {
    QUESTIONS: 0.93,
    HERE / "holdout_round5.yaml": 0.85,
    HERE / "holdout_round6.yaml": 0.8,
    HERE / "holdout_round7.yaml": 0.82,
    HERE / "holdout_round8.yaml": 0.69,
    HERE / "holdout_round9.yaml": 0.83,
    HERE / "holdout_round10.yaml": 0.83,
    HERE / "holdout_round11.yaml": 0.85,
    HERE / "holdout_round12.yaml": 0.83,
    HERE / "holdout_round13.yaml": 0.87,
    HERE / "holdout_round14.yaml": 0.8,
    HERE / "holdout_round15.yaml": 0.63,
    HERE / "holdout_round16.yaml": 0.83,
}
# Golds that compare with a minute ago: no data while the world is younger than a minute
# and a half (the rounds' headers say so); their delta() alternatives are still checked.
NEEDS_A_MINUTE_OF_HISTORY = frozenset(
    {
        "r6-node-11",
        "r6-redis-01",
        "r6-postgres-02",
        "r7-node-06",
        "r7-redis-04",
        "r7-postgres-03",
        "r7-prometheus-02",
        "r8-node-02",
        "r8-redis-10",
        "r8-postgres-01",
        "r8-probes-09",
        "r8-prometheus-02",
        "r9-node-11",
        "r9-prometheus-11",
        "r10-node-11",
        "r10-redis-11",
        "r10-prometheus-08",
        "r11-probes-10",
        "r11-prometheus-10",
        "r12-node-10",
        "r12-probes-06",
        "r13-node-10",
        "r13-redis-11",
        "r13-postgres-11",
        "r13-prometheus-07",
        "r14-node-10",
        "r14-redis-08",
        "r14-postgres-10",
        "r14-prometheus-07",
        "r14-probes-09",
        "r15-redis-04",
        "r15-postgres-06",
        "r15-prometheus-06",
        "r16-redis-10",
    }
)
# Golds that filter by a threshold near what this machine shows (a scrape or probe
# duration, a latency, a write rate that a young world has not reached yet, an interface
# that received nothing in the seconds it has lived): they must run, but may return
# nothing at a given instant.
MAY_BE_EMPTY = frozenset(
    {
        "r8-prometheus-06",
        "r8-redis-02",
        "r9-node-10",
        "r9-probes-08",
        "r11-postgres-05",
        "r12-node-06",
        "r15-postgres-07",
    }
)
ADMIN_PASSWORD = secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def world() -> Iterator[ExportersWorld]:
    missing = missing_exporters()
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run make install")
    with ExportersWorld() as started:
        yield started


@pytest.fixture(scope="module")
def stack(world: ExportersWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    options = StackOptions(
        work_dir=tmp_path_factory.mktemp("exporters-stack"),
        prometheus_url=world.prometheus_url,
        env={
            "OBSAI_ADMIN_USERNAME": "admin",
            "OBSAI_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "JWT_SECRET": secrets.token_urlsafe(48),
            "BCRYPT_ROUNDS": "4",
        },
    )
    with running_stack(options) as started:
        yield started


def evaluation_instant(world: ExportersWorld) -> float:
    """A moment every exporter has been scraped up to: a couple of scrapes ago."""
    return time.time() - 2 * world.scrape_interval


@pytest.mark.parametrize(
    "path", [QUESTIONS, HOLDOUT, *ROUNDS], ids=lambda path: path.stem.removeprefix("holdout_")
)
def test_every_gold_runs_and_returns_data(world: ExportersWorld, path: Path) -> None:
    questions = load_questions(path)
    if path == QUESTIONS:
        assert len(questions) >= 40
    failures = []
    with PrometheusClient(world.prometheus_url) as prometheus:
        at = evaluation_instant(world)
        for question in questions:
            for promql in question.references:
                if question.id in NEEDS_A_MINUTE_OF_HISTORY and " offset " in promql:
                    continue  # no series a minute old yet in a world this young
                try:
                    result = prometheus.instant(promql, at)
                except Exception as error:
                    failures.append((question.id, promql, str(error)))
                    continue
                if not result.samples and question.id not in MAY_BE_EMPTY:
                    failures.append((question.id, promql, "no data"))
    assert failures == []


@pytest.mark.parametrize(
    ("path", "floor"), FLOORS.items(), ids=[p.stem.removeprefix("holdout_") for p in FLOORS]
)
def test_accuracy_is_above_the_floor(
    world: ExportersWorld, stack: Stack, path: Path, floor: float
) -> None:
    questions: list[Question] = load_questions(path)
    with (
        PrometheusClient(world.prometheus_url) as prometheus,
        HttpAnswerer(stack.url, Login("admin", ADMIN_PASSWORD)) as answerer,
    ):
        answerer.authenticate()
        answerer.wait_for_discovery()
        outcome = run(questions, answerer, prometheus, evaluation_instant(world))
    assert outcome.matched >= floor * outcome.total, render(outcome)
