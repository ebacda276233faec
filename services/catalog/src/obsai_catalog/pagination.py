"""Opaque cursor tokens for keyset pagination.

A token carries the sort key of the last item served and a fingerprint of the
filters it was issued for, so a token can't be replayed against another
listing. Tokens are not secrets: they reveal only a name the caller already saw.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence

from obsai_common.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_VERSION = 1


def page_size(requested: int) -> int:
    """0 means the default; above the maximum is capped; negative is an error."""
    if requested < 0:
        raise InvalidArgument("page_size must not be negative", details={"field": "page_size"})
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def fingerprint(filters: Sequence[object]) -> str:
    encoded = json.dumps(list(filters), sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def encode_token(after: str, filters: Sequence[object]) -> str:
    payload = {"v": _VERSION, "a": after, "f": fingerprint(filters)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, filters: Sequence[object]) -> str | None:
    """The key to continue after, or None for the first page."""
    if not token:
        return None
    invalid = InvalidArgument("invalid page_token", details={"field": "page_token"})
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise invalid from error
    if (
        not isinstance(payload, dict)
        or payload.get("v") != _VERSION
        or not isinstance(payload.get("a"), str)
    ):
        raise invalid
    if payload.get("f") != fingerprint(filters):
        raise InvalidArgument(
            "page_token was issued for different filters", details={"field": "page_token"}
        )
    after: str = payload["a"]
    return after
