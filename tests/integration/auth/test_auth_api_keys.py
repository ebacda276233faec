"""API keys: shown once, hashed at rest, bounded by the owner's roles, owner-scoped."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import asyncpg
import grpc
import pytest
from auth_harness import Harness, ServerFactory, bearer

from obsai.v1 import auth_pb2, common_pb2

ME = auth_pb2.GetMeRequest()


async def expect_code(code: grpc.StatusCode, call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    assert info.value.code() == code, info.value.details()
    return info.value


async def test_key_is_shown_once_and_stored_only_as_a_hash(
    auth: Harness, database_url: str
) -> None:
    tokens = await auth.user("ada")
    created = await auth.create_key(tokens.access_token, "ci", description="pipeline")
    key = created.key
    assert key.startswith("obs_ai_")
    assert len(key) >= 7 + 43
    assert created.api_key.prefix == key[:13]
    assert list(created.api_key.roles) == ["user"]
    assert created.api_key.rate_limit == 100
    assert created.api_key.owner_id == tokens.user.id

    listed = await auth.stub.ListMyApiKeys(
        auth_pb2.ListApiKeysRequest(), metadata=bearer(tokens.access_token)
    )
    assert [k.id for k in listed.api_keys] == [created.api_key.id]
    assert key.encode() not in listed.SerializeToString()

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT * FROM auth.api_keys")
    finally:
        await conn.close()
    assert len(rows) == 1
    assert bytes(rows[0]["key_hash"]) == hashlib.sha256(key.encode()).digest()
    assert all(key not in str(value) for value in rows[0].values())


async def test_a_key_authenticates_as_its_owner(auth: Harness) -> None:
    tokens = await auth.user("ada")
    key = (await auth.create_key(tokens.access_token)).key
    for metadata in (
        (("x-api-key", key),),
        (("authorization", f"ApiKey {key}"),),
        (("authorization", f"Bearer {key}"),),
    ):
        me = await auth.stub.GetMe(ME, metadata=metadata)
        assert me.id == tokens.user.id, metadata[0][0]


async def test_unknown_or_malformed_keys_are_unauthenticated(auth: Harness) -> None:
    tokens = await auth.user("ada")
    created = await auth.create_key(tokens.access_token)
    tampered = created.key[:-1] + ("A" if created.key[-1] != "A" else "B")
    for key in (tampered, "obs_ai_short", "nope", created.key + "x"):
        await expect_code(
            grpc.StatusCode.UNAUTHENTICATED, auth.stub.GetMe(ME, metadata=(("x-api-key", key),))
        )


async def test_both_credentials_at_once_are_refused(auth: Harness) -> None:
    tokens = await auth.user("ada")
    created = await auth.create_key(tokens.access_token)
    await expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        auth.stub.GetMe(ME, metadata=(*bearer(tokens.access_token), ("x-api-key", created.key))),
    )


async def test_a_key_carries_at_most_its_owners_roles(auth: Harness) -> None:
    user = await auth.user("ada")
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.create_key(user.access_token, roles=["admin"]),
    )
    admin = await auth.admin()
    admin_key = await auth.create_key(admin.access_token, "admin-all")
    assert set(admin_key.api_key.roles) == {"user", "admin"}
    user_only = await auth.create_key(admin.access_token, "admin-narrow", roles=["user"])
    await auth.stub.ListApiKeys(
        auth_pb2.ListApiKeysRequest(), metadata=(("x-api-key", admin_key.key),)
    )
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.ListApiKeys(
            auth_pb2.ListApiKeysRequest(), metadata=(("x-api-key", user_only.key),)
        ),
    )
    # Admins create keys for others, still bounded by that owner's roles.
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.CreateApiKey(
            auth_pb2.CreateApiKeyRequest(name="x", owner_id=user.user.id, roles=["admin"]),
            metadata=bearer(admin.access_token),
        ),
    )
    for_ada = await auth.stub.CreateApiKey(
        auth_pb2.CreateApiKeyRequest(name="for ada", owner_id=user.user.id),
        metadata=bearer(admin.access_token),
    )
    assert for_ada.api_key.owner_id == user.user.id
    assert list(for_ada.api_key.roles) == ["user"]
    # ...and a user cannot use the "my keys" route to create one for someone else.
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.create_key(user.access_token, owner_id=admin.user.id),
    )


async def test_user_cannot_revoke_or_list_another_users_key(auth: Harness) -> None:
    ada = await auth.user("ada")
    bob = await auth.user("bob")
    ada_key = await auth.create_key(ada.access_token)
    await expect_code(
        grpc.StatusCode.NOT_FOUND,
        auth.stub.RevokeMyApiKey(
            auth_pb2.RevokeApiKeyRequest(id=ada_key.api_key.id), metadata=bearer(bob.access_token)
        ),
    )
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.RevokeApiKey(
            auth_pb2.RevokeApiKeyRequest(id=ada_key.api_key.id), metadata=bearer(bob.access_token)
        ),
    )
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.ListMyApiKeys(
            auth_pb2.ListApiKeysRequest(owner_id=ada.user.id), metadata=bearer(bob.access_token)
        ),
    )
    bobs = await auth.stub.ListMyApiKeys(
        auth_pb2.ListApiKeysRequest(), metadata=bearer(bob.access_token)
    )
    assert list(bobs.api_keys) == []
    # Ada's key still works.
    await auth.stub.GetMe(ME, metadata=(("x-api-key", ada_key.key),))


async def test_revoked_key_is_unauthenticated_at_once(auth: Harness) -> None:
    ada = await auth.user("ada")
    mine = await auth.create_key(ada.access_token, "mine")
    other = await auth.create_key(ada.access_token, "other")
    revoked = await auth.stub.RevokeMyApiKey(
        auth_pb2.RevokeApiKeyRequest(id=mine.api_key.id), metadata=bearer(ada.access_token)
    )
    assert revoked.revoked_at.seconds > 0
    error = await expect_code(
        grpc.StatusCode.UNAUTHENTICATED, auth.stub.GetMe(ME, metadata=(("x-api-key", mine.key),))
    )
    assert error.details() == "API key revoked or expired"

    admin = await auth.admin()
    await auth.stub.RevokeApiKey(
        auth_pb2.RevokeApiKeyRequest(id=other.api_key.id), metadata=bearer(admin.access_token)
    )
    await expect_code(
        grpc.StatusCode.UNAUTHENTICATED, auth.stub.GetMe(ME, metadata=(("x-api-key", other.key),))
    )
    listed = await auth.stub.ListMyApiKeys(
        auth_pb2.ListApiKeysRequest(), metadata=bearer(ada.access_token)
    )
    assert list(listed.api_keys) == []
    with_revoked = await auth.stub.ListMyApiKeys(
        auth_pb2.ListApiKeysRequest(include_revoked=True), metadata=bearer(ada.access_token)
    )
    assert len(with_revoked.api_keys) == 2


async def test_expired_key_is_unauthenticated(start_auth: ServerFactory) -> None:
    offset = [0.0]
    async with start_auth(clock=lambda: time.time() + offset[0]) as auth:
        ada = await auth.user("ada")
        created = await auth.create_key(ada.access_token, ttl_seconds=60)
        assert created.api_key.expires_at.seconds == pytest.approx(time.time() + 60, abs=5)
        await auth.stub.GetMe(ME, metadata=(("x-api-key", created.key),))
        offset[0] = 61
        await expect_code(
            grpc.StatusCode.UNAUTHENTICATED,
            auth.stub.GetMe(ME, metadata=(("x-api-key", created.key),)),
        )


async def test_key_use_is_recorded(auth: Harness) -> None:
    ada = await auth.user("ada")
    created = await auth.create_key(ada.access_token)
    assert not created.api_key.HasField("last_used_at")
    await auth.stub.GetMe(ME, metadata=(("x-api-key", created.key),))
    listed = await auth.stub.ListMyApiKeys(
        auth_pb2.ListApiKeysRequest(), metadata=bearer(ada.access_token)
    )
    assert listed.api_keys[0].last_used_at.seconds == pytest.approx(time.time(), abs=5)


INVALID_KEY_REQUESTS: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "name is required"),
    ({"name": "x" * 101}, "name is required"),
    ({"name": "x", "description": "d" * 501}, "description"),
    ({"name": "x", "rate_limit": -1}, "rate_limit"),
    ({"name": "x", "ttl_seconds": -5}, "ttl_seconds"),
    ({"name": "x", "roles": ["root"]}, "unknown roles"),
]


async def test_key_requests_are_validated(auth: Harness) -> None:
    ada = await auth.user("ada")
    for fields, fragment in INVALID_KEY_REQUESTS:
        error = await expect_code(
            grpc.StatusCode.INVALID_ARGUMENT,
            auth.stub.CreateMyApiKey(
                auth_pb2.CreateApiKeyRequest(**fields), metadata=bearer(ada.access_token)
            ),
        )
        assert fragment in (error.details() or ""), (fields, error.details())


async def test_admin_lists_pages_and_updates_keys(auth: Harness) -> None:
    ada = await auth.user("ada")
    admin = await auth.admin()
    ids = [(await auth.create_key(ada.access_token, f"k{i}")).api_key.id for i in range(3)]
    await auth.create_key(admin.access_token, "admin's")
    as_admin = bearer(admin.access_token)

    first = await auth.stub.ListApiKeys(
        auth_pb2.ListApiKeysRequest(owner_id=ada.user.id, page=common_pb2.PageRequest(page_size=2)),
        metadata=as_admin,
    )
    assert first.page.total_size == 3
    assert first.page.next_page_token
    second = await auth.stub.ListApiKeys(
        auth_pb2.ListApiKeysRequest(
            owner_id=ada.user.id,
            page=common_pb2.PageRequest(page_size=2, page_token=first.page.next_page_token),
        ),
        metadata=as_admin,
    )
    assert sorted(k.id for k in [*first.api_keys, *second.api_keys]) == sorted(ids)
    everyone = await auth.stub.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=as_admin)
    assert everyone.page.total_size == 4

    updated = await auth.stub.UpdateApiKey(
        auth_pb2.UpdateApiKeyRequest(id=ids[0], rate_limit=7, description="d"),
        metadata=as_admin,
    )
    assert (updated.rate_limit, updated.description, updated.name) == (7, "d", "k0")
    await expect_code(
        grpc.StatusCode.NOT_FOUND,
        auth.stub.UpdateApiKey(
            auth_pb2.UpdateApiKeyRequest(id="00000000-0000-0000-0000-000000000000", name="x"),
            metadata=as_admin,
        ),
    )
    await expect_code(
        grpc.StatusCode.INVALID_ARGUMENT,
        auth.stub.UpdateApiKey(auth_pb2.UpdateApiKeyRequest(id="nope"), metadata=as_admin),
    )
    await expect_code(
        grpc.StatusCode.INVALID_ARGUMENT,
        auth.stub.ListApiKeys(
            auth_pb2.ListApiKeysRequest(page=common_pb2.PageRequest(page_token="garbage!")),
            metadata=as_admin,
        ),
    )
