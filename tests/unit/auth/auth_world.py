"""The auth domain wired to in-memory fakes of its store interfaces."""

from __future__ import annotations

import time
from dataclasses import dataclass

from auth_fakes import (
    FakeKeys,
    FakeRateLimiter,
    FakeRejections,
    FakeSessionStore,
    FakeThrottle,
    FakeUserStore,
)

from obsai_auth.api_keys import ApiKeys, KeyRequest
from obsai_auth.authorizer import Authorizer, RateLimits
from obsai_auth.passwords import PasswordHasher
from obsai_auth.tokens import AccessTokens, Sessions, TokenPair
from obsai_auth.users import Accounts, User
from obsai_common.identity import Identity

JWT_SECRET = "unit-test-jwt-secret-0123456789abcdef"
PASSWORD = "correct horse battery"


@dataclass
class World:
    clock: list[float]
    users: FakeUserStore
    throttle: FakeThrottle
    sessions_store: FakeSessionStore
    limiter: FakeRateLimiter
    keys_store: FakeKeys
    rejections: FakeRejections
    accounts: Accounts
    tokens: AccessTokens
    sessions: Sessions
    keys: ApiKeys
    authorizer: Authorizer

    async def user(self, name: str, *, admin: bool = False) -> tuple[User, TokenPair]:
        roles = ("user", "admin") if admin else ("user",)
        user = await self.accounts.create_user(name, f"{name}@example.com", PASSWORD, roles)
        return user, await self.sessions.open(user)

    async def key(self, user: User, **fields: object) -> str:
        caller = Identity(user.id, user.username, user.roles)
        _, secret = await self.keys.create(caller, KeyRequest(name="k", **fields))  # type: ignore[arg-type]
        return secret


def build_world(*, failure_mode: str = "closed", limits: RateLimits | None = None) -> World:
    clock = [time.time()]
    users = FakeUserStore()
    throttle = FakeThrottle()
    accounts = Accounts(users, PasswordHasher(4), throttle)
    tokens = AccessTokens(JWT_SECRET, "obsai", 3600, clock=lambda: clock[0])
    sessions_store = FakeSessionStore()
    limiter = FakeRateLimiter(clock, sessions_store.holds)
    keys_store = FakeKeys(users)
    rejections = FakeRejections()
    authorizer = Authorizer(
        tokens=tokens,
        sessions=sessions_store,
        keys=keys_store,
        limiter=limiter,
        rejections=rejections,
        limits=limits or RateLimits(user=3, admin=5, window_seconds=60),
        redis_failure_mode=failure_mode,  # type: ignore[arg-type]
        clock=lambda: clock[0],
    )
    return World(
        clock=clock,
        users=users,
        throttle=throttle,
        sessions_store=sessions_store,
        limiter=limiter,
        keys_store=keys_store,
        rejections=rejections,
        accounts=accounts,
        tokens=tokens,
        sessions=Sessions(sessions_store, tokens, accounts, 86400),
        keys=ApiKeys(keys_store, accounts, default_rate_limit=10),
        authorizer=authorizer,
    )
