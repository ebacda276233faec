"""Access tokens (JWT, HS256), sessions and rotating refresh-token families.

A login opens a session in Redis. The access token names it (`sid`), so logout
or revocation ends every token of the session at once. The refresh token is
``<session id>.<secret>``; only the secret's SHA-256 is stored. Each refresh
rotates the secret; presenting a secret that was already rotated away is reuse
(a stolen token) and deletes the session, ending the whole family.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

import jwt
from redis.asyncio import Redis

from obsai_auth.rate_limit import Precondition
from obsai_auth.storage import redis_errors
from obsai_auth.users import Accounts, User
from obsai_common.errors import NotFound, Unauthenticated
from obsai_common.token_cache import VerifiedTokens

log = logging.getLogger(__name__)

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "jti", "sub", "sid", "user_id", "username", "roles"]
_MAX_TOKEN_LENGTH = 4096
_REFRESH = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    username: str
    roles: tuple[str, ...]
    session_id: str
    token_id: str
    expires_at: int


class AccessTokens:
    """Issues and verifies access tokens: HS256 only, issuer and claims enforced.

    A verified token's claims are kept until it expires (`VerifiedTokens`): a
    client sends the same token on every request, and whether its session is
    still live is asked of the session store each time, not of this cache.
    """

    def __init__(
        self,
        secret: str,
        issuer: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._issuer = issuer
        self._ttl = ttl_seconds
        self._clock = clock
        self._verified: VerifiedTokens[AccessClaims] = VerifiedTokens(clock=clock)

    def issue(self, user: User, session_id: str) -> tuple[str, int]:
        now = int(self._clock())
        expires_at = now + self._ttl
        claims = {
            "sub": user.id,
            "user_id": user.id,
            "username": user.username,
            "roles": list(user.roles),
            "sid": session_id,
            "iss": self._issuer,
            "iat": now,
            "exp": expires_at,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires_at

    def verify(self, token: str) -> AccessClaims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            self._verified.put(token, claims, claims.expires_at)
        return claims

    def _verify(self, token: str) -> AccessClaims:
        if len(token) > _MAX_TOKEN_LENGTH:
            raise Unauthenticated("invalid token")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS, "verify_aud": True},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid token") from None
        roles = claims["roles"]
        fields = (claims["user_id"], claims["username"], claims["sid"], claims["jti"])
        if not (
            isinstance(roles, list)
            and all(isinstance(r, str) for r in roles)
            and all(isinstance(f, str) and f for f in fields)
            and claims["sub"] == claims["user_id"]
        ):
            raise Unauthenticated("invalid token")
        # An internal identity token (it has an audience) is never a user token.
        if "aud" in claims:
            raise Unauthenticated("invalid token")
        return AccessClaims(
            user_id=claims["user_id"],
            username=claims["username"],
            roles=tuple(roles),
            session_id=claims["sid"],
            token_id=claims["jti"],
            expires_at=int(claims["exp"]),
        )


RotateStatus = Literal["rotated", "reused", "invalid"]


@dataclass(frozen=True, slots=True)
class Rotation:
    status: RotateStatus
    user_id: str = ""


class SessionStore(Protocol):
    async def create(self, session_id: str, user_id: str, refresh_hash: str, ttl: int) -> None: ...

    async def owner(self, session_id: str) -> str | None:
        """The user id of an active session, or None when it is revoked or expired."""
        ...

    def liveness(self, session_id: str, user_id: str) -> Precondition:
        """'The session is active and belongs to this user', for a rate-limited hit."""
        ...

    async def rotate(
        self, session_id: str, presented_hash: str, new_hash: str, ttl: int
    ) -> Rotation: ...

    async def revoke(self, session_id: str) -> bool: ...


# KEYS[1] session; ARGV: presented hash, new hash, ttl seconds.
_ROTATE = """
local current = redis.call('HGET', KEYS[1], 'refresh')
if not current then return {'invalid', ''} end
local user_id = redis.call('HGET', KEYS[1], 'user_id')
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refresh', ARGV[2], 'used:' .. ARGV[1], '1')
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
  return {'rotated', user_id}
end
if redis.call('HEXISTS', KEYS[1], 'used:' .. ARGV[1]) == 1 then
  redis.call('DEL', KEYS[1])
  return {'reused', user_id}
end
return {'invalid', ''}
"""


class RedisSessionStore:
    """``auth:session:<id>``: a hash of user_id, the current refresh hash, used hashes."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._rotate = redis.register_script(_ROTATE)

    @staticmethod
    def _key(session_id: str) -> str:
        return f"auth:session:{session_id}"

    async def create(self, session_id: str, user_id: str, refresh_hash: str, ttl: int) -> None:
        key = self._key(session_id)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping={"user_id": user_id, "refresh": refresh_hash})
                pipe.expire(key, ttl)
                await pipe.execute()

    def liveness(self, session_id: str, user_id: str) -> Precondition:
        return Precondition(self._key(session_id), "user_id", user_id)

    async def owner(self, session_id: str) -> str | None:
        with redis_errors():
            value = await self._redis.hget(self._key(session_id), "user_id")
        return value.decode() if isinstance(value, bytes) else None

    async def rotate(
        self, session_id: str, presented_hash: str, new_hash: str, ttl: int
    ) -> Rotation:
        with redis_errors():
            status, user_id = await self._rotate(
                keys=[self._key(session_id)], args=[presented_hash, new_hash, ttl]
            )
        return Rotation(status.decode(), user_id.decode())

    async def revoke(self, session_id: str) -> bool:
        with redis_errors():
            return bool(await self._redis.delete(self._key(session_id)))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime
    user: User


class Sessions:
    def __init__(
        self,
        store: SessionStore,
        tokens: AccessTokens,
        accounts: Accounts,
        refresh_ttl_seconds: int,
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._accounts = accounts
        self._refresh_ttl = refresh_ttl_seconds

    async def open(self, user: User) -> TokenPair:
        session_id = uuid.uuid4().hex
        secret = secrets.token_urlsafe(32)
        await self._store.create(session_id, user.id, _digest(secret), self._refresh_ttl)
        return self._pair(user, session_id, secret)

    async def refresh(self, refresh_token: str) -> TokenPair:
        match = _REFRESH.match(refresh_token)
        if match is None:
            raise Unauthenticated("invalid refresh token")
        session_id, secret = match.groups()
        new_secret = secrets.token_urlsafe(32)
        rotation = await self._store.rotate(
            session_id, _digest(secret), _digest(new_secret), self._refresh_ttl
        )
        if rotation.status == "reused":
            log.warning(
                "refresh token reused; session revoked", extra={"user_id": rotation.user_id}
            )
            raise Unauthenticated("refresh token already used; the session has been revoked")
        if rotation.status != "rotated":
            raise Unauthenticated("invalid refresh token")
        try:
            user = await self._accounts.get(rotation.user_id)
        except NotFound:
            await self._store.revoke(session_id)
            raise Unauthenticated("invalid refresh token") from None
        return self._pair(user, session_id, new_secret)

    async def close(self, session_id: str) -> bool:
        return await self._store.revoke(session_id)

    def _pair(self, user: User, session_id: str, secret: str) -> TokenPair:
        access_token, expires_at = self._tokens.issue(user, session_id)
        return TokenPair(
            access_token=access_token,
            refresh_token=f"{session_id}.{secret}",
            expires_at=datetime.fromtimestamp(expires_at, UTC),
            user=user,
        )
