"""A refused document is freed at once: a body whose DOCTYPE declares many entities costs the parser tens of
megabytes, and each one refused must not stay in memory until a full garbage collection happens to run. A real
server process is sent many such bombs; its resident memory stays flat."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.process import ServerProcess

ADMIN = ("admin", "admin")
ENTITIES = 100_000  # ~2 MB of declarations, ~25 MB inside libxml2 while parsed
BOMBS = 30
ALLOWED_GROWTH_MB = 120  # a leak would be ~25 MB a bomb: 750 MB over the run


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path):
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's resident memory")
    process = ServerProcess(tmp_path / "data", "--manual-clock").start()
    yield process
    process.kill()


def test_refused_entity_bombs_leave_memory_flat(server):
    declarations = "".join(f'<!ENTITY e{i} "x">' for i in range(ENTITIES))
    bomb = f'<?xml version="1.0"?><!DOCTYPE contact [{declarations}]><contact><name>a</name></contact>'.encode()
    pid = server.proc.pid
    with server.client(auth=ADMIN) as http:
        for _ in range(3):  # the first ones size the allocator's arenas
            assert http.post("/ffws/v1/contacts/admin", content=bomb).status_code == 400
        settled = _rss_mb(pid)
        for _ in range(BOMBS):
            answer = http.post("/ffws/v1/contacts/admin", content=bomb)
            assert answer.status_code == 400
            assert b"a DOCTYPE is not allowed" in answer.content
        grown = _rss_mb(pid) - settled
    assert grown < ALLOWED_GROWTH_MB, f"resident memory grew {grown:.0f} MB over {BOMBS} refused bombs"
