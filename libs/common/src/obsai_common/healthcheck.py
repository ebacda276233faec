"""`python -m obsai_common.healthcheck [host:port]`: exit 0 when the server is SERVING.

Used by container HEALTHCHECKs; Kubernetes uses its native gRPC probes.
"""

from __future__ import annotations

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main() -> int:
    target = (
        sys.argv[1] if len(sys.argv) > 1 else f"127.0.0.1:{os.environ.get('GRPC_PORT', '50051')}"
    )
    try:
        with grpc.insecure_channel(target) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=3
            )
    except grpc.RpcError as error:
        print(f"unhealthy: {error.code().name}", file=sys.stderr)
        return 1
    return 0 if response.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
