"""Access tokens: HS256 only, every claim checked; refresh rotation and reuse."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import jwt
import pytest
from auth_world import JWT_SECRET, World

from obsai_auth.tokens import AccessTokens
from obsai_auth.users import User
from obsai_common.errors import Unauthenticated
from obsai_common.identity import Identity, InternalTokenSigner

ADA = User(
    "6f1c3c2e-0000-4000-8000-000000000001", "ada", "ada@example.com", ("user",), datetime.now(UTC)
)


def tokens(ttl: int = 3600) -> AccessTokens:
    return AccessTokens(JWT_SECRET, "obsai", ttl)


def test_claims_are_the_contract() -> None:
    token, expires_at = tokens().issue(ADA, "s" * 32)
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], issuer="obsai")
    assert claims["user_id"] == claims["sub"] == ADA.id
    assert (claims["username"], claims["roles"], claims["sid"]) == ("ada", ["user"], "s" * 32)
    assert claims["exp"] == expires_at == claims["iat"] + 3600
    assert len(claims["jti"]) == 32
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    verified = tokens().verify(token)
    assert (verified.user_id, verified.roles, verified.session_id) == (ADA.id, ("user",), "s" * 32)


def test_every_token_is_unique() -> None:
    issued = {tokens().issue(ADA, "s" * 32)[0] for _ in range(20)}
    assert len(issued) == 20


def _claims() -> dict[str, object]:
    token, _ = tokens().issue(ADA, "s" * 32)
    return jwt.decode(token, JWT_SECRET, algorithms=["HS256"], issuer="obsai")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda c: jwt.encode(c, "x" * 40, algorithm="HS256"), id="wrong key"),
        pytest.param(lambda c: jwt.encode(c, None, algorithm="none"), id="alg none"),
        pytest.param(
            lambda c: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(c)}.", id="alg none raw"
        ),
        pytest.param(
            lambda c: f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(c)}.", id="no signature"
        ),
        pytest.param(
            lambda c: jwt.encode({**c, "iss": "evil"}, JWT_SECRET, algorithm="HS256"),
            id="wrong issuer",
        ),
        pytest.param(
            lambda c: jwt.encode({**c, "aud": "obsai-internal"}, JWT_SECRET, algorithm="HS256"),
            id="has an audience",
        ),
        pytest.param(
            lambda c: jwt.encode({**c, "roles": "admin"}, JWT_SECRET, algorithm="HS256"),
            id="roles not a list",
        ),
        pytest.param(
            lambda c: jwt.encode({**c, "sub": "someone"}, JWT_SECRET, algorithm="HS256"),
            id="sub differs",
        ),
        pytest.param(
            lambda c: jwt.encode({**c, "user_id": ""}, JWT_SECRET, algorithm="HS256"),
            id="empty user",
        ),
        pytest.param(lambda c: "a" * 5000, id="oversized"),
        *[
            pytest.param(
                lambda c, n=name: jwt.encode(
                    {k: v for k, v in c.items() if k != n}, JWT_SECRET, algorithm="HS256"
                ),
                id=f"no {name}",
            )
            for name in ("exp", "iat", "iss", "jti", "sub", "sid", "user_id", "username", "roles")
        ],
    ],
)
def test_invalid_tokens_are_refused(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Unauthenticated, match="invalid token"):
        tokens().verify(make(_claims()))


def test_expired_token_says_so() -> None:
    now = int(time.time())
    token = jwt.encode({**_claims(), "iat": now - 20, "exp": now - 1}, JWT_SECRET, "HS256")
    with pytest.raises(Unauthenticated, match="token expired"):
        tokens().verify(token)


def test_an_internal_identity_token_is_not_an_access_token() -> None:
    signer = InternalTokenSigner(JWT_SECRET)  # even were the secrets equal
    token = signer.sign(Identity(ADA.id, "ada", ("admin",), session_id="s" * 32))
    with pytest.raises(Unauthenticated):
        tokens().verify(token)


async def test_refresh_rotates_and_detects_reuse(world: World) -> None:
    user, first = await world.user("ada")
    second = await world.sessions.refresh(first.refresh_token)
    assert second.user == user
    assert second.refresh_token.split(".")[0] == first.refresh_token.split(".")[0]
    with pytest.raises(Unauthenticated, match="already used"):
        await world.sessions.refresh(first.refresh_token)
    assert world.sessions_store.sessions == {}
    with pytest.raises(Unauthenticated):
        await world.sessions.refresh(second.refresh_token)


@pytest.mark.parametrize(
    "token", ["", "x", "a.b", f"{'0' * 32}.{'A' * 43}", f"{'G' * 32}.{'A' * 43}", "0" * 32 + "."]
)
async def test_malformed_or_unknown_refresh_tokens(world: World, token: str) -> None:
    with pytest.raises(Unauthenticated, match="invalid refresh token"):
        await world.sessions.refresh(token)


async def test_refresh_for_a_deleted_user_ends_the_session(world: World) -> None:
    user, pair = await world.user("ada")
    del world.users.users[user.id]
    with pytest.raises(Unauthenticated):
        await world.sessions.refresh(pair.refresh_token)
    assert world.sessions_store.sessions == {}
