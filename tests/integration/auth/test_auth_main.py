"""`python -m obsai_auth`: migrate, serve, announce the admin once, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import grpc
from auth_harness import INTERNAL_SECRET, JWT_SECRET
from grpc_health.v1 import health_pb2, health_pb2_grpc

from obsai.v1 import auth_pb2, auth_pb2_grpc
from obsai_devstack.processes import free_port


def service_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OBSAI_", "JWT_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        JWT_SECRET=JWT_SECRET,
        OBSAI_INTERNAL_SECRET=INTERNAL_SECRET,
        BCRYPT_ROUNDS="4",
        SHUTDOWN_GRACE_SECONDS="1",
        **extra,
    )
    return env


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "obsai_auth",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def wait_serving(port: int, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 30
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            assert process.returncode is None, await process.communicate()
            try:
                reply = await health.Check(
                    health_pb2.HealthCheckRequest(service="obsai.v1.AuthService"), timeout=1
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("auth did not become SERVING")


async def test_migrate_then_serve_then_stop_on_sigterm(database_url: str, redis_url: str) -> None:
    migrate = await start(service_env(database_url, redis_url), "migrate")
    out, err = await asyncio.wait_for(migrate.communicate(), 60)
    assert migrate.returncode == 0, err
    assert b"0001_init" in out

    port = free_port()
    process = await start(service_env(database_url, redis_url, GRPC_PORT=str(port)))
    try:
        await wait_serving(port, process)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = auth_pb2_grpc.AuthServiceStub(channel)
            process.send_signal(signal.SIGTERM)
            # Graceful shutdown must end; a hang fails here (speed is not the point).
            stdout, stderr = await asyncio.wait_for(process.communicate(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr
    [line] = [x for x in stdout.decode().splitlines() if "password:" in x]
    password = line.rsplit("password: ", 1)[1].strip()
    assert len(password) >= 16
    assert password.encode() not in stderr  # printed once to stdout, never logged
    assert b"stopped" in stderr

    # The announced password is the admin's.
    process = await start(service_env(database_url, redis_url, GRPC_PORT=str(port)), "serve")
    try:
        await wait_serving(port, process)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = auth_pb2_grpc.AuthServiceStub(channel)
            tokens = await stub.Login(auth_pb2.LoginRequest(username="admin", password=password))
            assert "admin" in tokens.user.roles
        process.send_signal(signal.SIGTERM)
        stdout, _ = await asyncio.wait_for(process.communicate(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert b"password" not in stdout  # announced only at creation
