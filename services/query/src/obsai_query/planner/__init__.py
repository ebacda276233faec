"""The planner: a deterministic, grounded NL→PromQL engine that needs no LLM.

Stages, each its own module and each testable alone:

    intent.py    parse    question → Intent (measure, operation, grouping, window)
    choose.py    choose   label values named → filters; candidate metrics scored
                          against the intent; partners for ratios
    compose.py   compose  PromQL by metric type (counter, gauge, histogram, summary)
                          and the operation around it
    verify.py    verify   parse and validate every plan; ranked alternatives
    engine.py    Planner  remembered examples first; explanation, confidence,
                          a clear refusal when it cannot tell what is meant

Everything it knows of language is in glossary.yaml (vocabulary.py loads it).
"""

from __future__ import annotations

from obsai_query.planner.engine import Planner
from obsai_query.planner.intent import Intent, parse_intent, search_words
from obsai_query.planner.vocabulary import Vocabulary, default_vocabulary


def search_expansions(question: str, vocab: Vocabulary | None = None) -> list[str]:
    """Extra catalog search texts for a question (the Grounder's `expand`)."""
    return search_words(question, vocab or default_vocabulary())


__all__ = [
    "Intent",
    "Planner",
    "Vocabulary",
    "default_vocabulary",
    "parse_intent",
    "search_expansions",
]
