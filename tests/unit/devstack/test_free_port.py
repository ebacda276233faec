"""Ports handed to servers before they start are drawn below the ephemeral range."""

from __future__ import annotations

import socket

from obsai_devstack.processes import ephemeral_range, free_port


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
