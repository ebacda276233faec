"""Envoy's Authorization/Check with real CheckRequests: statuses, headers, bodies."""

from __future__ import annotations

import json
import time

import pytest
from auth_harness import Harness, ServerFactory, bearer
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2

from obsai.v1 import auth_pb2
from obsai_common.identity import IDENTITY_METADATA, Identity

OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD


def headers_of(options: object) -> dict[str, str]:
    return {h.header.key: h.header.value for h in options}  # type: ignore[attr-defined]


def assert_anonymous_ok(response: external_auth_pb2.CheckResponse) -> None:
    assert response.status.code == 0
    assert response.WhichOneof("http_response") == "ok_response"
    assert list(response.ok_response.headers_to_remove) == [IDENTITY_METADATA]
    assert list(response.ok_response.headers) == []


def assert_denied(
    response: external_auth_pb2.CheckResponse, grpc_code: int, http: int, code: str
) -> dict[str, str]:
    assert response.status.code == grpc_code
    denied = response.denied_response
    assert denied.status.code == http
    headers = headers_of(denied.headers)
    assert headers["content-type"] == "application/json"
    body = json.loads(denied.body)
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert denied.body == json.dumps(body, separators=(",", ":"))
    return headers


async def test_public_routes_pass_and_strip_injected_identity(auth: Harness) -> None:
    spoof = {IDENTITY_METADATA: auth.signer.sign(Identity("x", "x", ("admin",)))}
    for method, path in [
        ("POST", "/auth/login"),
        ("POST", "/auth/register"),
        ("GET", "/health"),
        ("GET", "/api/v1/ping?message=hi"),
    ]:
        assert_anonymous_ok(await auth.check(method, path, spoof))


async def test_unknown_routes_are_not_found(auth: Harness) -> None:
    # Preflights from allowed origins are answered by Envoy's cors filter and
    # never reach Check; any OPTIONS that does is from a disallowed origin.
    spoof = {IDENTITY_METADATA: "forged", "authorization": "Bearer nonsense"}
    for method, path in [
        ("GET", "/nope"),
        ("DELETE", "/auth/me"),
        ("GET", "/admin"),
        ("OPTIONS", "/auth/me"),
    ]:
        response = await auth.check(method, path, spoof)
        assert_denied(response, 5, 404, "NOT_FOUND")


async def test_authorized_request_carries_a_signed_identity(auth: Harness) -> None:
    ada = await auth.user("ada")
    response = await auth.check(
        "GET",
        "/auth/me?verbose=1",
        {
            "authorization": f"Bearer {ada.access_token}",
            IDENTITY_METADATA: auth.signer.sign(Identity("evil", "evil", ("admin",))),
            "x-request-id": "r-1",
        },
    )
    assert response.status.code == 0
    ok = response.ok_response
    [identity_header] = ok.headers
    assert identity_header.header.key == IDENTITY_METADATA
    assert identity_header.append_action == OVERWRITE
    identity = auth.signer.verify(identity_header.header.value)
    assert (identity.user_id, identity.username, identity.roles) == (ada.user.id, "ada", ("user",))
    assert identity.session_id
    assert set(ok.headers_to_remove) == {"authorization", "x-api-key"}
    assert IDENTITY_METADATA not in ok.headers_to_remove
    limits = headers_of(ok.response_headers_to_add)
    assert limits["x-ratelimit-limit"] == "100"
    assert limits["x-ratelimit-remaining"] == "99"
    assert int(limits["x-ratelimit-reset"]) == pytest.approx(time.time() + 3600, abs=5)

    # What Envoy forwards upstream is accepted by the service's interceptor.
    me = await auth.stub.GetMe(
        auth_pb2.GetMeRequest(), metadata=((IDENTITY_METADATA, identity_header.header.value),)
    )
    assert me.id == ada.user.id


async def test_api_key_through_check(auth: Harness) -> None:
    ada = await auth.user("ada")
    key = await auth.create_key(ada.access_token, rate_limit=10)
    response = await auth.check("POST", "/query", {"x-api-key": key.key})
    identity = auth.signer.verify(response.ok_response.headers[0].header.value)
    assert identity.api_key_id == key.api_key.id
    assert headers_of(response.ok_response.response_headers_to_add)["x-ratelimit-limit"] == "10"

    await auth.stub.RevokeMyApiKey(
        auth_pb2.RevokeApiKeyRequest(id=key.api_key.id), metadata=bearer(ada.access_token)
    )
    revoked = await auth.check("POST", "/query", {"x-api-key": key.key})
    assert_denied(revoked, 16, 401, "UNAUTHENTICATED")


async def test_missing_or_bad_credentials_are_401(auth: Harness) -> None:
    for headers in [
        {},
        {"authorization": "Bearer not-a-token"},
        {"authorization": "Basic YWRhOnB3"},
        {"x-api-key": "obs_ai_wrong"},
    ]:
        response = await auth.check("GET", "/services", headers)
        denied_headers = assert_denied(response, 16, 401, "UNAUTHENTICATED")
        assert denied_headers["www-authenticate"].startswith("Bearer")
    body = json.loads((await auth.check("GET", "/services", {})).denied_response.body)
    assert body["error"]["message"].startswith("authentication required")


async def test_logged_out_token_is_401(auth: Harness) -> None:
    ada = await auth.user("ada")
    await auth.stub.Logout(auth_pb2.LogoutRequest(), metadata=bearer(ada.access_token))
    response = await auth.check("GET", "/auth/me", {"authorization": f"Bearer {ada.access_token}"})
    assert_denied(response, 16, 401, "UNAUTHENTICATED")


async def test_user_on_admin_route_is_403(auth: Harness) -> None:
    ada = await auth.user("ada")
    headers = {"authorization": f"Bearer {ada.access_token}"}
    for method, path in [
        ("GET", "/admin/api-keys"),
        ("DELETE", "/admin/api-keys/00000000-0000-0000-0000-000000000000"),
        ("GET", f"/admin/users/{ada.user.id}/usage"),
        ("POST", "/admin/discovery/trigger"),
    ]:
        assert_denied(await auth.check(method, path, headers), 7, 403, "PERMISSION_DENIED")
    admin = await auth.admin()
    ok = await auth.check(
        "GET", "/admin/api-keys", {"authorization": f"Bearer {admin.access_token}"}
    )
    assert ok.status.code == 0


async def test_over_the_limit_is_429_with_retry_after(start_auth: ServerFactory) -> None:
    async with start_auth(rate_limit_user=2) as auth:
        ada = await auth.user("ada")
        headers = {"authorization": f"Bearer {ada.access_token}"}
        for _ in range(2):
            assert (await auth.check("GET", "/history", headers)).status.code == 0
        response = await auth.check("POST", "/query", headers)
        denied = assert_denied(response, 8, 429, "RATE_LIMITED")
        assert 3590 <= int(denied["retry-after"]) <= 3600
        assert denied["x-ratelimit-limit"] == "2"
        assert denied["x-ratelimit-remaining"] == "0"
        assert int(denied["x-ratelimit-reset"]) == pytest.approx(time.time() + 3600, abs=5)
        # A non-counted route still answers (logout must always work).
        logout = await auth.check("POST", "/auth/logout", headers)
        assert logout.status.code == 0
        assert (
            headers_of(logout.ok_response.response_headers_to_add)["x-ratelimit-remaining"] == "0"
        )


async def test_grpc_through_the_gateway_is_checked_by_method(auth: Harness) -> None:
    ada = await auth.user("ada")
    ok = await auth.check(
        "POST", "/obsai.v1.QueryService/Query", {"authorization": f"Bearer {ada.access_token}"}
    )
    assert auth.signer.verify(ok.ok_response.headers[0].header.value).user_id == ada.user.id
    denied = await auth.check(
        "POST", "/obsai.v1.AuthService/ListApiKeys", {"authorization": f"Bearer {ada.access_token}"}
    )
    assert_denied(denied, 7, 403, "PERMISSION_DENIED")
    assert_denied(
        await auth.check("POST", "/obsai.v1.QueryService/Query"), 16, 401, "UNAUTHENTICATED"
    )
    internal = await auth.check(
        "POST",
        "/obsai.v1.AuthService/Authenticate",
        {"authorization": f"Bearer {ada.access_token}"},
    )
    assert_denied(internal, 7, 403, "PERMISSION_DENIED")
    assert_anonymous_ok(await auth.check("POST", "/obsai.v1.AuthService/Login"))
