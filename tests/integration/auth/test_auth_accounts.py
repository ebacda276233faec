"""Register, login, GetMe, refresh rotation, logout, and token forgery, over real gRPC."""

from __future__ import annotations

import time
import warnings

import grpc
import jwt
import pytest
from auth_harness import JWT_SECRET, PASSWORD, Harness, ServerFactory, bearer

from obsai.v1 import auth_pb2
from obsai_common.identity import Identity


async def expect_code(code: grpc.StatusCode, call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    assert info.value.code() == code, info.value.details()
    return info.value


async def test_register_login_get_me(auth: Harness) -> None:
    user = await auth.register("ada")
    assert (user.username, list(user.roles)) == ("ada", ["user"])
    assert user.email == "ada@example.com"
    assert user.created_at.seconds > 0

    tokens = await auth.login("ADA")  # usernames are case-insensitive
    assert tokens.token_type == "Bearer"
    assert tokens.user.id == user.id
    assert tokens.expires_at.seconds == pytest.approx(time.time() + 24 * 3600, abs=5)
    claims = jwt.decode(tokens.access_token, JWT_SECRET, algorithms=["HS256"], issuer="obsai")
    assert (claims["user_id"], claims["username"], claims["roles"]) == (user.id, "ada", ["user"])
    assert {"sid", "jti", "iat", "exp", "iss"} <= claims.keys()

    me = await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
    assert me == user


async def test_responses_never_carry_a_password_hash(auth: Harness) -> None:
    user = await auth.register("ada")
    tokens = await auth.login("ada")
    for message in (user, tokens):
        assert b"$2b$" not in message.SerializeToString()
        assert PASSWORD.encode() not in message.SerializeToString()


INVALID_REGISTRATIONS = [
    ("a", "a@example.com", PASSWORD, "username must be 3-32"),
    ("bad name", "b@example.com", PASSWORD, "username must be"),
    ("ada", "not-an-email", PASSWORD, "email must be"),
    ("ada", "ada@example.com", "short", "at least 8"),
    ("ada", "ada@example.com", "x" * 73, "at most 72 bytes"),
    ("adalovelace", "ada@example.com", "AdaLovelace", "differ from the username"),
]


async def test_register_validates_input(auth: Harness) -> None:
    for username, email, password, fragment in INVALID_REGISTRATIONS:
        error = await expect_code(
            grpc.StatusCode.INVALID_ARGUMENT,
            auth.stub.Register(
                auth_pb2.RegisterRequest(username=username, email=email, password=password)
            ),
        )
        assert fragment in (error.details() or ""), (username, email, error.details())


async def test_duplicate_username_or_email_is_already_exists(auth: Harness) -> None:
    await auth.register("ada")
    await expect_code(
        grpc.StatusCode.ALREADY_EXISTS,
        auth.stub.Register(
            auth_pb2.RegisterRequest(username="Ada", email="x@example.com", password=PASSWORD)
        ),
    )
    await expect_code(
        grpc.StatusCode.ALREADY_EXISTS,
        auth.stub.Register(
            auth_pb2.RegisterRequest(username="bob", email="ADA@example.com", password=PASSWORD)
        ),
    )


async def test_closed_registration(start_auth: ServerFactory) -> None:
    async with start_auth(open_registration=False) as auth:
        await expect_code(grpc.StatusCode.PERMISSION_DENIED, auth.register("ada"))


async def test_login_failures_are_uniform(auth: Harness) -> None:
    await auth.register("ada")
    wrong = await expect_code(grpc.StatusCode.UNAUTHENTICATED, auth.login("ada", "wrong-password"))
    unknown = await expect_code(grpc.StatusCode.UNAUTHENTICATED, auth.login("nobody", PASSWORD))
    empty = await expect_code(grpc.StatusCode.UNAUTHENTICATED, auth.login("ada", ""))
    assert wrong.details() == unknown.details() == empty.details() == "invalid username or password"


async def test_repeated_login_failures_are_throttled(start_auth: ServerFactory) -> None:
    async with start_auth(login_max_failures=3) as auth:
        await auth.register("ada")
        for _ in range(3):
            await expect_code(grpc.StatusCode.UNAUTHENTICATED, auth.login("ada", "wrong-password"))
        await expect_code(grpc.StatusCode.RESOURCE_EXHAUSTED, auth.login("ada", PASSWORD))
        # Other accounts are unaffected.
        await auth.register("bob")
        await auth.login("bob")


async def test_user_with_empty_password_hash_can_never_log_in(
    auth: Harness, database_url: str
) -> None:
    import asyncpg

    await auth.register("ada")
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE auth.users SET password_hash = '' WHERE username = 'ada'")
    finally:
        await conn.close()
    for password in ("", PASSWORD, "anything-at-all"):
        await expect_code(grpc.StatusCode.UNAUTHENTICATED, auth.login("ada", password))


async def test_refresh_rotates_and_reuse_revokes_the_family(auth: Harness) -> None:
    first = await auth.user("ada")
    second = await auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=first.refresh_token))
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(second.access_token))

    # The rotated-away token comes back: theft. The whole session ends.
    await expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=first.refresh_token)),
    )
    for token in (first.access_token, second.access_token):
        await expect_code(
            grpc.StatusCode.UNAUTHENTICATED,
            auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(token)),
        )
    await expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=second.refresh_token)),
    )


async def test_garbage_refresh_token_is_rejected(auth: Harness) -> None:
    tokens = await auth.user("ada")
    session_id = tokens.refresh_token.split(".")[0]
    for token in ("", "nonsense", f"{session_id}.{'A' * 43}"):
        await expect_code(
            grpc.StatusCode.UNAUTHENTICATED,
            auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=token)),
        )
    # A wrong guess is not reuse: the real session survives.
    await auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=tokens.refresh_token))


async def test_logout_revokes_the_session(auth: Harness) -> None:
    tokens = await auth.user("ada")
    other = await auth.login("ada")  # a second session (another device)
    reply = await auth.stub.Logout(auth_pb2.LogoutRequest(), metadata=bearer(tokens.access_token))
    assert reply.revoked
    await expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(tokens.access_token)),
    )
    await expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        auth.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=tokens.refresh_token)),
    )
    await auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(other.access_token))


def _forge(claims: dict[str, object], key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_forged_none_expired_and_wrong_issuer_tokens_are_unauthenticated(
    auth: Harness,
) -> None:
    tokens = await auth.user("ada")
    claims = jwt.decode(tokens.access_token, JWT_SECRET, algorithms=["HS256"], issuer="obsai")
    admin_claims = {**claims, "roles": ["user", "admin"]}
    header, payload, _ = jwt.encode(admin_claims, "k" * 32, algorithm="HS256").split(".")
    now = int(time.time())
    with warnings.catch_warnings():  # PyJWT warns that the key is short for HS512
        warnings.simplefilter("ignore")
        hs512 = _forge(claims, algorithm="HS512")
    bad = {
        "wrong key": _forge(admin_claims, key="another-secret-that-is-long-enough"),
        "alg none": jwt.encode(admin_claims, None, algorithm="none"),
        "alg none, stripped": f"{header}.{payload}.",
        "HS512 with the right key": hs512,
        "expired": _forge({**claims, "iat": now - 100, "exp": now - 10}),
        "wrong issuer": _forge({**claims, "iss": "someone-else"}),
        "no session": _forge({k: v for k, v in claims.items() if k != "sid"}),
        "unknown session": _forge({**claims, "sid": "0" * 32}),
        "internal token": auth.signer.sign(Identity(claims["user_id"], "ada", ("admin",))),
        "garbage": "not.a.jwt",
    }
    for name, token in bad.items():
        error = await expect_code(
            grpc.StatusCode.UNAUTHENTICATED,
            auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(token)),
        )
        assert error.details(), name
    expired = await expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        auth.stub.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(bad["expired"])),
    )
    assert expired.details() == "token expired"


async def test_anonymous_call_to_a_user_rpc_is_unauthenticated(auth: Harness) -> None:
    await expect_code(grpc.StatusCode.UNAUTHENTICATED, auth.stub.GetMe(auth_pb2.GetMeRequest()))


async def test_user_on_admin_rpc_is_permission_denied(auth: Harness) -> None:
    tokens = await auth.user("ada")
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=bearer(tokens.access_token)),
    )
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.GetUserUsage(
            auth_pb2.GetUserUsageRequest(id=tokens.user.id), metadata=bearer(tokens.access_token)
        ),
    )


async def test_user_cannot_call_internal_rpcs(auth: Harness) -> None:
    tokens = await auth.user("ada")
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.RecordUsage(
            auth_pb2.RecordUsageRequest(user_id=tokens.user.id, queries=1000),
            metadata=bearer(tokens.access_token),
        ),
    )
    await expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        auth.stub.Authenticate(
            auth_pb2.AuthenticateRequest(method="/obsai.v1.AuthService/GetMe"),
            metadata=bearer(tokens.access_token),
        ),
    )


async def test_spoofed_identity_metadata_is_rejected(auth: Harness) -> None:
    """A client cannot claim to be an admin by sending x-obsai-identity."""
    tokens = await auth.user("ada")
    claims = jwt.decode(tokens.access_token, JWT_SECRET, algorithms=["HS256"], issuer="obsai")
    forged = jwt.encode(
        {
            "sub": claims["user_id"],
            "roles": ["admin"],
            "aud": "obsai-internal",
            "iss": "obsai-auth",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "guessed-internal-secret-0123456789",
        algorithm="HS256",
    )
    await expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        auth.stub.ListApiKeys(
            auth_pb2.ListApiKeysRequest(),
            metadata=(("x-obsai-identity", forged), *bearer(tokens.access_token)),
        ),
    )


async def test_bootstrap_admin(start_auth: ServerFactory) -> None:
    async with start_auth(obsai_admin_password=None) as auth:
        [(username, password)] = auth.announced
        assert username == "admin"
        assert len(password) >= 16
        tokens = await auth.login("admin", password)
        assert set(tokens.user.roles) == {"user", "admin"}
    # A second start finds the admin and announces nothing.
    async with start_auth(obsai_admin_password=None) as again:
        assert again.announced == []
        await again.login("admin", password)
