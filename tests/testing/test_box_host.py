"""The box host of a test run (emulator.testing.host): a box per request, living while its asker's connection stays
open; the host and its boxes end with the run's owner process."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator.testing.host import ADDRESS

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the box host forks: not on this platform")


def until(condition, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def answers(url: str) -> bool:
    try:
        return httpx.get(url + "/_emulator/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def owner() -> Iterator[subprocess.Popen]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def host(tmp_path: Path, owner: subprocess.Popen) -> Iterator[tuple[subprocess.Popen, int]]:
    log = (tmp_path / "log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.testing.host", str(tmp_path), str(owner.pid)], stdout=log, stderr=log
    )
    assert until(lambda: (tmp_path / ADDRESS).exists(), 60), (tmp_path / "log").read_text()
    address = json.loads((tmp_path / ADDRESS).read_text())
    yield process, address["port"], address["token"]
    process.terminate()
    process.wait(timeout=15)
    log.close()


def ask(port: int, request: bytes) -> tuple[socket.socket, dict]:
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(request + b"\n")
    with connection.makefile("rb") as answer:
        return connection, json.loads(answer.readline())


def box_request(token: str, data_dir: Path, **settings: object) -> bytes:
    return json.dumps({"token": token, "settings": settings, "data_dir": str(data_dir)}).encode()


def test_a_box_lives_while_its_connection_stays_open(host, tmp_path):
    _, port, token = host
    first, box = ask(port, box_request(token, tmp_path / "a", model="FF440"))
    second, other = ask(port, box_request(token, tmp_path / "b"))
    assert box["base_url"] != other["base_url"] and box["pid"] != other["pid"]
    assert httpx.get(box["base_url"] + "/_emulator/health").json()["model"] == "FF440"
    assert (tmp_path / "template" / "ready").exists()  # (made once; each box a copy)
    first.close()
    assert until(lambda: not answers(box["base_url"]))
    assert answers(other["base_url"])
    second.close()
    assert until(lambda: not answers(other["base_url"]))


def test_a_request_it_cannot_serve_is_answered_with_the_reason(host, tmp_path):
    _, port, token = host
    connection, reply = ask(port, b"not json")
    assert "error" in reply
    connection.close()
    connection, reply = ask(port, box_request("not-the-token", tmp_path / "x"))
    assert reply == {"error": "not this run's token (it is in the host's address file)"}
    assert not (tmp_path / "x").exists()
    connection.close()
    connection, reply = ask(port, box_request(token, tmp_path / "c", model="FF999"))
    assert reply["error"].startswith("the box could not start") and "Input should be 'FF240-IP'" in reply["error"]
    connection.close()


def test_the_host_and_its_boxes_end_with_the_owner(host, owner, tmp_path):
    process, port, token = host
    connection, box = ask(port, box_request(token, tmp_path / "d"))
    owner.kill()
    owner.wait()
    assert process.wait(timeout=15) == 0
    assert not (tmp_path / ADDRESS).exists()
    assert until(lambda: not answers(box["base_url"]))
    connection.close()


def test_a_host_killed_leaves_no_box_behind(host, tmp_path):
    process, port, token = host
    connection, box = ask(port, box_request(token, tmp_path / "e"))
    assert answers(box["base_url"])
    process.kill()  # (no chance to stop its boxes itself)
    process.wait()
    assert until(lambda: not answers(box["base_url"]))
    connection.close()


def test_an_asker_gone_before_its_answer_stops_nothing_but_its_own(host, tmp_path):
    process, port, token = host
    kept, box = ask(port, box_request(token, tmp_path / "f"))
    rude = socket.create_connection(("127.0.0.1", port), timeout=30)
    rude.sendall(box_request(token, tmp_path / "g") + b"\n")
    rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    rude.close()  # (a reset while its box starts)
    again, other = ask(port, box_request(token, tmp_path / "h"))
    assert process.poll() is None and answers(box["base_url"]) and answers(other["base_url"])
    kept.close()
    again.close()
