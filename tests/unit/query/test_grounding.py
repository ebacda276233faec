"""The Grounder asks the catalog within its contract."""

from __future__ import annotations

from collections.abc import Sequence

from obsai_query.catalog_client import Found, SearchResult
from obsai_query.grounding import MAX_MORE_TEXTS, Grounder
from obsai_query.planner import search_expansions
from obsai_query.time_range import TimeWindow


class _RecordingCatalog:
    def __init__(self) -> None:
        self.more_texts: list[Sequence[str]] = []

    async def ground(
        self,
        text: str,
        k: int,
        more_texts: Sequence[str] = (),
        examples: int = 0,
        min_similarity: float = 0.0,
    ) -> Found:
        self.more_texts.append(more_texts)
        return Found(SearchResult())


async def test_a_question_naming_many_outcomes_sends_at_most_the_allowed_texts() -> None:
    question = "ratio of hits misses rollbacks commits successes fails failures errors drops"
    assert len(search_expansions(question)) > MAX_MORE_TEXTS  # the case being tested
    catalog = _RecordingCatalog()
    grounder = Grounder(catalog, expand=search_expansions)  # type: ignore[arg-type]
    await grounder.ground(question, TimeWindow(end=0.0))
    (sent,) = catalog.more_texts
    assert len(sent) == MAX_MORE_TEXTS
    assert list(sent) == search_expansions(question)[:MAX_MORE_TEXTS]
