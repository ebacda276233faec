"""The single decision: credentials → identity → access rule → rate limit."""

from __future__ import annotations

import pytest
from auth_world import World, build_world

from obsai_auth.authorizer import RateLimitExceeded, rule_for
from obsai_common.errors import PermissionDenied, Unauthenticated, Unavailable

GET_ME = rule_for("/obsai.v1.AuthService/GetMe")  # user, rate limited
LOGOUT = rule_for("/obsai.v1.AuthService/Logout")  # user, not rate limited
LIST_KEYS = rule_for("/obsai.v1.AuthService/ListApiKeys")  # admin
RECORD_USAGE = rule_for("/obsai.v1.AuthService/RecordUsage")  # internal


async def test_bearer_token_resolves_to_the_session_identity(world: World) -> None:
    user, pair = await world.user("ada")
    decision = await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    assert decision.identity.user_id == user.id
    assert decision.identity.roles == ("user",)
    assert decision.identity.session_id
    assert decision.rate_limit is not None
    assert (decision.rate_limit.limit, decision.rate_limit.remaining) == (3, 2)


async def test_scheme_is_case_insensitive(world: World) -> None:
    _, pair = await world.user("ada")
    await world.authorizer.decide(GET_ME, f"bearer  {pair.access_token}", "")


@pytest.mark.parametrize(
    ("authorization", "api_key"),
    [("", ""), ("Bearer", ""), ("Basic abc", ""), ("Token x", ""), ("Bearer x", "obs_ai_y")],
)
async def test_bad_or_missing_credentials(world: World, authorization: str, api_key: str) -> None:
    with pytest.raises(Unauthenticated):
        await world.authorizer.decide(GET_ME, authorization, api_key)


async def test_revoked_session_is_refused(world: World) -> None:
    _, pair = await world.user("ada")
    await world.sessions.close(
        pair.access_token and world.tokens.verify(pair.access_token).session_id
    )
    with pytest.raises(Unauthenticated, match="session revoked"):
        await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")


async def test_a_revoked_token_spends_nothing_and_is_refused_before_access(world: World) -> None:
    _, pair = await world.user("ada")
    session_id = world.tokens.verify(pair.access_token).session_id
    bucket = world.limiter.buckets
    await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    counted = sum(len(hits) for hits in bucket.values())
    await world.sessions.close(session_id)
    for rule in (GET_ME, LIST_KEYS):  # a 401 even where access would be a 403
        with pytest.raises(Unauthenticated, match="session revoked"):
            await world.authorizer.decide(rule, f"Bearer {pair.access_token}", "")
    assert sum(len(hits) for hits in bucket.values()) == counted


async def test_session_of_another_user_is_refused(world: World) -> None:
    _, pair = await world.user("ada")
    bob, _ = await world.user("bob")
    session_id = world.tokens.verify(pair.access_token).session_id
    world.sessions_store.sessions[session_id]["user_id"] = bob.id
    with pytest.raises(Unauthenticated):
        await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")


async def test_access_rules_from_the_proto(world: World) -> None:
    _, user = await world.user("ada")
    _, admin = await world.user("root", admin=True)
    with pytest.raises(PermissionDenied):
        await world.authorizer.decide(LIST_KEYS, f"Bearer {user.access_token}", "")
    await world.authorizer.decide(LIST_KEYS, f"Bearer {admin.access_token}", "")
    for tokens in (user, admin):
        with pytest.raises(PermissionDenied):
            await world.authorizer.decide(RECORD_USAGE, f"Bearer {tokens.access_token}", "")


async def test_unknown_method_is_denied() -> None:
    with pytest.raises(PermissionDenied):
        rule_for("/obsai.v1.Nope/Nope")


async def test_denied_requests_do_not_spend_the_limit(world: World) -> None:
    _, pair = await world.user("ada")
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            await world.authorizer.decide(LIST_KEYS, f"Bearer {pair.access_token}", "")
    decision = await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    assert decision.rate_limit is not None
    assert decision.rate_limit.remaining == 2


async def test_over_the_limit_raises_with_the_window_and_is_recorded(world: World) -> None:
    user, pair = await world.user("ada")
    for _ in range(3):
        await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    world.clock[0] += 10
    with pytest.raises(RateLimitExceeded) as info:
        await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    assert info.value.code == "RATE_LIMITED"
    assert info.value.status.remaining == 0
    assert info.value.retry_after == 50
    assert info.value.details["retry_after_seconds"] == "50"
    assert world.rejections.users == [user.id]
    # Not-counted methods still answer, reporting the state.
    decision = await world.authorizer.decide(LOGOUT, f"Bearer {pair.access_token}", "")
    assert decision.rate_limit is not None
    assert decision.rate_limit.remaining == 0
    world.clock[0] += 51
    await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")


async def test_admins_have_their_own_limit(world: World) -> None:
    _, pair = await world.user("root", admin=True)
    decision = await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    assert decision.rate_limit is not None
    assert decision.rate_limit.limit == 5


async def test_api_key_identity_bucket_and_roles(world: World) -> None:
    root, _ = await world.user("root", admin=True)
    full = await world.key(root, rate_limit=7)
    narrow = await world.key(root, roles=["user"])
    for header in ({"api_key": full}, {"authorization": f"ApiKey {full}"}):
        decision = await world.authorizer.decide(
            LIST_KEYS, header.get("authorization", ""), header.get("api_key", "")
        )
        assert decision.identity.api_key_id
        assert decision.identity.user_id == root.id
        assert decision.rate_limit is not None
        assert decision.rate_limit.limit == 7
    with pytest.raises(PermissionDenied):
        await world.authorizer.decide(LIST_KEYS, "", narrow)
    # The key's bucket is not the user's.
    assert set(world.limiter.buckets) == {f"key:{decision.identity.api_key_id}"}


async def test_a_demoted_owner_demotes_their_keys(world: World) -> None:
    root, _ = await world.user("root", admin=True)
    key = await world.key(root)
    user = world.users.users[root.id]
    world.users.users[root.id] = type(user)(
        user.id, user.username, user.email, ("user",), user.created_at, user.password_hash
    )
    with pytest.raises(PermissionDenied):
        await world.authorizer.decide(LIST_KEYS, "", key)
    decision = await world.authorizer.decide(GET_ME, "", key)
    assert decision.identity.roles == ("user",)


async def test_revoked_and_expired_keys(world: World) -> None:
    ada, _ = await world.user("ada")
    expiring = await world.key(ada, ttl_seconds=30)
    revoked = await world.key(ada)
    key_id = next(k.id for k, _ in world.keys_store.keys.values() if k.expires_at is None)
    await world.keys_store.revoke(key_id)
    with pytest.raises(Unauthenticated, match="revoked or expired"):
        await world.authorizer.decide(GET_ME, "", revoked)
    await world.authorizer.decide(GET_ME, "", expiring)
    world.clock[0] += 31
    with pytest.raises(Unauthenticated, match="revoked or expired"):
        await world.authorizer.decide(GET_ME, "", expiring)


async def test_unknown_and_malformed_keys(world: World) -> None:
    for key in ("obs_ai_" + "A" * 43, "obs_ai_short", "sk-something", "obs_ai_" + "A" * 44):
        with pytest.raises(Unauthenticated, match="invalid API key"):
            await world.authorizer.decide(GET_ME, "", key)


async def test_redis_down_fails_closed_by_default(world: World) -> None:
    _, pair = await world.user("ada")
    world.sessions_store.down = True
    with pytest.raises(Unavailable):
        await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    world.sessions_store.down = False
    world.limiter.down = True
    with pytest.raises(Unavailable):
        await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")


async def test_redis_down_fails_open_when_configured() -> None:
    world = build_world(failure_mode="open")
    _, pair = await world.user("ada")
    world.sessions_store.down = True
    world.limiter.down = True
    decision = await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}", "")
    assert decision.rate_limit is None
    with pytest.raises(Unauthenticated):
        await world.authorizer.decide(GET_ME, f"Bearer {pair.access_token}x", "")
