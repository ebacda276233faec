"""Cursor tokens: opaque, bound to their filters, rejected when malformed."""

from __future__ import annotations

import base64

import pytest

from obsai_catalog.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_token,
    encode_token,
    page_size,
)
from obsai_common.errors import InvalidArgument


def test_page_sizes_default_and_cap() -> None:
    assert page_size(0) == DEFAULT_PAGE_SIZE == 50
    assert page_size(7) == 7
    assert page_size(10_000) == MAX_PAGE_SIZE == 500
    with pytest.raises(InvalidArgument):
        page_size(-1)


def test_a_token_round_trips_for_the_same_filters() -> None:
    token = encode_token("http_requests_total", ("metrics", "checkout"))
    assert decode_token(token, ("metrics", "checkout")) == "http_requests_total"
    assert decode_token("", ("metrics",)) is None


def test_a_token_for_other_filters_is_refused() -> None:
    token = encode_token("a", ("metrics", "checkout"))
    with pytest.raises(InvalidArgument, match="different filters"):
        decode_token(token, ("metrics", "payment"))


@pytest.mark.parametrize(
    "token",
    [
        "%%%",
        "bm90LWpzb24",  # "not-json"
        base64.urlsafe_b64encode(b'{"v": 2, "a": "x", "f": ""}').decode(),
        base64.urlsafe_b64encode(b'{"v": 1, "a": 3}').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ],
)
def test_malformed_tokens_are_invalid_arguments(token: str) -> None:
    with pytest.raises(InvalidArgument, match="page_token"):
        decode_token(token, ("metrics",))
