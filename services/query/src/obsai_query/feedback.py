"""Feedback on answers: ratings, corrections, and memory.

A good answer, or a bad one with a corrected query that passes the validator,
becomes a remembered example in the catalog (`RememberExample`), which the next
similar question receives as grounding. Only the asker, or an admin, may rate.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from obsai_common.errors import InvalidArgument, NotFound, PermissionDenied
from obsai_query.catalog_client import CatalogClient
from obsai_query.history import HistoryWriter
from obsai_query.pipeline import Caller
from obsai_query.validator import ValidationReport

Validate = Callable[[str], Awaitable[ValidationReport]]

RATINGS = ("good", "bad")
_MAX_COMMENT = 2000


class FeedbackService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        history: HistoryWriter,
        catalog: CatalogClient,
        validate: Validate,
    ) -> None:
        self._pool = pool
        self._history = history
        self._catalog = catalog
        self._validate = validate

    async def submit(
        self,
        caller: Caller,
        query_id: str,
        rating: str,
        corrected_promql: str = "",
        comment: str = "",
    ) -> bool:
        """Record the feedback; True when it became a remembered example."""
        rating = rating.strip().lower()
        if rating not in RATINGS:
            raise InvalidArgument("rating must be good or bad", details={"field": "rating"})
        if len(comment) > _MAX_COMMENT:
            raise InvalidArgument(
                f"the comment is longer than {_MAX_COMMENT} characters",
                details={"field": "comment"},
            )
        record = await self._history.get(query_id)
        if record is None:
            raise NotFound("no answer with this id", details={"field": "id"})
        if record.user_id != caller.user_id and not caller.is_admin:
            raise PermissionDenied("only the person who asked may rate this answer")
        corrected = corrected_promql.strip()
        if corrected:
            report = await self._validate(corrected)
            if not report.ok:
                raise InvalidArgument(
                    "the corrected PromQL was refused by the validator",
                    details={
                        "field": "corrected_promql",
                        "checks": ",".join(dict.fromkeys(p.check for p in report.problems)),
                        "problems": " | ".join(p.message for p in report.problems),
                    },
                )
        remember = corrected or (record.promql if rating == "good" and record.success else "")
        if remember:
            await self._catalog.remember_example(record.question, remember)
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO query_feedback"
                " (id, query_id, user_id, rating, corrected_promql, comment, remembered)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                uuid.uuid4(),
                uuid.UUID(record.id),
                caller.user_id,
                rating,
                corrected,
                comment,
                bool(remember),
            )
        return bool(remember)
