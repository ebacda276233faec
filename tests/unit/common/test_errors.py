"""Domain errors map to gRPC status, with the stable code and HTTP status attached."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2

from obsai_common import errors


@pytest.mark.parametrize(
    ("error", "grpc_code", "http"),
    [
        (errors.InvalidArgument("x"), grpc.StatusCode.INVALID_ARGUMENT, 400),
        (errors.Unauthenticated("x"), grpc.StatusCode.UNAUTHENTICATED, 401),
        (errors.PermissionDenied("x"), grpc.StatusCode.PERMISSION_DENIED, 403),
        (errors.NotFound("x"), grpc.StatusCode.NOT_FOUND, 404),
        (errors.AlreadyExists("x"), grpc.StatusCode.ALREADY_EXISTS, 409),
        (errors.RateLimited("x"), grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (errors.Unavailable("x"), grpc.StatusCode.UNAVAILABLE, 503),
        (errors.UpstreamError("x"), grpc.StatusCode.UNAVAILABLE, 502),
        (errors.UpstreamTimeout("x"), grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (errors.ObsaiError("x"), grpc.StatusCode.INTERNAL, 500),
    ],
)
def test_status_carries_code_and_http_status(
    error: errors.ObsaiError, grpc_code: grpc.StatusCode, http: int
) -> None:
    status = errors.to_rpc_status(error)
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert status.code == grpc_code.value[0]
    assert info.reason == error.code
    assert info.metadata["http_status"] == str(http)


def test_details_travel_with_the_status() -> None:
    error = errors.UpstreamError("Prometheus is down", details={"promql": "up"})
    info = error_details_pb2.ErrorInfo()
    errors.to_rpc_status(error).details[0].Unpack(info)
    assert info.metadata["promql"] == "up"
