"""The Claude engine, through the official `anthropic` SDK.

Structured output through a forced tool call (`answer_with_promql`), never text
scraping; the stable system prompt and tool schema are marked for prompt
caching. Retries are ours (the SDK's are off): exponential backoff with jitter
on 429, 5xx/529, timeouts and connection errors, honouring `retry-after`; a
circuit breaker stops calling a failing API for a while. Any failure to answer
is `EngineUnavailable`, so the caller can fall back to the planner.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Any

import anthropic

from obsai_query.engines.base import UNITS, EngineUnavailable, Generation, QueryPart
from obsai_query.engines.circuit import CircuitBreaker
from obsai_query.engines.prompt import SYSTEM_PROMPT, TOOL, TOOL_NAME, user_message
from obsai_query.grounding import Grounding
from obsai_query.metrics import (
    CLAUDE_CIRCUIT_OPEN,
    CLAUDE_COST,
    CLAUDE_ERRORS,
    CLAUDE_REQUESTS,
    CLAUDE_TOKENS,
)

log = logging.getLogger(__name__)

_CACHE = {"type": "ephemeral"}


def _retryable(error: Exception) -> bool:
    if isinstance(error, (anthropic.APITimeoutError, anthropic.APIConnectionError)):
        return True
    if isinstance(error, anthropic.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return False


def _kind(error: Exception) -> str:
    if isinstance(error, anthropic.APITimeoutError):
        return "timeout"
    if isinstance(error, anthropic.APIConnectionError):
        return "connection"
    if isinstance(error, anthropic.APIStatusError):
        if error.status_code == 429:
            return "rate_limited"
        if error.status_code == 529:
            return "overloaded"
        return f"http_{error.status_code}"
    return type(error).__name__


def _reason(error: Exception) -> str:
    kind = _kind(error)
    return {
        "timeout": "Claude timed out",
        "connection": "Claude unreachable",
        "rate_limited": "Claude rate limited",
        "overloaded": "Claude overloaded",
    }.get(kind, f"Claude error {kind.removeprefix('http_')}")


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    if response is None:
        return None
    value = response.headers.get("retry-after")
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None


class ClaudeEngine:
    name = "claude"

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        model: str,
        max_tokens: int = 1024,
        timeout: float = 30.0,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        circuit: CircuitBreaker | None = None,
        input_cost_per_mtok: float = 3.0,
        output_cost_per_mtok: float = 15.0,
    ) -> None:
        self._client = client
        self._model = model
        self._max_tokens = max_tokens
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self.circuit = circuit or CircuitBreaker()
        self._input_cost = input_cost_per_mtok
        self._output_cost = output_cost_per_mtok

    async def generate(
        self, question: str, grounding: Grounding, feedback: Sequence[str] | None = None
    ) -> Generation:
        if not self.circuit.allow():
            CLAUDE_CIRCUIT_OPEN.set(1)
            raise EngineUnavailable("Claude circuit open")
        try:
            message = await self._create(user_message(question, grounding, feedback))
        except EngineUnavailable:
            self.circuit.failure()
            CLAUDE_CIRCUIT_OPEN.set(1 if self.circuit.state != "closed" else 0)
            raise
        self.circuit.success()
        CLAUDE_CIRCUIT_OPEN.set(0)
        return self._generation(message)

    async def _create(self, content: str) -> Any:
        last: Exception | None = None
        for attempt in range(self._max_attempts):
            CLAUDE_REQUESTS.labels(self._model).inc()
            try:
                message = await self._client.messages.create(**self._request(content))
            except anthropic.APIError as error:
                last = error
                CLAUDE_ERRORS.labels(self._model, _kind(error)).inc()
                if not _retryable(error):
                    log.warning("claude refused the call", extra={"kind": _kind(error)})
                    raise EngineUnavailable(_reason(error)) from error
                if attempt + 1 < self._max_attempts:
                    await asyncio.sleep(self._delay(attempt, _retry_after(error)))
                continue
            self._account(message)
            return message
        assert last is not None
        log.warning("claude failed after retries", extra={"kind": _kind(last)})
        raise EngineUnavailable(_reason(last)) from last

    def _request(self, content: str) -> dict[str, Any]:
        # The stable prefix (tools, then system) is marked for prompt caching.
        return {
            "model": self._model,
            "max_tokens": self._max_tokens,
            "system": [{"type": "text", "text": SYSTEM_PROMPT, "cache_control": _CACHE}],
            "tools": [{**TOOL, "cache_control": _CACHE}],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": [{"role": "user", "content": content}],
            "timeout": self._timeout,
        }

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self._backoff_base * 2.0**attempt, self._backoff_max)
        delay = backoff * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not crypto
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff_max))
        return delay

    def _account(self, message: Any) -> None:
        usage = getattr(message, "usage", None)
        if usage is None:
            return
        tokens = {
            "input": usage.input_tokens or 0,
            "output": usage.output_tokens or 0,
            "cache_read": getattr(usage, "cache_read_input_tokens", 0) or 0,
            "cache_creation": getattr(usage, "cache_creation_input_tokens", 0) or 0,
        }
        for kind, count in tokens.items():
            if count:
                CLAUDE_TOKENS.labels(self._model, kind).inc(count)
        cost = (
            tokens["input"] * self._input_cost
            + tokens["cache_creation"] * self._input_cost * 1.25
            + tokens["cache_read"] * self._input_cost * 0.1
            + tokens["output"] * self._output_cost
        ) / 1e6
        CLAUDE_COST.labels(self._model).inc(cost)

    def _generation(self, message: Any) -> Generation:
        answer: dict[str, Any] = {}
        for block in message.content:
            if getattr(block, "type", "") == "tool_use" and block.name == TOOL_NAME:
                answer = dict(block.input) if isinstance(block.input, dict) else {}
                break
        promql = str(answer.get("promql", "")).strip()
        try:
            confidence = min(max(float(answer.get("confidence", 0.5)), 0.0), 1.0)
        except (TypeError, ValueError):
            confidence = 0.5
        unit = str(answer.get("unit", ""))
        additional = tuple(
            QueryPart(str(q.get("promql", "")).strip(), str(q.get("explanation", "")), unit)
            for q in answer.get("additional_queries") or ()
            if isinstance(q, dict) and str(q.get("promql", "")).strip()
        )
        return Generation(
            promql=promql,
            explanation=str(answer.get("explanation", "")),
            confidence=confidence,
            assumptions=tuple(str(a) for a in answer.get("assumptions") or ()),
            engine=self.name,
            unit=unit if unit in UNITS else "",
            instant=bool(answer.get("instant", False)),
            additional=additional,
            repairable=True,
        )
