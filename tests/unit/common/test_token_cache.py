"""A verified token's verdict is kept until its expiry, within a bounded size."""

from __future__ import annotations

from obsai_common.token_cache import VerifiedTokens


def test_kept_until_expiry() -> None:
    now = [100.0]
    cache: VerifiedTokens[str] = VerifiedTokens(clock=lambda: now[0])
    cache.put("t1", "ada", expires_at=110.0)
    assert cache.get("t1") == "ada"
    assert cache.get("t2") is None
    now[0] = 110.0
    assert cache.get("t1") is None
    now[0] = 100.0
    assert cache.get("t1") is None  # dropped at expiry, not merely hidden


def test_the_oldest_entry_goes_when_full() -> None:
    cache: VerifiedTokens[int] = VerifiedTokens(max_entries=2, clock=lambda: 0.0)
    for n, token in enumerate(("a", "b", "c")):
        cache.put(token, n, expires_at=10.0)
    assert [cache.get(t) for t in ("a", "b", "c")] == [None, 1, 2]
