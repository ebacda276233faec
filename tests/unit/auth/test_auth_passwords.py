"""Password rules, bcrypt, and accounts: uniform login failures, throttling, admin bootstrap."""

from __future__ import annotations

import pytest
from auth_world import PASSWORD, World

from obsai_auth.passwords import PasswordHasher, validate_password
from obsai_auth.users import validate_email, validate_username
from obsai_common.errors import (
    AlreadyExists,
    InvalidArgument,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)


@pytest.mark.parametrize(
    "password", ["", "short", " " * 10, "x" * 73, "é" * 37, "pass\x00word", "AdaLovelace"]
)
def test_bad_passwords(password: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_password(password, "adalovelace")


def test_good_passwords() -> None:
    validate_password("correct horse", "ada")
    validate_password("é" * 36, "ada")  # 72 bytes


@pytest.mark.parametrize("name", ["ab", "a" * 33, "-ada", "ada lovelace", "ada@x", "ädä"])
def test_bad_usernames(name: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_username(name)


@pytest.mark.parametrize(
    "email", ["", "ada", "ada@", "@x.io", "a b@x.io", "ada@x", "a@x." + "c" * 300]
)
def test_bad_emails(email: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_email(email)


async def test_hash_and_verify() -> None:
    hasher = PasswordHasher(4)
    digest = await hasher.hash(PASSWORD)
    assert digest.startswith("$2b$04$")
    assert await hasher.verify(PASSWORD, digest)
    assert not await hasher.verify(PASSWORD + "x", digest)


@pytest.mark.parametrize("stored", ["", "plaintext", "$2b$04$broken", "$1$md5$hash"])
async def test_unusable_hashes_never_match(stored: str) -> None:
    hasher = PasswordHasher(4)
    for password in ("", stored, PASSWORD):
        assert not await hasher.verify(password, stored)


async def test_login_failures_are_one_message(world: World) -> None:
    await world.user("ada")
    messages = set()
    for username, password in [
        ("ada", "wrong-password"),
        ("nobody", PASSWORD),
        ("ada", ""),
        ("", PASSWORD),
        ("x" * 100, PASSWORD),
    ]:
        with pytest.raises(Unauthenticated) as info:
            await world.accounts.login(username, password)
        messages.add(info.value.message)
    assert messages == {"invalid username or password"}


async def test_login_is_case_insensitive_and_recorded(world: World) -> None:
    user, _ = await world.user("Ada")
    assert (await world.accounts.login("aDA", PASSWORD)).id == user.id
    assert world.users.logins == [user.id]


async def test_throttle_blocks_after_failures_and_success_clears(world: World) -> None:
    await world.user("ada")
    await world.accounts.login("ada", PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await world.accounts.login("ada", "wrong-password")
    await world.accounts.login("ada", PASSWORD)  # clears the count
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await world.accounts.login("ADA", "wrong-password")
    with pytest.raises(RateLimited):
        await world.accounts.login("ada", PASSWORD)


async def test_registration_and_duplicates(world: World) -> None:
    user = await world.accounts.register("ada", " ada@example.com ", PASSWORD)
    assert (user.roles, user.email) == (("user",), "ada@example.com")
    assert user.password_hash.startswith("$2b$")
    assert "password_hash" not in repr(user)
    with pytest.raises(AlreadyExists):
        await world.accounts.register("ADA", "other@example.com", PASSWORD)


async def test_closed_registration(world: World) -> None:
    world.accounts._open_registration = False  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied):
        await world.accounts.register("ada", "ada@example.com", PASSWORD)


async def test_admin_bootstrap_is_idempotent(world: World) -> None:
    generated = await world.accounts.ensure_admin("admin", "admin@obsai.local", None)
    assert generated is not None
    assert len(generated) >= 16
    admin = await world.accounts.login("admin", generated)
    assert set(admin.roles) == {"user", "admin"}
    assert await world.accounts.ensure_admin("admin", "admin@obsai.local", None) is None
    assert await world.accounts.ensure_admin("admin", "admin@obsai.local", "other-pass") is None
    await world.accounts.login("admin", generated)


async def test_admin_bootstrap_with_a_chosen_password(world: World) -> None:
    assert await world.accounts.ensure_admin("root", "root@example.com", "chosen-password") is None
    await world.accounts.login("root", "chosen-password")
