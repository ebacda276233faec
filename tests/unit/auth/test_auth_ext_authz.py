"""Check, in process: answers for every outcome, including ones hard to cause for real."""

from __future__ import annotations

import json

from auth_world import World
from envoy.service.auth.v3 import attribute_context_pb2, external_auth_pb2

from obsai_auth.ext_authz import AuthorizationServicer, error_body
from obsai_common.errors import Unavailable
from obsai_common.identity import InternalTokenSigner

SIGNER = InternalTokenSigner("internal-secret-for-unit-tests-0123")


def request(method: str, path: str, headers: dict[str, str]) -> external_auth_pb2.CheckRequest:
    http = attribute_context_pb2.AttributeContext.HttpRequest(
        method=method, path=path, headers=headers
    )
    return external_auth_pb2.CheckRequest(
        attributes=attribute_context_pb2.AttributeContext(
            request=attribute_context_pb2.AttributeContext.Request(http=http)
        )
    )


def test_error_body_is_the_uniform_shape() -> None:
    assert error_body("UNAUTHENTICATED", 'say "hi"') == (
        '{"error":{"code":"UNAUTHENTICATED","message":"say \\"hi\\""}}'
    )


async def test_ok_for_a_user(world: World) -> None:
    _, pair = await world.user("ada")
    servicer = AuthorizationServicer(world.authorizer, SIGNER)
    response = await servicer.Check(
        request("POST", "/query", {"authorization": f"Bearer {pair.access_token}"}), None
    )
    assert response.status.code == 0
    assert SIGNER.verify(response.ok_response.headers[0].header.value).username == "ada"


async def test_unavailable_is_503(world: World) -> None:
    _, pair = await world.user("ada")
    world.sessions_store.down = True
    servicer = AuthorizationServicer(world.authorizer, SIGNER)
    response = await servicer.Check(
        request("POST", "/query", {"authorization": f"Bearer {pair.access_token}"}), None
    )
    assert (response.status.code, response.denied_response.status.code) == (14, 503)
    body = json.loads(response.denied_response.body)
    assert body["error"]["code"] == Unavailable.code


async def test_unexpected_error_is_500_without_details(world: World) -> None:
    class Broken:
        async def decide(self, *args: object) -> None:
            raise RuntimeError("secret internals: password=hunter2")

    servicer = AuthorizationServicer(Broken(), SIGNER)  # type: ignore[arg-type]
    response = await servicer.Check(request("GET", "/history", {"x-api-key": "k"}), None)
    assert (response.status.code, response.denied_response.status.code) == (13, 500)
    assert json.loads(response.denied_response.body) == {
        "error": {"code": "INTERNAL", "message": "internal error"}
    }
    assert "hunter2" not in str(response)
