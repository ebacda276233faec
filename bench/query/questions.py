"""The questions the query benchmarks ask.

`QUESTIONS`: the seed's questions, asked again and again for cache hits (both
benchmarks, so their numbers compare). `distinct_questions()`: the dev set's
questions about the demo world, each asked once for misses, so a miss pays every
per-text cost (no embedding, search or answer is reused from an earlier
question). `warmup_questions()`: other questions, for warming up without
touching the measured texts.
"""

from __future__ import annotations

from pathlib import Path

import yaml

_ROOT = Path(__file__).resolve().parents[2]

QUESTIONS = (
    "What is the CPU usage for the auth service?",
    "How much memory is the payment service using?",
    "What's the error rate for the payment service?",
    "What's the 95th percentile response time for the checkout service?",
    "Show me request rate broken down by endpoint",
    "Which 5 services use the most memory?",
)


def distinct_questions() -> list[str]:
    """The dev set's 123 questions (tests/eval/devset.yaml), in its order."""
    items = yaml.safe_load((_ROOT / "tests" / "eval" / "devset.yaml").read_text())
    return list(dict.fromkeys(str(item["q"]) for item in items))


def warmup_questions() -> list[str]:
    """The retrieval set's questions that are not in the dev set."""
    from tests.retrieval.questions import QUESTIONS as RETRIEVAL

    measured = set(distinct_questions())
    return [q for q, _ in RETRIEVAL if q not in measured]
