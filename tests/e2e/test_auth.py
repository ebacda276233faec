"""Auth as REST clients and internal platforms meet it: through Envoy and over
direct gRPC, against the real auth service, PostgreSQL and Redis."""

from __future__ import annotations

import time
import uuid
from typing import Any

import grpc
import httpx
import jwt
import pytest

from obsai.v1 import system_pb2, system_pb2_grpc
from obsai_common.identity import Identity, InternalTokenSigner
from obsai_devstack.stack import Stack
from tests.e2e.conftest import JWT_SECRET

PASSWORD = "correct-horse-battery"


def register_and_login(gateway: httpx.Client) -> dict[str, Any]:
    name = f"user{uuid.uuid4().hex[:8]}"
    registered = gateway.post(
        "/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
    )
    assert registered.status_code == 200, registered.text
    login = gateway.post("/auth/login", json={"username": name, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return dict(login.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_login_me(gateway: httpx.Client) -> None:
    session = register_and_login(gateway)
    assert session["token_type"] == "Bearer"
    me = gateway.get("/auth/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == session["user"]["username"]
    assert me.json()["roles"] == ["user"]
    assert "password" not in me.text


def test_refresh_rotates_and_reuse_revokes_the_family(gateway: httpx.Client) -> None:
    session = register_and_login(gateway)
    first = session["refresh_token"]
    rotated = gateway.post("/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first
    reused = gateway.post("/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401
    # The reuse revoked the whole family: the newest tokens are dead too.
    assert (
        gateway.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code
        == 401
    )
    assert gateway.get("/auth/me", headers=bearer(second["access_token"])).status_code == 401


def test_logout_revokes_at_once(gateway: httpx.Client) -> None:
    token = register_and_login(gateway)["access_token"]
    assert gateway.post("/auth/logout", json={}, headers=bearer(token)).status_code == 200
    response = gateway.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


def _forgeries(token: str) -> dict[str, str]:
    claims = jwt.decode(token, options={"verify_signature": False})
    return {
        "wrong key": jwt.encode(claims, "not-the-secret-0123456789-abcdefghij", algorithm="HS256"),
        "alg none": jwt.encode(claims, key=None, algorithm="none"),
        "expired": jwt.encode(
            {**claims, "exp": int(time.time()) - 60}, JWT_SECRET, algorithm="HS256"
        ),
        "admin claimed": jwt.encode(
            {**claims, "roles": ["admin"]},
            "not-the-secret-0123456789-abcdefghij",
            algorithm="HS256",
        ),
    }


def test_forged_and_expired_tokens_are_401(gateway: httpx.Client) -> None:
    token = register_and_login(gateway)["access_token"]
    for name, forged in _forgeries(token).items():
        response = gateway.get("/auth/me", headers=bearer(forged))
        assert response.status_code == 401, name


def test_user_on_admin_route_is_403(gateway: httpx.Client) -> None:
    token = register_and_login(gateway)["access_token"]
    response = gateway.get("/admin/api-keys", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert (
        gateway.post("/admin/discovery/trigger", json={}, headers=bearer(token)).status_code == 403
    )


def test_keys_belong_to_their_owner(gateway: httpx.Client) -> None:
    alice = register_and_login(gateway)["access_token"]
    bob = register_and_login(gateway)["access_token"]
    created = gateway.post("/auth/api-keys", json={"name": "ci"}, headers=bearer(alice)).json()
    key, key_id = created["key"], created["api_key"]["id"]
    assert key.startswith("obs_ai_")
    listed = gateway.get("/auth/api-keys", headers=bearer(alice)).json()
    assert "key" not in listed["api_keys"][0]
    assert gateway.delete(f"/auth/api-keys/{key_id}", headers=bearer(bob)).status_code == 404
    assert gateway.get("/auth/me", headers={"X-API-Key": key}).status_code == 200
    assert gateway.delete(f"/auth/api-keys/{key_id}", headers=bearer(alice)).status_code == 200
    revoked = gateway.get("/auth/me", headers={"X-API-Key": key})
    assert revoked.status_code == 401


def test_expired_key_is_401(gateway: httpx.Client) -> None:
    token = register_and_login(gateway)["access_token"]
    key = gateway.post(
        "/auth/api-keys", json={"name": "short", "ttl_seconds": 1}, headers=bearer(token)
    ).json()["key"]
    time.sleep(1.5)
    assert gateway.get("/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_rate_limit_is_per_identity_and_shared_across_routes(gateway: httpx.Client) -> None:
    token = register_and_login(gateway)["access_token"]
    key = gateway.post(
        "/auth/api-keys", json={"name": "tiny", "rate_limit": 3}, headers=bearer(token)
    ).json()["key"]
    headers = {"X-API-Key": key}
    first = gateway.get("/auth/me", headers=headers)
    assert first.headers["x-ratelimit-limit"] == "3"
    assert first.headers["x-ratelimit-remaining"] == "2"
    assert int(first.headers["x-ratelimit-reset"]) > time.time()
    assert gateway.get("/api/v1/whoami", headers=headers).headers["x-ratelimit-remaining"] == "1"
    assert gateway.get("/auth/me", headers=headers).status_code == 200
    refused = gateway.get("/api/v1/whoami", headers=headers)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) > 0
    # Another identity (the key's owner, by token) has its own bucket.
    assert gateway.get("/auth/me", headers=bearer(token)).status_code == 200


def test_spoofed_identity_headers_change_nothing(gateway: httpx.Client, stack: Stack) -> None:
    token = register_and_login(gateway)["access_token"]
    spoof = InternalTokenSigner("attacker-secret-0123456789-abcdefghij").sign(
        Identity("root", "root", ("admin",))
    )
    genuine = InternalTokenSigner(stack.internal_secret).sign(Identity("root", "root", ("admin",)))
    for header in (spoof, genuine):
        me = gateway.get("/api/v1/whoami", headers={**bearer(token), "x-obsai-identity": header})
        assert me.json()["roles"] == ["user"]
        anonymous = gateway.get("/api/v1/whoami", headers={"x-obsai-identity": header})
        assert anonymous.status_code == 401


@pytest.fixture
def query_stub(stack: Stack) -> Any:
    channel = grpc.insecure_channel(stack.services["query"].address)
    yield system_pb2_grpc.SystemServiceStub(channel)
    channel.close()


def test_direct_grpc_ends_in_the_same_identity(gateway: httpx.Client, query_stub: Any) -> None:
    session = register_and_login(gateway)
    reply, call = query_stub.WhoAmI.with_call(
        system_pb2.WhoAmIRequest(),
        metadata=(("authorization", f"Bearer {session['access_token']}"),),
    )
    assert reply.username == session["user"]["username"]
    assert dict(call.initial_metadata())["x-ratelimit-limit"] == "100"


def test_direct_grpc_rejects_spoofed_metadata(query_stub: Any) -> None:
    spoof = InternalTokenSigner("attacker-secret-0123456789-abcdefghij").sign(
        Identity("root", "root", ("admin",))
    )
    for metadata in ((), (("x-obsai-identity", spoof),), (("authorization", "Bearer forged"),)):
        with pytest.raises(grpc.RpcError) as caught:
            query_stub.WhoAmI(system_pb2.WhoAmIRequest(), metadata=metadata)
        assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_direct_grpc_shares_the_rate_limit_bucket(gateway: httpx.Client, query_stub: Any) -> None:
    token = register_and_login(gateway)["access_token"]
    key = gateway.post(
        "/auth/api-keys", json={"name": "tiny", "rate_limit": 2}, headers=bearer(token)
    ).json()["key"]
    assert gateway.get("/api/v1/whoami", headers={"X-API-Key": key}).status_code == 200
    query_stub.WhoAmI(system_pb2.WhoAmIRequest(), metadata=(("x-api-key", key),))
    with pytest.raises(grpc.RpcError) as caught:
        query_stub.WhoAmI(system_pb2.WhoAmIRequest(), metadata=(("x-api-key", key),))
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert gateway.get("/api/v1/whoami", headers={"X-API-Key": key}).status_code == 429
