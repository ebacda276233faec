"""GatewayCheck, in process: answers for every outcome, including ones hard to cause for real."""

from __future__ import annotations

import json

from auth_world import World

from obsai_auth.ext_authz import GatewayCheck, error_body
from obsai_common.errors import Unavailable
from obsai_common.identity import IDENTITY_METADATA, InternalTokenSigner

SIGNER = InternalTokenSigner("internal-secret-for-unit-tests-0123")


def test_error_body_is_the_uniform_shape() -> None:
    assert error_body("UNAUTHENTICATED", 'say "hi"') == (
        '{"error":{"code":"UNAUTHENTICATED","message":"say \\"hi\\""}}'
    )


async def test_ok_for_a_user(world: World) -> None:
    _, pair = await world.user("ada")
    check = GatewayCheck(world.authorizer, SIGNER)
    outcome = await check.check(
        "post", "/query", {"authorization": f"Bearer {pair.access_token}"}, b""
    )
    assert (outcome.allowed, outcome.status, outcome.body) == (True, 200, b"")
    [(name, token)] = outcome.upstream_headers
    assert name == IDENTITY_METADATA
    assert SIGNER.verify(token).username == "ada"
    assert outcome.remove_headers == ("authorization", "x-api-key")
    assert dict(outcome.response_headers)["x-ratelimit-remaining"] == "2"  # a user gets 3


async def test_unavailable_is_503(world: World) -> None:
    _, pair = await world.user("ada")
    world.sessions_store.down = True
    check = GatewayCheck(world.authorizer, SIGNER)
    outcome = await check.check(
        "POST", "/query", {"authorization": f"Bearer {pair.access_token}"}, b""
    )
    assert (outcome.allowed, outcome.status) == (False, 503)
    assert json.loads(outcome.body)["error"]["code"] == Unavailable.code
    assert outcome.upstream_headers == ()


async def test_unexpected_error_is_500_without_details(world: World) -> None:
    class Broken:
        async def decide(self, *args: object) -> None:
            raise RuntimeError("secret internals: password=hunter2")

    check = GatewayCheck(Broken(), SIGNER)  # type: ignore[arg-type]
    outcome = await check.check("GET", "/history", {"x-api-key": "k"}, b"")
    assert (outcome.status, outcome.code) == (500, "INTERNAL")
    assert outcome.body == b'{"error":{"code":"INTERNAL","message":"internal error"}}'
    assert outcome.response_headers == (("content-type", "application/json"),)
