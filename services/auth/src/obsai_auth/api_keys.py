"""API keys: ``obs_ai_`` + 256 random bits, stored only as SHA-256.

The key is shown once, at creation. A key carries at most its owner's roles:
bounded at creation, and intersected with the owner's current roles at every
use, so demoting a user demotes their keys. Users manage only their own keys
(a key of someone else is "not found", never "forbidden", so ids cannot be
probed); admins manage any key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import asyncpg

from obsai_auth.storage import parse_uuid, postgres_errors
from obsai_auth.users import KNOWN_ROLES, Accounts
from obsai_common.errors import InvalidArgument, NotFound, PermissionDenied
from obsai_common.identity import Identity

KEY_PREFIX = "obs_ai_"
_SECRET_BYTES = 32
_KEY = re.compile(r"^obs_ai_[A-Za-z0-9_-]{43}$")
_DISPLAY_CHARS = len(KEY_PREFIX) + 6
MAX_RATE_LIMIT = 1_000_000
MAX_TTL_SECONDS = 10 * 365 * 24 * 3600
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def is_well_formed(key: str) -> bool:
    return bool(_KEY.match(key))


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def display_prefix(key: str) -> str:
    return key[:_DISPLAY_CHARS]


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    owner_id: str
    name: str
    description: str
    prefix: str
    roles: tuple[str, ...]
    rate_limit: int
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True, slots=True)
class KeyPrincipal:
    """A key found by its hash, with its owner as they are now."""

    key: ApiKey
    owner_username: str
    owner_roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewKey:
    owner_id: str
    name: str
    description: str
    key_hash: bytes
    prefix: str
    roles: tuple[str, ...]
    rate_limit: int
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Page:
    size: int
    after: tuple[datetime, str] | None


class KeyLookup(Protocol):
    async def resolve(self, key_hash: bytes) -> KeyPrincipal | None:
        """The key with this hash (usable or not), marking it used."""
        ...


class ApiKeyStore(KeyLookup, Protocol):
    async def create(self, new: NewKey) -> ApiKey: ...

    async def get(self, key_id: str) -> ApiKey | None: ...

    async def list(
        self, owner_id: str | None, include_revoked: bool, page: Page
    ) -> tuple[list[ApiKey], int]: ...

    async def update(
        self, key_id: str, name: str | None, description: str | None, rate_limit: int | None
    ) -> ApiKey | None: ...

    async def revoke(self, key_id: str) -> ApiKey | None: ...


def _key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(
        id=str(row["id"]),
        owner_id=str(row["user_id"]),
        name=row["name"],
        description=row["description"],
        prefix=row["prefix"],
        roles=tuple(row["roles"]),
        rate_limit=row["rate_limit"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


class PgApiKeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, new: NewKey) -> ApiKey:
        with postgres_errors():
            row = await self._pool.fetchrow(
                "INSERT INTO api_keys (user_id, name, description, key_hash, prefix, roles,"
                " rate_limit, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                parse_uuid(new.owner_id, "owner_id"),
                new.name,
                new.description,
                new.key_hash,
                new.prefix,
                list(new.roles),
                new.rate_limit,
                new.expires_at,
            )
        assert row is not None
        return _key(row)

    async def get(self, key_id: str) -> ApiKey | None:
        with postgres_errors():
            row = await self._pool.fetchrow(
                "SELECT * FROM api_keys WHERE id = $1",
                parse_uuid(key_id, "id"),
            )
        return _key(row) if row else None

    async def list(
        self, owner_id: str | None, include_revoked: bool, page: Page
    ) -> tuple[list[ApiKey], int]:
        owner = parse_uuid(owner_id, "owner_id") if owner_id else None
        after_at, after_id = page.after or (None, None)
        with postgres_errors():
            async with self._pool.acquire() as conn:
                total = await conn.fetchval(
                    "SELECT count(*) FROM api_keys WHERE ($1::uuid IS NULL OR user_id = $1)"
                    " AND ($2 OR revoked_at IS NULL)",
                    owner,
                    include_revoked,
                )
                rows = await conn.fetch(
                    "SELECT * FROM api_keys WHERE ($1::uuid IS NULL OR user_id = $1)"
                    " AND ($2 OR revoked_at IS NULL)"
                    " AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))"
                    " ORDER BY created_at DESC, id DESC LIMIT $5",
                    owner,
                    include_revoked,
                    after_at,
                    parse_uuid(after_id, "page_token") if after_id else None,
                    page.size,
                )
        return [_key(r) for r in rows], int(total)

    async def update(
        self, key_id: str, name: str | None, description: str | None, rate_limit: int | None
    ) -> ApiKey | None:
        with postgres_errors():
            row = await self._pool.fetchrow(
                "UPDATE api_keys SET name = coalesce($2, name),"
                " description = coalesce($3, description),"
                " rate_limit = coalesce($4, rate_limit) WHERE id = $1 RETURNING *",
                parse_uuid(key_id, "id"),
                name,
                description,
                rate_limit,
            )
        return _key(row) if row else None

    async def revoke(self, key_id: str) -> ApiKey | None:
        with postgres_errors():
            row = await self._pool.fetchrow(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
                " WHERE id = $1 RETURNING *",
                parse_uuid(key_id, "id"),
            )
        return _key(row) if row else None

    async def resolve(self, key_hash: bytes) -> KeyPrincipal | None:
        # One round trip: find the key and its owner, and mark it used at most
        # once a minute so busy keys do not write on every request.
        with postgres_errors():
            row = await self._pool.fetchrow(
                "WITH found AS ("
                "  SELECT k.*, u.username AS owner_username, u.roles AS owner_roles"
                "   FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1),"
                " touched AS ("
                "  UPDATE api_keys SET last_used_at = now()"
                "   WHERE id = (SELECT id FROM found) AND revoked_at IS NULL"
                "   AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))"
                " SELECT * FROM found",
                key_hash,
            )
        if row is None:
            return None
        return KeyPrincipal(_key(row), row["owner_username"], tuple(row["owner_roles"]))


def _encode_page_token(key: ApiKey) -> str:
    raw = json.dumps({"c": key.created_at.isoformat(), "i": key.id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page(page_size: int, page_token: str) -> Page:
    if page_size < 0:
        raise InvalidArgument("page_size must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return Page(size, None)
    try:
        raw = json.loads(base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)))
        created_at = datetime.fromisoformat(raw["c"])
        key_id = str(parse_uuid(raw["i"], "page_token"))
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidArgument):
        raise InvalidArgument("page_token is invalid") from None
    return Page(size, (created_at, key_id))


@dataclass(frozen=True, slots=True)
class KeyListing:
    keys: list[ApiKey]
    next_page_token: str
    total: int


@dataclass(frozen=True, slots=True)
class KeyRequest:
    name: str
    description: str = ""
    rate_limit: int = 0
    ttl_seconds: int = 0
    roles: Sequence[str] = ()
    owner_id: str = ""


class ApiKeys:
    def __init__(self, store: ApiKeyStore, accounts: Accounts, default_rate_limit: int) -> None:
        self._store = store
        self._accounts = accounts
        self._default_rate_limit = default_rate_limit

    async def create(
        self, caller: Identity, request: KeyRequest, *, now: datetime | None = None
    ) -> tuple[ApiKey, str]:
        """A new key for the caller (or, for admins, for `owner_id`); returns it and the secret."""
        owner_id = request.owner_id or caller.user_id
        if owner_id != caller.user_id and not caller.is_admin:
            raise PermissionDenied("only admins may create keys for other users")
        name = _checked_name(request.name)
        description = _checked_description(request.description)
        rate_limit = _checked_rate_limit(request.rate_limit) or self._default_rate_limit
        if not 0 <= request.ttl_seconds <= MAX_TTL_SECONDS:
            raise InvalidArgument(f"ttl_seconds must be between 0 and {MAX_TTL_SECONDS}")
        owner = await self._accounts.get(owner_id)
        # At most the owner's roles, and at most the caller's own (a key cannot
        # mint a key stronger than itself).
        allowed = set(owner.roles) & (
            set(caller.roles) if owner_id == caller.user_id else KNOWN_ROLES
        )
        requested = tuple(dict.fromkeys(request.roles)) or tuple(
            r for r in owner.roles if r in allowed
        )
        if unknown := set(requested) - KNOWN_ROLES:
            raise InvalidArgument(f"unknown roles: {', '.join(sorted(unknown))}")
        if excess := set(requested) - allowed:
            raise PermissionDenied(
                f"a key carries at most its owner's roles; not allowed: {', '.join(sorted(excess))}"
            )
        if not requested:
            raise PermissionDenied("the owner has no roles a key could carry")
        now = now or datetime.now(UTC)
        secret = generate_key()
        key = await self._store.create(
            NewKey(
                owner_id=owner.id,
                name=name,
                description=description,
                key_hash=hash_key(secret),
                prefix=display_prefix(secret),
                roles=requested,
                rate_limit=rate_limit,
                expires_at=now + timedelta(seconds=request.ttl_seconds)
                if request.ttl_seconds
                else None,
            )
        )
        return key, secret

    async def list(
        self,
        owner_id: str | None,
        include_revoked: bool,
        page_size: int,
        page_token: str,
    ) -> KeyListing:
        page = decode_page(page_size, page_token)
        keys, total = await self._store.list(owner_id, include_revoked, page)
        next_token = _encode_page_token(keys[-1]) if len(keys) == page.size else ""
        return KeyListing(keys, next_token, total)

    async def update(self, key_id: str, name: str, description: str, rate_limit: int) -> ApiKey:
        """Admin edit; empty or zero fields keep their current value."""
        key = await self._store.update(
            key_id,
            _checked_name(name) if name else None,
            _checked_description(description) if description else None,
            _checked_rate_limit(rate_limit) or None,
        )
        if key is None:
            raise NotFound("API key not found")
        return key

    async def revoke(self, caller: Identity, key_id: str, *, any_owner: bool) -> ApiKey:
        key = await self._store.get(key_id)
        if key is None or (not any_owner and key.owner_id != caller.user_id):
            raise NotFound("API key not found")
        revoked = await self._store.revoke(key_id)
        if revoked is None:
            raise NotFound("API key not found")
        return revoked


def _checked_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidArgument("name is required, at most 100 characters")
    return name


def _checked_description(description: str) -> str:
    if len(description) > 500:
        raise InvalidArgument("description must be at most 500 characters")
    return description


def _checked_rate_limit(rate_limit: int) -> int:
    if not 0 <= rate_limit <= MAX_RATE_LIMIT:
        raise InvalidArgument(f"rate_limit must be between 0 and {MAX_RATE_LIMIT} per window")
    return rate_limit
