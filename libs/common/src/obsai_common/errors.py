"""One error hierarchy for every ObsAI service.

Domain code raises these; the gRPC layer maps them to a status in exactly one
place (`to_rpc_status`), and the gateway maps the status to HTTP and to the
uniform JSON shape ``{"error": {"code": ..., "message": ...}}``.

    ObsaiError                       INTERNAL            500
    ├── InvalidArgument              INVALID_ARGUMENT    400
    ├── Unauthenticated              UNAUTHENTICATED     401
    ├── PermissionDenied             PERMISSION_DENIED   403
    ├── NotFound                     NOT_FOUND           404
    ├── AlreadyExists                ALREADY_EXISTS      409
    ├── FailedPrecondition           FAILED_PRECONDITION 400
    ├── RateLimited                  RESOURCE_EXHAUSTED  429
    ├── Unavailable                  UNAVAILABLE         503
    ├── UpstreamError                UNAVAILABLE         502  (Prometheus, Claude …)
    └── UpstreamTimeout              DEADLINE_EXCEEDED   504

``code`` is the stable machine-readable string clients see; ``http_status`` is
carried in the status details so the gateway can answer 502 where gRPC has no
matching code. ``details`` holds safe, structured context (never secrets).
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

ERROR_DOMAIN = "obsai.dev"


class ObsaiError(Exception):
    grpc_code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    code: str = "INTERNAL"
    http_status: int = 500

    def __init__(self, message: str, *, details: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, str] = dict(details or {})


class InvalidArgument(ObsaiError):
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT
    code = "INVALID_ARGUMENT"
    http_status = 400


class Unauthenticated(ObsaiError):
    grpc_code = grpc.StatusCode.UNAUTHENTICATED
    code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(ObsaiError):
    grpc_code = grpc.StatusCode.PERMISSION_DENIED
    code = "PERMISSION_DENIED"
    http_status = 403


class NotFound(ObsaiError):
    grpc_code = grpc.StatusCode.NOT_FOUND
    code = "NOT_FOUND"
    http_status = 404


class AlreadyExists(ObsaiError):
    grpc_code = grpc.StatusCode.ALREADY_EXISTS
    code = "ALREADY_EXISTS"
    http_status = 409


class FailedPrecondition(ObsaiError):
    grpc_code = grpc.StatusCode.FAILED_PRECONDITION
    code = "FAILED_PRECONDITION"
    http_status = 400


class RateLimited(ObsaiError):
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED
    code = "RATE_LIMITED"
    http_status = 429


class Unavailable(ObsaiError):
    grpc_code = grpc.StatusCode.UNAVAILABLE
    code = "UNAVAILABLE"
    http_status = 503


class UpstreamError(ObsaiError):
    """A dependency we call on the user's behalf (Prometheus, Claude) failed."""

    grpc_code = grpc.StatusCode.UNAVAILABLE
    code = "UPSTREAM_ERROR"
    http_status = 502


class UpstreamTimeout(ObsaiError):
    grpc_code = grpc.StatusCode.DEADLINE_EXCEEDED
    code = "UPSTREAM_TIMEOUT"
    http_status = 504


def to_rpc_status(error: ObsaiError) -> status_pb2.Status:
    """The google.rpc.Status for an error, with code and HTTP status as ErrorInfo."""
    info = error_details_pb2.ErrorInfo(
        reason=error.code,
        domain=ERROR_DOMAIN,
        metadata={"http_status": str(error.http_status), **error.details},
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    return status_pb2.Status(code=error.grpc_code.value[0], message=error.message, details=[detail])


_BY_GRPC_CODE: dict[grpc.StatusCode, type[ObsaiError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RateLimited,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: UpstreamTimeout,
}


def from_rpc_error(error: grpc.aio.AioRpcError) -> ObsaiError:
    """Turn a failed call to another ObsAI service back into a domain error."""
    error_class = _BY_GRPC_CODE.get(error.code(), ObsaiError)
    return error_class(error.details() or error.code().name)
