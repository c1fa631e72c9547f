"""Conversion bombs against a real server process (issue 10, item 1). A text attachment of form feeds made millions
of pages (3.7 GB in two minutes, every other request timed out, and it resumed after a restart), a TIFF of 100,000
frames took minutes, a 657 kB PNG of 13,000 x 13,000 pixels took 2.85 GB. Now each is refused within its budget,
in a worker process: the server's memory stays flat, the other faxes are sent, the server answers meanwhile, and a
server killed during a conversion comes back without resuming it (and leaves no worker behind)."""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.documents_builders import blank_png_bytes, many_frames_tiff_bytes
from tests.ffws.clients import attachment, fax_to, schedule_body
from tests.process import ServerProcess

ADMIN = ("admin", "admin")
OFAX = "/ffws/v1/ofax"
SENT = "Successfully sent fax"
ALLOWED_GROWTH_MB = 400  # receiving a 35 MB body costs about three times its size; the bombs cost gigabytes
TICKS = 100  # clock ticks a second in /proc/PID/stat (USER_HZ)

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")


def _status(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    every, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            every.append(child)
            todo.append(child)
    return every


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def _states(http: httpx.Client) -> dict[str, tuple[str, str]]:
    text = http.get(OFAX, params={"all_users": "true", "complete_limit": "100"}, auth=ADMIN).text
    entry = r"/ofax/(\w+/\w+)</fax_entry_url>.*?<state>(\w+)</state>.*?<schedule_message>([^<]*)<"
    found = re.findall(entry, text, re.S)
    return {key: (state, message) for key, state, message in found}


def _schedule(http: httpx.Client, *attachments: str) -> None:
    answer = http.post(OFAX, content=schedule_body(attachments=list(attachments)), auth=ADMIN)
    assert answer.status_code == 201, answer.text


def _advance(http: httpx.Client, seconds: float, timeout: float = 120) -> None:
    http.post("/_emulator/clock/advance", json={"seconds": seconds}, timeout=timeout).raise_for_status()


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path / "data", "--manual-clock", "--log-level", "warning")
    yield process
    process.kill()


def test_bombs_are_refused_with_the_server_memory_flat_and_the_other_faxes_sent(server):
    server.start()
    pid = server.proc.pid
    form_feeds = b"\f" * 26_000_000  # 34.7 MB of base64: as big as a request may be
    with server.client() as http:
        answer = http.post(OFAX, content=fax_to("555-0100"), auth=ADMIN)  # a warm-up: the workers are started
        assert answer.status_code == 201
        _advance(http, 600)
        settled = _status(pid, "VmRSS")
        _schedule(http, attachment(form_feeds, "text/plain", "feeds.txt"))
        _schedule(http, attachment(blank_png_bytes(13_000, 13_000), "image/png", "huge.png"))
        _schedule(http, attachment(many_frames_tiff_bytes(100_000), "image/tiff", "frames.tif"))
        assert http.post(OFAX, content=fax_to("555-0101"), auth=ADMIN).status_code == 201
        _advance(http, 600)
        peak = _status(pid, "VmHWM")
        states = _states(http)
    assert states == {
        "00000001/0000": ("sent", SENT),
        "00000002/0000": ("dead", "Conversion failed: attachment feeds.txt: more than 500 pages"),
        "00000003/0000": (
            "dead",
            "Conversion failed: attachment huge.png: image is too large (more than 50,000,000 pixels a page)",
        ),
        "00000004/0000": ("dead", "Conversion failed: attachment frames.tif: TIFF has more than 500 frames"),
        "00000005/0000": ("sent", SENT),
    }
    grown = peak - settled
    assert grown < ALLOWED_GROWTH_MB, f"the server's peak memory grew {grown:.0f} MB"


def _busy_worker(pid: int, within: float = 30) -> int:
    """A worker process of the server (a grandchild, by way of the fork server) that is using CPU."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for child in _children(pid):
            for worker in _children(child):
                try:
                    if _cpu_seconds(worker) > 0.5:
                        return worker
                except FileNotFoundError:
                    pass
        time.sleep(0.05)
    raise AssertionError("no worker started converting")


def test_a_server_killed_while_converting_leaves_no_worker_and_refuses_the_bomb_after_a_restart(tmp_path):
    budgets = ["--conversion-cpu-seconds", "2", "--max-attachment-pages", "1000000", "--max-fax-pages", "1000000"]
    server = ServerProcess(tmp_path / "data", "--manual-clock", "--log-level", "warning", *budgets)
    try:
        server.start()
        with server.client() as http:
            # 20,000,000 empty lines, 333,334 pages: far more than 2 CPU seconds of typesetting on any machine
            _schedule(http, attachment(b"\n" * 20_000_000, "text/plain", "long.txt"))
            advancing = threading.Thread(target=lambda: _advance_quietly(server.base_url), daemon=True)
            advancing.start()
            worker = _busy_worker(server.proc.pid)
            health = http.get("/_emulator/health", timeout=5)  # the server answers while it converts
            assert health.status_code == 200
        server.stop(signal.SIGKILL)
        assert _gone(worker, within=10), "the worker outlived its server"

        server.start()
        with server.client() as http:
            _advance(http, 600)  # refused again within its budget (the message), not converted whole
            assert http.post(OFAX, content=fax_to("555-0100"), auth=ADMIN).status_code == 201
            _advance(http, 600)
            states = _states(http)
        stopped = "Conversion failed: attachment long.txt: conversion took more than 2 CPU seconds"
        assert states == {
            "00000001/0000": ("dead", stopped),
            "00000002/0000": ("sent", SENT),
        }
        helpers = _descendants(server.proc.pid)  # the fork server and the workers of this run
        assert helpers
    finally:
        server.kill()
    assert all(_gone(pid, within=10) for pid in helpers), "a helper process outlived its server"


def _advance_quietly(base_url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server is killed while this waits
        httpx.post(base_url + "/_emulator/clock/advance", json={"seconds": 600}, timeout=60)
