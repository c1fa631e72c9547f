"""A flood of wrong passwords waits its turn: only a few Argon2 verifications (~19 MiB each with the default
parameters) run at once, so the server's peak memory stays bounded however many arrive together. A real server with
the default Argon2 cost is sent 120 wrong-password requests from 40 threads at once (127.0.0.1 only)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.process import ServerProcess

THREADS, EACH = 40, 3
ALLOWED_PEAK_GROWTH_MB = 200  # four verifications at a time: ~80 MB; one per worker thread would be ~750 MB


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


@pytest.fixture
def server(tmp_path):
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's memory")
    process = ServerProcess(tmp_path / "data", "--argon2-time-cost", "2", "--argon2-memory-kib", "19456").start()
    yield process
    process.kill()


def test_a_flood_of_wrong_passwords_keeps_memory_bounded(server):
    pid = server.proc.pid
    with httpx.Client(base_url=server.base_url, timeout=120) as http:
        assert http.get("/ffws/v1/verify", auth=("admin", "admin")).status_code == 200  # one verification sized
    before = _status_mb(pid, "VmRSS")
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def flood(n: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=120) as http:
            start.wait()
            for k in range(EACH):
                answer = http.get("/ffws/v1/verify", auth=("admin", f"wrong-{n}-{k}"))
                with lock:
                    statuses.append(answer.status_code)

    threads = [threading.Thread(target=flood, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not any(thread.is_alive() for thread in threads)
    assert statuses == [401] * (THREADS * EACH)
    grown = _status_mb(pid, "VmHWM") - before
    assert grown < ALLOWED_PEAK_GROWTH_MB, f"peak memory grew {grown:.0f} MB under {THREADS * EACH} wrong passwords"
