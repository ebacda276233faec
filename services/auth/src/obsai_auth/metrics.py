"""The auth service's self-metrics, named as in the seed's list."""

from __future__ import annotations

from prometheus_client import Counter

AUTH_ATTEMPTS = Counter(
    "auth_attempts_total",
    "Authentication decisions, by credential kind and result.",
    ["credential", "result"],
)
API_KEY_VALIDATIONS = Counter(
    "api_key_validations_total", "API keys presented, by result.", ["result"]
)
RATE_LIMIT_EXCEEDED = Counter(
    "rate_limit_exceeded_total", "Requests refused by the rate limiter, by bucket kind.", ["bucket"]
)
