"""Accounts: registration, password login, lookup, and the bootstrap admin.

Usernames and emails are unique without regard to case. Login answers one
message for every failure ("invalid username or password"), spends the same
bcrypt time whether or not the user exists, and is throttled per username
after repeated failures.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import asyncpg

from obsai_auth.passwords import PasswordHasher, validate_password
from obsai_auth.storage import parse_uuid, postgres_errors
from obsai_common.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)

log = logging.getLogger(__name__)

ROLE_USER = "user"
ROLE_ADMIN = "admin"
KNOWN_ROLES = frozenset({ROLE_USER, ROLE_ADMIN})

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_LOGIN_FAILED = "invalid username or password"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    email: str
    roles: tuple[str, ...]
    created_at: datetime
    password_hash: str = field(default="", repr=False)


def validate_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise InvalidArgument(
            "username must be 3-32 characters: letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return username


def validate_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidArgument("email must be a valid address such as name@example.com")
    return email


class UserStore(Protocol):
    async def create(
        self, username: str, email: str, password_hash: str, roles: Sequence[str]
    ) -> User:
        """Raises AlreadyExists when the username or email is taken."""
        ...

    async def by_username(self, username: str) -> User | None: ...

    async def by_id(self, user_id: str) -> User | None: ...

    async def record_login(self, user_id: str) -> None: ...


class LoginThrottle(Protocol):
    """Counts failed logins per username; blocks once there are too many."""

    async def blocked(self, username: str) -> bool: ...

    async def failed(self, username: str) -> None: ...

    async def succeeded(self, username: str) -> None: ...


def _user(row: asyncpg.Record) -> User:
    return User(
        id=str(row["id"]),
        username=row["username"],
        email=row["email"],
        roles=tuple(row["roles"]),
        created_at=row["created_at"],
        password_hash=row["password_hash"],
    )


class PgUserStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self, username: str, email: str, password_hash: str, roles: Sequence[str]
    ) -> User:
        try:
            with postgres_errors():
                row = await self._pool.fetchrow(
                    "INSERT INTO users (username, email, password_hash, roles)"
                    " VALUES ($1, $2, $3, $4) RETURNING *",
                    username,
                    email,
                    password_hash,
                    list(roles),
                )
        except asyncpg.UniqueViolationError as error:
            what = "email" if "email" in (error.constraint_name or "") else "username"
            raise AlreadyExists(f"that {what} is already registered") from None
        assert row is not None
        return _user(row)

    async def by_username(self, username: str) -> User | None:
        with postgres_errors():
            row = await self._pool.fetchrow(
                "SELECT * FROM users WHERE lower(username) = lower($1)", username
            )
        return _user(row) if row else None

    async def by_id(self, user_id: str) -> User | None:
        with postgres_errors():
            row = await self._pool.fetchrow(
                "SELECT * FROM users WHERE id = $1", parse_uuid(user_id, "user id")
            )
        return _user(row) if row else None

    async def record_login(self, user_id: str) -> None:
        with postgres_errors():
            await self._pool.execute(
                "UPDATE users SET last_login_at = now() WHERE id = $1", parse_uuid(user_id, "id")
            )


class Accounts:
    def __init__(
        self,
        store: UserStore,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        *,
        open_registration: bool = True,
    ) -> None:
        self._store = store
        self._hasher = hasher
        self._throttle = throttle
        self._open_registration = open_registration

    async def register(self, username: str, email: str, password: str) -> User:
        if not self._open_registration:
            raise PermissionDenied("registration is closed; ask an administrator for an account")
        return await self.create_user(username, email, password, (ROLE_USER,))

    async def create_user(
        self, username: str, email: str, password: str, roles: Sequence[str]
    ) -> User:
        username = validate_username(username)
        email = validate_email(email)
        validate_password(password, username)
        if unknown := set(roles) - KNOWN_ROLES:
            raise InvalidArgument(f"unknown roles: {', '.join(sorted(unknown))}")
        password_hash = await self._hasher.hash(password)
        user = await self._store.create(username, email, password_hash, roles)
        log.info("user registered", extra={"user_id": user.id, "roles": list(user.roles)})
        return user

    async def login(self, username: str, password: str) -> User:
        """The user for a username and password; one error for every failure."""
        if not username or len(username) > 64 or not password:
            await self._hasher.verify(password, "")
            raise Unauthenticated(_LOGIN_FAILED)
        if await self._throttle.blocked(username):
            raise RateLimited("too many failed login attempts; try again later")
        user = await self._store.by_username(username)
        ok = await self._hasher.verify(password, user.password_hash if user else "")
        if user is None or not ok:
            await self._throttle.failed(username)
            log.info("login failed")
            raise Unauthenticated(_LOGIN_FAILED)
        await self._throttle.succeeded(username)
        await self._store.record_login(user.id)
        return user

    async def get(self, user_id: str) -> User:
        user = await self._store.by_id(user_id)
        if user is None:
            raise NotFound("user not found")
        return user

    async def ensure_admin(self, username: str, email: str, password: str | None) -> str | None:
        """Create the first admin if absent; returns a generated password, once."""
        if await self._store.by_username(username) is not None:
            return None
        generated = None
        if password is None:
            password = generated = secrets.token_urlsafe(18)
        try:
            await self.create_user(username, email, password, (ROLE_USER, ROLE_ADMIN))
        except AlreadyExists:
            return None  # another replica created it first
        return generated
