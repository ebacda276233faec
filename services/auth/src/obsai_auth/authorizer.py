"""The one authorization decision, shared by Envoy's Check and the gRPC paths.

    credentials ─▶ identity ─▶ access rule (from the proto) ─▶ rate limit ─▶ Decision

Credentials are a Bearer access token (JWT, tied to a live session), or an API
key (``x-api-key: obs_ai_…``, ``Authorization: ApiKey obs_ai_…`` or ``Bearer
obs_ai_…``). Every failure raises an `ObsaiError`: Unauthenticated,
PermissionDenied, `RateLimitExceeded` (with the window for the 429 headers) or
Unavailable. The rate-limit bucket is the identity (user id, or key id), so the
gateway and direct gRPC count against the same window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from obsai_auth.api_keys import KEY_PREFIX, KeyLookup, hash_key, is_well_formed
from obsai_auth.metrics import API_KEY_VALIDATIONS, AUTH_ATTEMPTS, RATE_LIMIT_EXCEEDED
from obsai_auth.rate_limit import Precondition, PreconditionFailed, RateLimiter, WindowState
from obsai_auth.storage import RedisUnavailable
from obsai_auth.tokens import AccessTokens, SessionStore
from obsai_common.access import MethodRule, rule_for_method
from obsai_common.errors import PermissionDenied, RateLimited, Unauthenticated
from obsai_common.identity import Identity
from obsai_common.interceptor import AuthResult, RateLimitStatus, check_access

log = logging.getLogger(__name__)

FailureMode = Literal["closed", "open"]


class RejectionRecorder(Protocol):
    async def record_rejection(self, user_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class RateLimits:
    user: int = 100
    admin: int = 1000
    window_seconds: int = 3600


@dataclass(frozen=True, slots=True)
class Decision:
    identity: Identity
    # None only when Redis is down and the failure mode is "open".
    rate_limit: RateLimitStatus | None


class RateLimitExceeded(RateLimited):
    def __init__(self, state: WindowState) -> None:
        self.status = state.status()
        self.retry_after = state.retry_after
        super().__init__(
            f"rate limit of {state.limit} requests exceeded; retry in {self.retry_after} s",
            details={
                "retry_after_seconds": str(self.retry_after),
                "limit": str(self.status.limit),
                "remaining": str(self.status.remaining),
                "reset": str(self.status.reset),
            },
        )


@dataclass(frozen=True, slots=True)
class _Bucket:
    name: str
    limit: int
    # For a token: its session must still be live when the request is counted.
    requires: Precondition | None = None


class Authorizer:
    def __init__(
        self,
        *,
        tokens: AccessTokens,
        sessions: SessionStore,
        keys: KeyLookup,
        limiter: RateLimiter,
        rejections: RejectionRecorder,
        limits: RateLimits,
        redis_failure_mode: FailureMode = "closed",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens = tokens
        self._sessions = sessions
        self._keys = keys
        self._limiter = limiter
        self._rejections = rejections
        self._limits = limits
        self._fail_open = redis_failure_mode == "open"
        self._clock = clock

    async def decide(self, rule: MethodRule, authorization: str, api_key: str) -> Decision:
        """Authenticate, authorize for `rule`, then count the request if the rule says so."""
        credential = "api_key" if api_key or KEY_PREFIX in authorization else "token"
        state: WindowState | None = None
        try:
            identity, bucket = await self._authenticate(authorization, api_key)
            denial = _denial(rule, identity)
            if denial is not None:
                await self._ensure_live(identity)  # a revoked session is a 401, not a 403
            else:
                state = await self._count(bucket, counted=rule.rate_limited)
        except Unauthenticated:
            AUTH_ATTEMPTS.labels(credential, "failure").inc()
            raise
        AUTH_ATTEMPTS.labels(credential, "success").inc()
        if denial is not None:
            raise denial
        if state is not None and not state.allowed:
            RATE_LIMIT_EXCEEDED.labels(bucket.name.split(":", 1)[0]).inc()
            await self._rejections.record_rejection(identity.user_id)
            log.info("rate limited", extra={"bucket": bucket.name, "limit": bucket.limit})
            raise RateLimitExceeded(state)
        return Decision(identity, state.status() if state else None)

    async def _authenticate(self, authorization: str, api_key: str) -> tuple[Identity, _Bucket]:
        authorization, api_key = authorization.strip(), api_key.strip()
        if authorization and api_key:
            raise Unauthenticated("send one credential: a Bearer token or an API key, not both")
        if api_key:
            return await self._from_key(api_key)
        if not authorization:
            raise Unauthenticated("authentication required: send a Bearer token or an API key")
        scheme, _, value = authorization.partition(" ")
        value = value.strip()
        scheme = scheme.lower()
        if scheme == "apikey" or (scheme == "bearer" and value.startswith(KEY_PREFIX)):
            return await self._from_key(value)
        if scheme == "bearer" and value:
            return await self._from_token(value)
        raise Unauthenticated("unsupported authorization: use 'Bearer <token>' or an API key")

    async def _from_token(self, token: str) -> tuple[Identity, _Bucket]:
        """A valid signature; whether its session is live is checked as it is counted."""
        claims = self._tokens.verify(token)
        identity = Identity(
            user_id=claims.user_id,
            username=claims.username,
            roles=claims.roles,
            session_id=claims.session_id,
        )
        limit = self._limits.admin if identity.is_admin else self._limits.user
        requires = self._sessions.liveness(claims.session_id, claims.user_id)
        return identity, _Bucket(f"user:{identity.user_id}", limit, requires)

    async def _from_key(self, key: str) -> tuple[Identity, _Bucket]:
        principal = await self._keys.resolve(hash_key(key)) if is_well_formed(key) else None
        if principal is None:
            API_KEY_VALIDATIONS.labels("invalid").inc()
            raise Unauthenticated("invalid API key")
        if not principal.key.usable_at(datetime.fromtimestamp(self._clock(), UTC)):
            API_KEY_VALIDATIONS.labels("revoked_or_expired").inc()
            raise Unauthenticated("API key revoked or expired")
        API_KEY_VALIDATIONS.labels("valid").inc()
        # A key carries at most its owner's roles, as they are now.
        roles = tuple(r for r in principal.key.roles if r in principal.owner_roles)
        identity = Identity(
            user_id=principal.key.owner_id,
            username=principal.owner_username,
            roles=roles,
            api_key_id=principal.key.id,
        )
        return identity, _Bucket(f"key:{principal.key.id}", principal.key.rate_limit)

    async def _count(self, bucket: _Bucket, *, counted: bool) -> WindowState | None:
        window = self._limits.window_seconds
        count = self._limiter.hit if counted else self._limiter.peek
        try:
            return await count(bucket.name, bucket.limit, window, bucket.requires)
        except PreconditionFailed:
            raise _session_ended() from None
        except RedisUnavailable:
            if self._fail_open:
                return None  # a valid signature; revocation and limits unchecked
            raise

    async def _ensure_live(self, identity: Identity) -> None:
        if not identity.session_id:
            return
        try:
            owner = await self._sessions.owner(identity.session_id)
        except RedisUnavailable:
            if not self._fail_open:
                raise
            return
        if owner != identity.user_id:
            raise _session_ended()


def _denial(rule: MethodRule, identity: Identity) -> PermissionDenied | None:
    try:
        check_access(rule, identity)
    except PermissionDenied as denial:
        return denial
    return None


def _session_ended() -> Unauthenticated:
    return Unauthenticated("session revoked or expired; log in again")


class LocalAuthenticator:
    """The auth service's own `Authenticator`: the same decision, no network hop."""

    def __init__(self, authorizer: Authorizer) -> None:
        self._authorizer = authorizer

    async def authenticate(self, method: str, authorization: str, api_key: str) -> AuthResult:
        decision = await self._authorizer.decide(rule_for(method), authorization, api_key)
        return AuthResult(decision.identity, decision.rate_limit)


def rule_for(method: str) -> MethodRule:
    rule = rule_for_method(method)
    if rule is None:
        raise PermissionDenied("unknown method")
    return rule
