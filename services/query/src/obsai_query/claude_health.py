"""Is the Claude API reachable with our key? Answered from a short-lived memo so
health probes don't spend API calls."""

from __future__ import annotations

import time

import anthropic

from obsai_query.health import NotConfigured


class ClaudeHealth:
    def __init__(self, client: anthropic.AsyncAnthropic | None, ttl_seconds: float = 30.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._checked_at = -1e9
        self._error: Exception | None = None

    async def check(self) -> None:
        if self._client is None:
            raise NotConfigured("no ANTHROPIC_API_KEY: the planner answers")
        if time.monotonic() - self._checked_at > self._ttl:
            try:
                await self._client.models.list(limit=1)
                self._error = None
            except anthropic.APIError as error:
                self._error = error
            self._checked_at = time.monotonic()
        if self._error is not None:
            raise self._error
