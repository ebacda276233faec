"""API key format, hashing, display prefix, and list page tokens."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from auth_world import World

from obsai_auth.api_keys import (
    KeyRequest,
    decode_page,
    display_prefix,
    generate_key,
    hash_key,
    is_well_formed,
)
from obsai_common.errors import InvalidArgument, NotFound, PermissionDenied
from obsai_common.identity import Identity


def test_keys_are_prefixed_high_entropy_and_distinct() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert key.startswith("obs_ai_")
        assert is_well_formed(key)
        assert len(base64.urlsafe_b64decode(key[7:] + "=")) == 32  # 256 bits


def test_hash_is_sha256_of_the_whole_key() -> None:
    key = generate_key()
    assert hash_key(key) == hashlib.sha256(key.encode()).digest()
    assert hash_key(key) != hash_key(generate_key())


def test_display_prefix_is_not_shared_by_every_key() -> None:
    prefixes = {display_prefix(generate_key()) for _ in range(50)}
    assert len(prefixes) > 45
    assert all(p.startswith("obs_ai_") and len(p) == 13 for p in prefixes)


@pytest.mark.parametrize(
    "key", ["", "obs_ai_", "obs_ai_abc", "OBS_AI_" + "A" * 43, "obs_ai_" + "A" * 42 + "!"]
)
def test_malformed_keys(key: str) -> None:
    assert not is_well_formed(key)


def test_page_sizes_and_tokens() -> None:
    assert decode_page(0, "").size == 50
    assert decode_page(10_000, "").size == 500
    with pytest.raises(InvalidArgument):
        decode_page(-1, "")
    for token in ("garbage!", base64.urlsafe_b64encode(b'{"c": 1}').decode(), "e30"):
        with pytest.raises(InvalidArgument, match="page_token"):
            decode_page(10, token)


async def test_listing_pages_round_trip(world: World) -> None:
    ada, _ = await world.user("ada")
    caller = Identity(ada.id, "ada", ada.roles)
    for i in range(3):
        await world.keys.create(caller, KeyRequest(name=f"k{i}"))
    listing = await world.keys.list(ada.id, False, 2, "")
    assert listing.total == 3
    page = decode_page(2, listing.next_page_token)
    assert page.after is not None
    assert page.after[1] == listing.keys[-1].id
    assert isinstance(page.after[0], datetime)
    last = await world.keys.list(ada.id, False, 5, "")
    assert last.next_page_token == ""


async def test_creation_defaults_and_bounds(world: World) -> None:
    ada, _ = await world.user("ada")
    caller = Identity(ada.id, "ada", ada.roles)
    key, secret = await world.keys.create(
        caller, KeyRequest(name="  ci  ", ttl_seconds=60), now=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert key.name == "ci"
    assert key.rate_limit == 10  # the configured default
    assert key.roles == ("user",)
    assert key.expires_at == datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
    assert key.prefix == secret[:13]
    with pytest.raises(PermissionDenied):
        await world.keys.create(caller, KeyRequest(name="x", roles=["admin"]))
    with pytest.raises(InvalidArgument):
        await world.keys.create(caller, KeyRequest(name="x", ttl_seconds=10**10))


async def test_a_key_cannot_mint_a_stronger_key(world: World) -> None:
    root, _ = await world.user("root", admin=True)
    as_user_key = Identity(root.id, "root", ("user",), api_key_id="k")
    with pytest.raises(PermissionDenied):
        await world.keys.create(as_user_key, KeyRequest(name="x", roles=["admin"]))
    key, _ = await world.keys.create(as_user_key, KeyRequest(name="x"))
    assert key.roles == ("user",)


async def test_only_admins_create_keys_for_others(world: World) -> None:
    ada, _ = await world.user("ada")
    bob, _ = await world.user("bob")
    root, _ = await world.user("root", admin=True)
    with pytest.raises(PermissionDenied):
        await world.keys.create(
            Identity(bob.id, "bob", bob.roles), KeyRequest(name="x", owner_id=ada.id)
        )
    key, _ = await world.keys.create(
        Identity(root.id, "root", root.roles), KeyRequest(name="x", owner_id=ada.id)
    )
    assert (key.owner_id, key.roles) == (ada.id, ("user",))
    with pytest.raises(NotFound):
        await world.keys.create(
            Identity(root.id, "root", root.roles),
            KeyRequest(name="x", owner_id="00000000-0000-4000-8000-000000000000"),
        )


async def test_revoking_someone_elses_key_is_not_found(world: World) -> None:
    ada, _ = await world.user("ada")
    bob, _ = await world.user("bob")
    key, _ = await world.keys.create(Identity(ada.id, "ada", ada.roles), KeyRequest(name="x"))
    with pytest.raises(NotFound):
        await world.keys.revoke(Identity(bob.id, "bob", bob.roles), key.id, any_owner=False)
    revoked = await world.keys.revoke(Identity(ada.id, "ada", ada.roles), key.id, any_owner=False)
    assert revoked.revoked_at is not None
