"""Ports handed to servers before they start are drawn below the ephemeral range."""

from __future__ import annotations

import socket

import pytest

from obsai_devstack import processes
from obsai_devstack.processes import ephemeral_range, free_port, reserve_ports


def test_a_free_port_is_below_the_range_outgoing_connections_take() -> None:
    low, high = ephemeral_range()
    assert 1024 <= low < high
    ports = {free_port() for _ in range(20)}
    assert all(1024 <= port < low for port in ports)
    assert len(ports) > 1  # drawn at random, not the same one each time


def test_a_free_port_can_be_bound_by_the_server_told_it() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        assert server.getsockname()[1] == port


def test_a_port_already_bound_is_not_handed_out() -> None:
    low, _ = ephemeral_range()
    taken = []
    try:
        # Hold most of the range's top ports; whatever is drawn must still be bindable.
        for port in range(low - 200, low):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            taken.append(sock)
        held = {s.getsockname()[1] for s in taken}
        for _ in range(20):
            assert free_port() not in held
    finally:
        for sock in taken:
            sock.close()


def test_a_process_never_draws_one_port_twice() -> None:
    # A stack draws all its ports before its servers bind them: 300 draws from ~12,000
    # ports would almost surely repeat one (p ≈ 0.98) if drawing forgot earlier draws.
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Offsets `free_port` will draw, in order, instead of random ones."""
    offsets: list[int] = []
    monkeypatch.setattr(processes.secrets, "randbelow", lambda _n: offsets.pop(0))
    return offsets


def test_a_port_named_to_the_process_is_never_drawn(draws: list[int]) -> None:
    low, _ = ephemeral_range()
    first = max(1024, low - processes._FREE_PORT_SPAN)
    unused = [p for p in range(first + 7000, low) if p not in processes._HANDED_OUT]
    named, others = unused[0], unused[1:6]
    reserve_ports([0, named])
    draws += [named - first, *(p - first for p in others)]
    # The named port is free on the machine (its server has not started): skipped anyway.
    assert free_port() in others
