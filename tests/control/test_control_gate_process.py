"""The control plane's gate against a real `faxfinder-emulator serve` (issue 10, finding 5: an anonymous 200 MB body
used to be read and parsed before the token check). Over a raw socket, the request's head says how big the body is
and the body is then withheld or left unfinished: an answer can only come from a server that did not wait for it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.process import ServerProcess

TOKEN = "s3cret"
REFUSED = {"error": "missing or wrong X-Emulator-Token"}
CONTROL_413 = {"error": "request body too large: the limit is 1024 bytes (FFEMU_CONTROL_MAX_BODY)"}
SNAPSHOT_413 = {"error": "request body too large: the limit is 4096 bytes (FFEMU_SNAPSHOT_MAX_BODY)"}
HUGE = 200 * 1024 * 1024


class GuardedServer(ServerProcess):
    """A server with a control token: its health is polled with the token."""

    def wait_healthy(self, timeout: float) -> None:
        pause = threading.Event()
        for _ in range(int(timeout / 0.05)):
            try:
                if httpx.get(self.base_url + "/_emulator/health", headers={"X-Emulator-Token": TOKEN}).is_success:
                    return
            except httpx.HTTPError:
                pass
            pause.wait(0.05)
        raise AssertionError("server never became healthy:\n" + "".join(self.output))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    limits = ["--control-max-body", "1024", "--snapshot-max-body", "4096"]
    process = GuardedServer(tmp_path_factory.mktemp("gate") / "data", "--control-token", TOKEN, *limits).start()
    yield process
    process.kill()


def exchange(server: ServerProcess, head: str, body_parts: tuple[bytes, ...] = ()) -> tuple[int, dict, bytes]:
    """Send a request head and some body bytes (never the whole body), then read the answer until the server closes
    the connection. The socket's timeout only bounds a broken server; nothing here measures time."""
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for part in body_parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):  # it answered and closed before wanting more
                break
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head_bytes, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, body


def request_head(method: str, path: str, *headers: str) -> str:
    return "\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *headers, ""])


def test_an_anonymous_huge_body_is_refused_without_being_sent(server: ServerProcess):
    for path in ("/_emulator/state/import", "/_emulator/faults", "/_emulator/reset", "/_emulator/inbound"):
        status, headers, body = exchange(server, request_head("POST", path, f"Content-Length: {HUGE}"))
        assert (status, json.loads(body)) == (401, REFUSED), path
        assert headers["content-type"] == "application/json"
    status, _, body = exchange(server, request_head("POST", "/_emulator/faults", f"Content-Length: {HUGE}",
                                                    "X-Emulator-Token: wrong"))  # fmt: skip
    assert (status, json.loads(body)) == (401, REFUSED)


def test_an_anonymous_chunked_body_is_refused_before_its_first_chunk(server: ServerProcess):
    head = request_head("POST", "/_emulator/state/import", "Transfer-Encoding: chunked")
    status, _, body = exchange(server, head)  # the body, however long it would have been, is never sent
    assert (status, json.loads(body)) == (401, REFUSED)


def test_with_the_token_a_declared_body_over_the_cap_is_413_unsent(server: ServerProcess):
    token = f"X-Emulator-Token: {TOKEN}"
    status, headers, body = exchange(server, request_head("POST", "/_emulator/faults", "Content-Length: 1025", token))
    assert (status, json.loads(body)) == (413, CONTROL_413)
    assert headers["connection"] == "close"
    status, _, body = exchange(
        server, request_head("POST", "/_emulator/state/import", f"Content-Length: {HUGE}", token)
    )
    assert (status, json.loads(body)) == (413, SNAPSHOT_413)


def test_with_the_token_a_streamed_body_is_413_once_it_passes_the_cap(server: ServerProcess):
    token = f"X-Emulator-Token: {TOKEN}"
    chunk = b"200\r\n" + b" " * 512 + b"\r\n"  # 512 bytes a chunk, and the body never ends
    status, _, body = exchange(server, request_head("PUT", "/_emulator/clock", "Transfer-Encoding: chunked", token),
                               (chunk, chunk, chunk))  # fmt: skip
    assert (status, json.loads(body)) == (413, CONTROL_413)
    status, _, body = exchange(server, request_head("POST", "/_emulator/state/import", "Transfer-Encoding: chunked",
                                                    token), (chunk,) * 9)  # fmt: skip
    assert (status, json.loads(body)) == (413, SNAPSHOT_413)


def test_after_all_that_the_server_serves_within_the_caps(server: ServerProcess):
    with server.client(headers={"X-Emulator-Token": TOKEN}) as client:
        assert client.get("/_emulator/health").json()["status"] == "ok"
        response = client.post("/_emulator/clock/advance", json={"seconds": 60})
        assert response.status_code == 200, response.text
        assert client.get("/ffws/v1/verify", auth=("admin", "admin")).status_code == 200
        assert client.post("/_emulator/faults", content=b"{" * 2000).json() == CONTROL_413  # capped, not parsed
    assert httpx.get(server.base_url + "/_emulator/health").json() == REFUSED


def test_without_a_token_setting_the_control_plane_stays_open(tmp_path: Path):
    process = ServerProcess(tmp_path / "data").start()  # its health poll sends no token
    try:
        assert httpx.post(process.base_url + "/_emulator/reset").json() == {"status": "reset"}
    finally:
        process.kill()
