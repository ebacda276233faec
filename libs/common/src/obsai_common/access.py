"""Per-RPC access rules, read from the `obsai.v1.access` options in the protos.

The contract is the single place authorization is declared; this module makes
it queryable by gRPC method (`/obsai.v1.QueryService/Query`) for interceptors,
and by HTTP verb and path for the gateway's Check.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cache

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import FileDescriptor, MethodDescriptor

from obsai.v1 import (
    auth_pb2,
    catalog_pb2,
    discovery_pb2,
    options_pb2,
    query_pb2,
    system_pb2,
)

_FILES: tuple[FileDescriptor, ...] = (
    auth_pb2.DESCRIPTOR,
    catalog_pb2.DESCRIPTOR,
    discovery_pb2.DESCRIPTOR,
    query_pb2.DESCRIPTOR,
    system_pb2.DESCRIPTOR,
)


class Access(enum.IntEnum):
    PUBLIC = options_pb2.ACCESS_PUBLIC
    USER = options_pb2.ACCESS_USER
    ADMIN = options_pb2.ACCESS_ADMIN
    INTERNAL = options_pb2.ACCESS_INTERNAL


@dataclass(frozen=True, slots=True)
class MethodRule:
    method: str  # /package.Service/Method
    access: Access
    rate_limited: bool


@dataclass(frozen=True, slots=True)
class HttpRoute:
    verb: str
    pattern: re.Pattern[str]
    rule: MethodRule
    has_body: bool

    @property
    def service(self) -> str:
        return self.rule.method.split("/")[1]


def _rule(method: MethodDescriptor) -> MethodRule:
    options = method.GetOptions()
    access: int = options.Extensions[options_pb2.access]  # type: ignore[index]
    if access == options_pb2.ACCESS_UNSPECIFIED:
        raise ValueError(f"{method.full_name} declares no obsai.v1.access option")
    return MethodRule(
        method=_path(method),
        access=Access(access),
        rate_limited=bool(options.Extensions[options_pb2.rate_limited]),  # type: ignore[index]
    )


def _methods() -> list[MethodDescriptor]:
    return [m for f in _FILES for s in f.services_by_name.values() for m in s.methods]


def _path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


@cache
def method_descriptors() -> dict[str, MethodDescriptor]:
    return {_path(m): m for m in _methods()}


@cache
def method_rules() -> dict[str, MethodRule]:
    return {rule.method: rule for rule in map(_rule, _methods())}


def rule_for_method(method: str) -> MethodRule | None:
    """The rule for a gRPC method; None for methods outside obsai.v1 (health, reflection)."""
    return method_rules().get(method)


_VARIABLE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_.]*)(?:=([^}]*))?\}")


def _template_to_regex(template: str) -> re.Pattern[str]:
    """Compile a google.api.http path template ('/services/{name}/metrics')."""
    parts: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append("[^/]+" if match.group(2) in (None, "*") else ".+")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$")


def _http_bindings(rule: http_pb2.HttpRule) -> list[tuple[str, str, bool]]:
    bindings = []
    for verb in ("get", "put", "post", "delete", "patch"):
        if path := getattr(rule, verb):
            if rule.body not in ("", "*"):
                raise ValueError(f"body {rule.body!r}: only body '*' is supported")
            bindings.append((verb.upper(), path, rule.body == "*"))
    for extra in rule.additional_bindings:
        bindings.extend(_http_bindings(extra))
    return bindings


@cache
def http_routes() -> tuple[HttpRoute, ...]:
    routes = []
    for method in _methods():
        http_rule = method.GetOptions().Extensions[annotations_pb2.http]
        for verb, path, has_body in _http_bindings(http_rule):
            routes.append(HttpRoute(verb, _template_to_regex(path), _rule(method), has_body))
    # Literal paths win over templates: '/metrics:search' before '/metrics/{name}'.
    routes.sort(key=lambda r: r.pattern.pattern.count("[^/]+") + r.pattern.pattern.count(".+"))
    return tuple(routes)


def rule_for_http(verb: str, path: str) -> MethodRule | None:
    """The rule for an HTTP request as the gateway will transcode it, or None."""
    path = path.split("?", 1)[0]
    for route in http_routes():
        if route.verb == verb.upper() and route.pattern.match(path):
            return route.rule
    return None
