"""The pytest plugin's in-thread server has the real server's connection limits: half-open connections beyond
--max-connections make room for a new client, and a request head that does not arrive in time is closed."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from emulator.testing.server import EmulatorServer

FLOOD = 300
LIMIT = 100


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(tmp_path / "data", max_connections=LIMIT, **request.param)
    emulator.start()
    yield emulator
    emulator.stop()


def _address(server: EmulatorServer) -> tuple[str, int]:
    parts = urlsplit(server.base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


# A head timeout far beyond the client's own: only the connection limit can make room for it.
@pytest.mark.parametrize("server", [{"header_timeout": 120.0}], indirect=True)
def test_half_open_connections_beyond_the_limit_do_not_keep_a_client_out(server):
    socks = [socket.create_connection(_address(server), timeout=10) for _ in range(FLOOD)]
    try:
        with httpx.Client(base_url=server.base_url, auth=("admin", "admin"), timeout=10) as client:
            assert client.get("/ffws/v1/verify").status_code == 200
        closed = 0
        for sock in socks[: FLOOD - LIMIT]:  # the oldest made room for the newer ones
            sock.settimeout(5)
            try:
                closed += sock.recv(1) == b""
            except TimeoutError:  # still open
                pass
            except ConnectionResetError:
                closed += 1
        assert closed == FLOOD - LIMIT
    finally:
        for sock in socks:
            sock.close()


@pytest.mark.parametrize("server", [{"header_timeout": 1.0}], indirect=True)
def test_a_request_head_that_does_not_arrive_in_time_is_closed(server):
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(b"GET /ffws/v1/verify HT")
        sock.settimeout(10)  # far beyond the head timeout: a connection left open times this out
        with contextlib.suppress(ConnectionResetError):  # closed without an answer
            assert sock.recv(65536) == b""
