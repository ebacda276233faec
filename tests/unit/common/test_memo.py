from __future__ import annotations

from obsai_common.memo import BoundedMemo


def test_a_key_is_computed_once_while_it_is_among_the_most_recently_read() -> None:
    computed: list[str] = []

    def upper(key: str) -> str:
        computed.append(key)
        return key.upper()

    memo = BoundedMemo(upper, size=2)
    assert memo.read("a") == "A"
    assert memo.read("a") == "A"
    assert computed == ["a"]
    memo.read("b")
    memo.read("a")  # read again: "b" is now the least recently read
    memo.read("c")  # beyond the size: "b" goes
    assert computed == ["a", "b", "c"]
    assert memo.read("a") == "A"
    assert computed == ["a", "b", "c"]
    assert memo.read("b") == "B"
    assert computed == ["a", "b", "c", "b"]


def test_a_falsy_value_is_kept_like_any_other() -> None:
    computed: list[int] = []

    def nothing(key: int) -> tuple[()]:
        computed.append(key)
        return ()

    memo = BoundedMemo(nothing, size=4)
    assert memo.read(1) == ()
    assert memo.read(1) == ()
    assert computed == [1]
