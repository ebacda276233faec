"""Builds the Envoy configuration from the protos' descriptor set and settings.

Filter chain: cors → lua (error shape) → ext_authz (auth's Check) →
grpc_json_transcoder → router. Routes match the gRPC path prefix of each
service, because the transcoder rewrites REST paths to gRPC paths and clears
the route cache before the router runs.
"""

from __future__ import annotations

import importlib.resources
from typing import Any

from obsai_common.access import Access, http_routes
from obsai_gateway.settings import GatewaySettings

UPSTREAMS = {
    "auth": ["obsai.v1.AuthService"],
    "catalog": ["obsai.v1.CatalogService"],
    "query": ["obsai.v1.QueryService", "obsai.v1.SystemService"],
    "discovery": ["obsai.v1.DiscoveryService"],
}
IDENTITY_HEADER = "x-obsai-identity"
EXT_AUTHZ_CLUSTER = "auth_ext_authz"
# The request headers auth's Check uses (obsai_auth.ext_authz).
CHECK_HEADERS = ("authorization", "x-api-key", "x-request-id")
# What of auth's answer reaches the client: rate-limit state always, and a
# denial's shape (its body comes along).
_RATE_HEADERS = [{"prefix": "x-ratelimit-"}]
_DENIAL_HEADERS = [
    *_RATE_HEADERS,
    {"exact": "content-type"},
    {"exact": "www-authenticate"},
    {"exact": "retry-after"},
]

# Envoy's own replies (no route, bad JSON, auth unreachable …) get the same shape
# as upstream errors; the code names follow google.rpc where one exists.
_LOCAL_REPLY_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "DEADLINE_EXCEEDED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UPSTREAM_ERROR",
    503: "UNAVAILABLE",
    504: "UPSTREAM_TIMEOUT",
}
# Only what no filter needs: the transcoder must still see grpc-status (a
# trailers-only error is recognised by it); error_shape.lua drops the grpc-*
# headers after the transcoder has run.
_HIDDEN_RESPONSE_HEADERS = ["x-envoy-upstream-service-time", IDENTITY_HEADER]


def _typed(type_name: str, **fields: Any) -> dict[str, Any]:
    return {"@type": f"type.googleapis.com/{type_name}", **fields}


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def _cluster(name: str, address: str, *, http2: bool = True) -> dict[str, Any]:
    host, port = _host_port(address)
    protocol: dict[str, Any] = {"http2_protocol_options" if http2 else "http_protocol_options": {}}
    return {
        "name": name,
        "type": "STRICT_DNS",
        "dns_lookup_family": "V4_PREFERRED",
        "lb_policy": "ROUND_ROBIN",
        "connect_timeout": "1s",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": _typed(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                explicit_http_config=protocol,
            )
        },
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {
                            "endpoint": {
                                "address": {"socket_address": {"address": host, "port_value": port}}
                            }
                        }
                    ]
                }
            ],
        },
    }


def _cors_policy(settings: GatewaySettings) -> dict[str, Any]:
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    matchers = [{"safe_regex": {"regex": ".*"}} if o == "*" else {"exact": o} for o in origins]
    return _typed(
        "envoy.extensions.filters.http.cors.v3.CorsPolicy",
        allow_origin_string_match=matchers,
        allow_methods="GET, POST, PUT, DELETE, OPTIONS",
        allow_headers="authorization, content-type, x-api-key, x-request-id",
        expose_headers="x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, "
        "retry-after, x-request-id",
        max_age="600",
        allow_credentials=False,
    )


def _public_routes(settings: GatewaySettings) -> list[dict[str, Any]]:
    """Public RPCs without a body skip the Check hop: health must answer even
    when auth is down. Nothing can inject an identity either. Public RPCs with
    a body (login, register, refresh) still pass Check, which validates it."""
    cluster_of = {service: cluster for cluster, names in UPSTREAMS.items() for service in names}
    disabled = _typed("envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute", disabled=True)
    return [
        {
            "match": {
                "safe_regex": {"regex": route.pattern.pattern},
                "headers": [{"name": ":method", "string_match": {"exact": route.verb}}],
            },
            "route": {
                "cluster": cluster_of[route.service],
                "timeout": _seconds(settings.default_timeout_seconds),
            },
            "request_headers_to_remove": [IDENTITY_HEADER],
            "typed_per_filter_config": {"envoy.filters.http.ext_authz": disabled},
        }
        for route in http_routes()
        if route.rule.access is Access.PUBLIC and not route.has_body
    ]


def _routes(settings: GatewaySettings) -> list[dict[str, Any]]:
    routes = _public_routes(settings)
    for cluster, services in UPSTREAMS.items():
        timeout = {
            "query": settings.query_timeout_seconds,
            "discovery": settings.discovery_timeout_seconds,
        }.get(cluster, settings.default_timeout_seconds)
        for service in services:
            routes.append(
                {
                    "match": {"prefix": f"/{service}/"},
                    "route": {"cluster": cluster, "timeout": _seconds(timeout)},
                }
            )
    # A REST path matches this until the transcoder rewrites it to a gRPC path;
    # it gives CORS preflights and ext_authz a route (a direct_response would
    # bypass CORS). Auth's Check answers 404 for paths no RPC declares, so
    # nothing reaches this cluster untranscoded.
    routes.append(
        {
            "match": {"prefix": "/"},
            "route": {"cluster": "query", "timeout": _seconds(settings.default_timeout_seconds)},
        }
    )
    return routes


def _status_is(status: int) -> dict[str, Any]:
    runtime_key = f"obsai.local_reply.{status}"
    value = {"default_value": status, "runtime_key": runtime_key}
    return {"status_code_filter": {"comparison": {"op": "EQ", "value": value}}}


def _json_error(code: str) -> dict[str, Any]:
    return {
        "json_format": {"error": {"code": code, "message": "%LOCAL_REPLY_BODY%"}},
        "content_type": "application/json",
    }


def _local_reply_config() -> dict[str, Any]:
    authz_flag = {"response_flag_filter": {"flags": ["UAEX"]}}
    mappers: list[dict[str, Any]] = [
        {
            # Auth unreachable (status_on_error).
            "filter": {"and_filter": {"filters": [authz_flag, _status_is(503)]}},
            "body": {"inline_string": "authorization service unavailable"},
            "body_format_override": _json_error("UNAVAILABLE"),
        },
        {
            # Auth's denials carry their own body, already in shape.
            "filter": authz_flag,
            "body_format_override": {
                "text_format_source": {"inline_string": "%LOCAL_REPLY_BODY%"},
                "content_type": "application/json",
            },
        },
    ]
    mappers += [
        {"filter": _status_is(status), "body_format_override": _json_error(code)}
        for status, code in _LOCAL_REPLY_CODES.items()
    ]
    return {
        "mappers": mappers,
        "body_format": {
            "json_format": {
                "error": {"code": "HTTP_%RESPONSE_CODE%", "message": "%LOCAL_REPLY_BODY%"}
            },
            "content_type": "application/json",
        },
    }


def _http_filters(settings: GatewaySettings) -> list[dict[str, Any]]:
    lua_source = importlib.resources.files("obsai_gateway").joinpath("error_shape.lua").read_text()
    return [
        {
            "name": "envoy.filters.http.cors",
            "typed_config": _typed("envoy.extensions.filters.http.cors.v3.Cors"),
        },
        {
            "name": "envoy.filters.http.lua",
            "typed_config": _typed(
                "envoy.extensions.filters.http.lua.v3.Lua",
                default_source_code={"inline_string": lua_source},
            ),
        },
        {
            "name": "envoy.filters.http.ext_authz",
            "typed_config": _typed(
                "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
                transport_api_version="V3",
                http_service={
                    "server_uri": {
                        "uri": f"http://{settings.auth_ext_authz_addr}",
                        "cluster": EXT_AUTHZ_CLUSTER,
                        "timeout": _seconds(settings.ext_authz_timeout_seconds),
                    },
                    "authorization_response": {
                        # Overwrites any identity the client sent.
                        "allowed_upstream_headers": {"patterns": [{"exact": IDENTITY_HEADER}]},
                        "allowed_client_headers": {"patterns": _DENIAL_HEADERS},
                        "allowed_client_headers_on_success": {"patterns": _RATE_HEADERS},
                    },
                },
                failure_mode_allow=False,
                status_on_error={"code": "ServiceUnavailable"},
                # Check reads only these (plus method, path and body).
                allowed_headers={"patterns": [{"exact": name} for name in CHECK_HEADERS]},
                # Check validates JSON bodies strictly (see obsai_common.json_body).
                with_request_body={
                    "max_request_bytes": settings.max_request_bytes,
                    "allow_partial_message": False,
                    "pack_as_bytes": True,
                },
                clear_route_cache=False,
            ),
        },
        {
            "name": "envoy.filters.http.grpc_json_transcoder",
            "typed_config": _typed(
                "envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder",
                proto_descriptor=str(settings.descriptor_path),
                services=[s for services in UPSTREAMS.values() for s in services],
                print_options={
                    "add_whitespace": False,
                    "always_print_primitive_fields": True,
                    "always_print_enums_as_ints": False,
                    "preserve_proto_field_names": True,
                },
                convert_grpc_status=True,
                request_validation_options={
                    "reject_unknown_method": False,
                    "reject_unknown_query_parameters": True,
                    "reject_binding_body_field_collisions": True,
                },
                case_insensitive_enum_parsing=True,
            ),
        },
        {
            "name": "envoy.filters.http.router",
            "typed_config": _typed("envoy.extensions.filters.http.router.v3.Router"),
        },
    ]


def build_config(settings: GatewaySettings) -> dict[str, Any]:
    connection_manager = _typed(
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        stat_prefix="ingress",
        codec_type="AUTO",
        server_name="obsai-gateway",
        use_remote_address=True,
        generate_request_id=True,
        preserve_external_request_id=False,
        normalize_path=True,
        merge_slashes=True,
        path_with_escaped_slashes_action="REJECT_REQUEST",
        request_timeout="120s",
        local_reply_config=_local_reply_config(),
        route_config={
            "name": "obsai",
            "response_headers_to_remove": _HIDDEN_RESPONSE_HEADERS,
            "virtual_hosts": [
                {
                    "name": "obsai",
                    "domains": ["*"],
                    "routes": _routes(settings),
                    "typed_per_filter_config": {"envoy.filters.http.cors": _cors_policy(settings)},
                }
            ],
        },
        http_filters=_http_filters(settings),
    )
    return {
        "admin": {
            "address": {
                "socket_address": {
                    "address": settings.admin_host,
                    "port_value": settings.admin_port,
                }
            }
        },
        "static_resources": {
            "listeners": [
                {
                    "name": "http",
                    "address": {
                        "socket_address": {
                            "address": settings.listen_host,
                            "port_value": settings.listen_port,
                        }
                    },
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": connection_manager,
                                }
                            ]
                        }
                    ],
                }
            ],
            "clusters": [
                *(
                    _cluster(name, address)
                    for name, address in (
                        ("auth", settings.auth_addr),
                        ("catalog", settings.catalog_addr),
                        ("query", settings.query_addr),
                        ("discovery", settings.discovery_addr),
                    )
                ),
                _cluster(EXT_AUTHZ_CLUSTER, settings.auth_ext_authz_addr, http2=False),
            ],
        },
        "layered_runtime": {"layers": [{"name": "static", "static_layer": {}}]},
    }
