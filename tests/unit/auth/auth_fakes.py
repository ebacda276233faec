"""In-memory fakes of the auth service's own store interfaces, for unit tests."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from obsai_auth.api_keys import ApiKey, KeyPrincipal, NewKey, Page
from obsai_auth.rate_limit import Precondition, PreconditionFailed, WindowState
from obsai_auth.storage import RedisUnavailable
from obsai_auth.tokens import Rotation
from obsai_auth.users import User
from obsai_common.errors import AlreadyExists


class FakeUserStore:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.logins: list[str] = []

    async def create(
        self, username: str, email: str, password_hash: str, roles: Sequence[str]
    ) -> User:
        for user in self.users.values():
            if user.username.lower() == username.lower():
                raise AlreadyExists("that username is already registered")
        user = User(
            str(uuid.uuid4()), username, email, tuple(roles), datetime.now(UTC), password_hash
        )
        self.users[user.id] = user
        return user

    async def by_username(self, username: str) -> User | None:
        return next(
            (u for u in self.users.values() if u.username.lower() == username.lower()), None
        )

    async def by_id(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    async def record_login(self, user_id: str) -> None:
        self.logins.append(user_id)


class FakeThrottle:
    def __init__(self, max_failures: int = 3) -> None:
        self.failures: dict[str, int] = {}
        self.max = max_failures

    async def blocked(self, username: str) -> bool:
        return self.failures.get(username.casefold(), 0) >= self.max

    async def failed(self, username: str) -> None:
        key = username.casefold()
        self.failures[key] = self.failures.get(key, 0) + 1

    async def succeeded(self, username: str) -> None:
        self.failures.pop(username.casefold(), None)


class FakeSessionStore:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, str]] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise RedisUnavailable("the session store is unavailable, try again shortly")

    async def create(self, session_id: str, user_id: str, refresh_hash: str, ttl: int) -> None:
        self._check()
        self.sessions[session_id] = {"user_id": user_id, "refresh": refresh_hash}

    async def owner(self, session_id: str) -> str | None:
        self._check()
        session = self.sessions.get(session_id)
        return session["user_id"] if session else None

    def liveness(self, session_id: str, user_id: str) -> Precondition:
        return Precondition(session_id, "user_id", user_id)

    def holds(self, precondition: Precondition) -> bool:
        self._check()  # one Redis in production: the limiter's script reads this store
        session = self.sessions.get(precondition.key, {})
        return session.get(precondition.field) == precondition.expected

    async def rotate(
        self, session_id: str, presented_hash: str, new_hash: str, ttl: int
    ) -> Rotation:
        self._check()
        session = self.sessions.get(session_id)
        if session is None:
            return Rotation("invalid")
        if session["refresh"] == presented_hash:
            session["refresh"] = new_hash
            session[f"used:{presented_hash}"] = "1"
            return Rotation("rotated", session["user_id"])
        if f"used:{presented_hash}" in session:
            del self.sessions[session_id]
            return Rotation("reused", session["user_id"])
        return Rotation("invalid")

    async def revoke(self, session_id: str) -> bool:
        self._check()
        return self.sessions.pop(session_id, None) is not None


class FakeRateLimiter:
    """The same sliding window as the Lua script, over a list per bucket."""

    def __init__(self, clock: list[float], holds: Callable[[Precondition], bool]) -> None:
        self.clock = clock
        self.holds = holds
        self.buckets: dict[str, list[int]] = {}
        self.down = False

    async def hit(
        self, bucket: str, limit: int, window_seconds: int, requires: Precondition | None = None
    ) -> WindowState:
        return self._run(bucket, limit, window_seconds, 1, requires)

    async def peek(
        self, bucket: str, limit: int, window_seconds: int, requires: Precondition | None = None
    ) -> WindowState:
        return self._run(bucket, limit, window_seconds, 0, requires)

    def _run(
        self, bucket: str, limit: int, window_seconds: int, cost: int, requires: Precondition | None
    ) -> WindowState:
        if self.down:
            raise RedisUnavailable("the session store is unavailable, try again shortly")
        if requires is not None and not self.holds(requires):
            raise PreconditionFailed(requires)
        now_ms, window_ms = int(self.clock[0] * 1000), window_seconds * 1000
        hits = [t for t in self.buckets.get(bucket, []) if t > now_ms - window_ms]
        allowed = cost == 0 or len(hits) < limit
        if cost and allowed:
            hits.append(now_ms)
        self.buckets[bucket] = hits
        return WindowState(allowed, limit, len(hits), min(hits, default=None), now_ms, window_ms)


class FakeKeys:
    """`ApiKeyStore` in memory (resolve included)."""

    def __init__(self, users: FakeUserStore) -> None:
        self.users = users
        self.keys: dict[str, tuple[ApiKey, bytes]] = {}
        self._clock = itertools.count()

    async def create(self, new: NewKey) -> ApiKey:
        key = ApiKey(
            id=str(uuid.uuid4()),
            owner_id=new.owner_id,
            name=new.name,
            description=new.description,
            prefix=new.prefix,
            roles=new.roles,
            rate_limit=new.rate_limit,
            created_at=datetime.now(UTC),
            expires_at=new.expires_at,
        )
        self.keys[key.id] = (key, new.key_hash)
        return key

    async def get(self, key_id: str) -> ApiKey | None:
        found = self.keys.get(key_id)
        return found[0] if found else None

    async def list(
        self, owner_id: str | None, include_revoked: bool, page: Page
    ) -> tuple[list[ApiKey], int]:
        keys = [
            k
            for k, _ in self.keys.values()
            if (owner_id is None or k.owner_id == owner_id)
            and (include_revoked or k.revoked_at is None)
        ]
        return keys[: page.size], len(keys)

    async def update(
        self, key_id: str, name: str | None, description: str | None, rate_limit: int | None
    ) -> ApiKey | None:
        raise NotImplementedError

    async def revoke(self, key_id: str) -> ApiKey | None:
        found = self.keys.get(key_id)
        if found is None:
            return None
        key, digest = found
        revoked = ApiKey(**{**_fields(key), "revoked_at": key.revoked_at or datetime.now(UTC)})
        self.keys[key_id] = (revoked, digest)
        return revoked

    async def resolve(self, key_hash: bytes) -> KeyPrincipal | None:
        for key, digest in self.keys.values():
            if digest == key_hash:
                owner = self.users.users[key.owner_id]
                return KeyPrincipal(key, owner.username, owner.roles)
        return None


def _fields(key: ApiKey) -> dict[str, object]:
    return {name: getattr(key, name) for name in ApiKey.__slots__}  # type: ignore[attr-defined]


class FakeRejections:
    def __init__(self) -> None:
        self.users: list[str] = []

    async def record_rejection(self, user_id: str) -> None:
        self.users.append(user_id)
