"""Envoy's ext_authz against a real auth server, HTTP and gRPC forms: statuses, headers."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import pytest
from auth_harness import INTERNAL_SECRET, Harness, ServerFactory, bearer
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import attribute_context_pb2, external_auth_pb2

from obsai.v1 import auth_pb2
from obsai_auth.ext_authz_http import MAX_HEAD_BYTES, REMOVE_HEADER
from obsai_common.identity import IDENTITY_METADATA, Identity, InternalTokenSigner

SIGNER = InternalTokenSigner(INTERNAL_SECRET)


def assert_anonymous_ok(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers[REMOVE_HEADER] == IDENTITY_METADATA
    assert IDENTITY_METADATA not in response.headers


def assert_allowed(response: httpx.Response) -> Identity:
    """A request let through: the signed identity Envoy forwards, credentials removed."""
    assert response.status_code == 200
    assert response.headers[REMOVE_HEADER] == "authorization, x-api-key"
    return SIGNER.verify(response.headers[IDENTITY_METADATA])


def assert_denied(response: httpx.Response, http: int, code: str) -> httpx.Headers:
    assert response.status_code == http
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert response.text == json.dumps(body, separators=(",", ":"))
    assert IDENTITY_METADATA not in response.headers
    return response.headers


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
        assert_denied(response, 404, "NOT_FOUND")


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
    identity = assert_allowed(response)
    assert (identity.user_id, identity.username, identity.roles) == (ada.user.id, "ada", ("user",))
    assert identity.session_id
    limits = response.headers
    assert limits["x-ratelimit-limit"] == "100"
    assert limits["x-ratelimit-remaining"] == "99"
    assert int(limits["x-ratelimit-reset"]) == pytest.approx(time.time() + 3600, abs=5)

    # What Envoy forwards upstream is accepted by the service's interceptor.
    me = await auth.stub.GetMe(
        auth_pb2.GetMeRequest(),
        metadata=((IDENTITY_METADATA, response.headers[IDENTITY_METADATA]),),
    )
    assert me.id == ada.user.id


async def test_api_key_through_check(auth: Harness) -> None:
    ada = await auth.user("ada")
    key = await auth.create_key(ada.access_token, rate_limit=10)
    response = await auth.check("POST", "/query", {"x-api-key": key.key})
    assert assert_allowed(response).api_key_id == key.api_key.id
    assert response.headers["x-ratelimit-limit"] == "10"

    await auth.stub.RevokeMyApiKey(
        auth_pb2.RevokeApiKeyRequest(id=key.api_key.id), metadata=bearer(ada.access_token)
    )
    revoked = await auth.check("POST", "/query", {"x-api-key": key.key})
    assert_denied(revoked, 401, "UNAUTHENTICATED")


async def test_missing_or_bad_credentials_are_401(auth: Harness) -> None:
    for headers in [
        {},
        {"authorization": "Bearer not-a-token"},
        {"authorization": "Basic YWRhOnB3"},
        {"x-api-key": "obs_ai_wrong"},
    ]:
        response = await auth.check("GET", "/services", headers)
        denied_headers = assert_denied(response, 401, "UNAUTHENTICATED")
        assert denied_headers["www-authenticate"].startswith("Bearer")
    body = (await auth.check("GET", "/services", {})).json()
    assert body["error"]["message"].startswith("authentication required")


async def test_logged_out_token_is_401(auth: Harness) -> None:
    ada = await auth.user("ada")
    await auth.stub.Logout(auth_pb2.LogoutRequest(), metadata=bearer(ada.access_token))
    response = await auth.check("GET", "/auth/me", {"authorization": f"Bearer {ada.access_token}"})
    assert_denied(response, 401, "UNAUTHENTICATED")


async def test_user_on_admin_route_is_403(auth: Harness) -> None:
    ada = await auth.user("ada")
    headers = {"authorization": f"Bearer {ada.access_token}"}
    for method, path in [
        ("GET", "/admin/api-keys"),
        ("DELETE", "/admin/api-keys/00000000-0000-0000-0000-000000000000"),
        ("GET", f"/admin/users/{ada.user.id}/usage"),
        ("POST", "/admin/discovery/trigger"),
    ]:
        assert_denied(await auth.check(method, path, headers), 403, "PERMISSION_DENIED")
    admin = await auth.admin()
    ok = await auth.check(
        "GET", "/admin/api-keys", {"authorization": f"Bearer {admin.access_token}"}
    )
    assert assert_allowed(ok).roles == ("user", "admin")


async def test_over_the_limit_is_429_with_retry_after(start_auth: ServerFactory) -> None:
    async with start_auth(rate_limit_user=2) as auth:
        ada = await auth.user("ada")
        headers = {"authorization": f"Bearer {ada.access_token}"}
        for _ in range(2):
            assert_allowed(await auth.check("GET", "/history", headers))
        response = await auth.check("POST", "/query", headers)
        denied = assert_denied(response, 429, "RATE_LIMITED")
        assert 3590 <= int(denied["retry-after"]) <= 3600
        assert denied["x-ratelimit-limit"] == "2"
        assert denied["x-ratelimit-remaining"] == "0"
        assert int(denied["x-ratelimit-reset"]) == pytest.approx(time.time() + 3600, abs=5)
        # A non-counted route still answers (logout must always work).
        logout = await auth.check("POST", "/auth/logout", headers)
        assert_allowed(logout)
        assert logout.headers["x-ratelimit-remaining"] == "0"


async def test_grpc_through_the_gateway_is_checked_by_method(auth: Harness) -> None:
    ada = await auth.user("ada")
    ok = await auth.check(
        "POST", "/obsai.v1.QueryService/Query", {"authorization": f"Bearer {ada.access_token}"}
    )
    assert assert_allowed(ok).user_id == ada.user.id
    denied = await auth.check(
        "POST", "/obsai.v1.AuthService/ListApiKeys", {"authorization": f"Bearer {ada.access_token}"}
    )
    assert_denied(denied, 403, "PERMISSION_DENIED")
    assert_denied(await auth.check("POST", "/obsai.v1.QueryService/Query"), 401, "UNAUTHENTICATED")
    internal = await auth.check(
        "POST",
        "/obsai.v1.AuthService/Authenticate",
        {"authorization": f"Bearer {ada.access_token}"},
    )
    assert_denied(internal, 403, "PERMISSION_DENIED")
    assert_anonymous_ok(await auth.check("POST", "/obsai.v1.AuthService/Login"))


async def test_a_body_the_rpc_does_not_take_is_400(auth: Harness) -> None:
    ada = await auth.user("ada")
    headers = {"authorization": f"Bearer {ada.access_token}"}
    unknown_field = await auth.check("POST", "/query", headers, body=b'{"qery": "cpu"}')
    assert_denied(unknown_field, 400, "INVALID_ARGUMENT")
    assert_denied(await auth.check("POST", "/query", headers, body=b"{"), 400, "INVALID_ARGUMENT")
    assert_allowed(await auth.check("POST", "/query", headers, body=b'{"query": "cpu"}'))


async def _exchange(auth: Harness, raw: bytes) -> bytes:
    port = int(str(auth.authz.base_url.port))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await reader.read()  # until the server closes
    writer.close()
    return answer


async def test_pipelined_requests_are_answered_in_order(auth: Harness) -> None:
    answer = await _exchange(
        auth,
        b"GET /services HTTP/1.1\r\nhost: a\r\n\r\n"
        b"GET /health HTTP/1.1\r\nhost: a\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n",
    )
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"401", b"200", b"404"]


async def test_a_malformed_request_is_400_and_the_connection_closed(auth: Harness) -> None:
    answer = await _exchange(auth, b"NOT HTTP AT ALL\r\n\r\n")
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 Bad Request"
    assert b'"code":"INVALID_ARGUMENT"' in rest


def grpc_check_request(
    method: str, path: str, headers: dict[str, str]
) -> external_auth_pb2.CheckRequest:
    http = attribute_context_pb2.AttributeContext.HttpRequest(
        method=method, path=path, headers=headers
    )
    return external_auth_pb2.CheckRequest(
        attributes=attribute_context_pb2.AttributeContext(
            request=attribute_context_pb2.AttributeContext.Request(http=http)
        )
    )


async def test_the_grpc_form_gives_the_same_answers(auth: Harness) -> None:
    ada = await auth.user("ada")
    spoof = {IDENTITY_METADATA: SIGNER.sign(Identity("x", "x", ("admin",)))}
    allowed = await auth.authz_grpc.Check(
        grpc_check_request("GET", "/auth/me", {"authorization": f"Bearer {ada.access_token}"})
    )
    assert allowed.status.code == 0
    ok = allowed.ok_response
    [identity] = ok.headers
    assert identity.header.key == IDENTITY_METADATA
    assert identity.append_action == base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD
    assert SIGNER.verify(identity.header.value).user_id == ada.user.id
    assert list(ok.headers_to_remove) == ["authorization", "x-api-key"]
    limits = {h.header.key: h.header.value for h in ok.response_headers_to_add}
    assert limits["x-ratelimit-remaining"] == "99"

    public = await auth.authz_grpc.Check(grpc_check_request("GET", "/health", spoof))
    assert (public.status.code, list(public.ok_response.headers_to_remove)) == (
        0,
        [IDENTITY_METADATA],
    )
    assert list(public.ok_response.headers) == []

    denied = await auth.authz_grpc.Check(grpc_check_request("GET", "/services", spoof))
    assert denied.status.code == 16  # UNAUTHENTICATED
    assert denied.denied_response.status.code == 401
    headers = {h.header.key: h.header.value for h in denied.denied_response.headers}
    assert headers["www-authenticate"].startswith("Bearer")
    assert json.loads(denied.denied_response.body)["error"]["code"] == "UNAUTHENTICATED"


async def test_oversized_requests_are_refused_and_the_connection_closed(auth: Harness) -> None:
    huge_header = b"x-filler: " + b"a" * (MAX_HEAD_BYTES + 1) + b"\r\n"
    answer = await _exchange(auth, b"GET /health HTTP/1.1\r\n" + huge_header + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"request line and headers too large" in answer
    body = b"{" + b" " * (1 << 20) + b"}"
    answer = await _exchange(
        auth, b"POST /query HTTP/1.1\r\ncontent-length: %d\r\n\r\n" % len(body) + body
    )
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"request body too large" in answer
