"""Strict JSON request bodies.

Envoy's transcoder silently drops JSON fields the request message does not
define (envoyproxy/envoy#46623), so a typo like ``{"querry": …}`` would be
answered as if the field were empty. The gateway's Check sees the raw body and
validates it here against the RPC's request type: unknown fields, wrong types
and malformed JSON are a 400 before anything runs.
"""

from __future__ import annotations

from functools import cache

from google.protobuf import json_format, message, message_factory

from obsai_common.access import method_descriptors
from obsai_common.errors import InvalidArgument


@cache
def _request_class(method: str) -> type[message.Message]:
    descriptor = method_descriptors()[method]
    return message_factory.GetMessageClass(descriptor.input_type)


def check_json_body(method: str, body: bytes) -> None:
    """Raise InvalidArgument unless `body` is empty or a valid JSON request of `method`."""
    if not body.strip():
        return
    try:
        json_format.Parse(body, _request_class(method)(), ignore_unknown_fields=False)
    except json_format.ParseError as error:
        raise InvalidArgument(f"invalid request body: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    return str(error).split("\n", 1)[0][:300]
