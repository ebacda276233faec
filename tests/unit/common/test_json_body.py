"""Request bodies are validated strictly against the RPC's request type."""

from __future__ import annotations

import pytest

from obsai_common.errors import InvalidArgument
from obsai_common.json_body import check_json_body

LOGIN = "/obsai.v1.AuthService/Login"
QUERY = "/obsai.v1.QueryService/Query"


@pytest.mark.parametrize(
    ("method", "body"),
    [
        (LOGIN, b'{"username": "ada", "password": "pw"}'),
        (QUERY, b'{"query": "p95 latency", "time_range": "1h", "no_cache": true}'),
        (QUERY, b'{"query": "x", "start": "2026-01-01T00:00:00Z"}'),
        (LOGIN, b""),
        (LOGIN, b"  \n"),
    ],
)
def test_valid_bodies_pass(method: str, body: bytes) -> None:
    check_json_body(method, body)


@pytest.mark.parametrize(
    ("method", "body", "fragment"),
    [
        (LOGIN, b'{"username": "ada", "password": "pw", "role": "admin"}', 'no field named "role"'),
        (QUERY, b'{"querry": "typo"}', 'no field named "querry"'),
        (QUERY, b'{"query": "x", "no_cache": "yes"}', "no_cache"),
        (LOGIN, b'{"username": "ada",', "Failed to load JSON"),
        (LOGIN, b"[1, 2]", "Failed to parse"),
    ],
)
def test_invalid_bodies_are_invalid_argument(method: str, body: bytes, fragment: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid request body") as caught:
        check_json_body(method, body)
    assert fragment in caught.value.message
