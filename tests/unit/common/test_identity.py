"""Internal identity tokens can be verified, and cannot be forged or stretched."""

from __future__ import annotations

import time

import jwt
import pytest

from obsai_common.errors import Unauthenticated
from obsai_common.identity import Identity, InternalTokenSigner

SECRET = "s" * 32


def test_round_trip_keeps_every_field() -> None:
    signer = InternalTokenSigner(SECRET)
    identity = Identity(
        "u1", "ada", ("user", "admin"), api_key_id="k1", session_id="s1", tenant="t"
    )
    assert signer.verify(signer.sign(identity)) == identity


def test_another_secret_is_rejected() -> None:
    token = InternalTokenSigner("x" * 32).sign(Identity("u1", "ada", ("admin",)))
    with pytest.raises(Unauthenticated):
        InternalTokenSigner(SECRET).verify(token)


def test_unsigned_token_is_rejected() -> None:
    claims = {
        "sub": "u1",
        "roles": ["admin"],
        "aud": "obsai-internal",
        "iss": "obsai-auth",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthenticated):
        InternalTokenSigner(SECRET).verify(token)


def test_expired_token_is_rejected() -> None:
    token = InternalTokenSigner(SECRET, ttl_seconds=-5).sign(Identity("u1", "ada"))
    with pytest.raises(Unauthenticated):
        InternalTokenSigner(SECRET).verify(token)


def test_user_jwt_signed_with_the_same_secret_is_not_an_internal_token() -> None:
    claims = {"sub": "u1", "exp": int(time.time()) + 60, "iat": int(time.time())}
    with pytest.raises(Unauthenticated):
        InternalTokenSigner(SECRET).verify(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        InternalTokenSigner("short")


def test_a_token_is_reused_while_more_than_half_its_life_is_left() -> None:
    now = [1_000_000.0]
    signer = InternalTokenSigner(SECRET, ttl_seconds=120, clock=lambda: now[0])
    ada, bob = Identity("u1", "ada", ("user",)), Identity("u2", "bob", ("user",))
    first = signer.sign(ada)
    now[0] += 59
    assert signer.sign(ada) == first
    assert signer.sign(bob) != first
    assert signer.sign(Identity("u1", "ada", ("user", "admin"))) != first
    now[0] += 2
    assert signer.sign(ada) != first


def test_verifying_twice_gives_the_same_identity_and_a_forgery_is_still_refused() -> None:
    signer = InternalTokenSigner(SECRET)
    identity = Identity("u1", "ada", ("user",))
    token = signer.sign(identity)
    assert signer.verify(token) == signer.verify(token) == identity
    header, payload, signature = token.split(".")
    with pytest.raises(Unauthenticated):
        signer.verify(f"{header}.{payload}.{signature[:-2]}AA")
