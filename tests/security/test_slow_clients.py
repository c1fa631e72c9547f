"""Slow clients against a real server: connections that never finish their request head, dribble a body or sit
idle are closed, and thousands of them never keep a new client out (issue 10, finding 7: ~1,020 half-open
connections used to stop the server accepting anything, once they had taken every file descriptor of a process
started with the common soft limit of 1,024)."""

from __future__ import annotations

import resource
import selectors
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.process import ServerProcess

ADMIN = ("admin", "admin")
FLOOD = 2000
PARTIAL = b"GET /ffws/v1/verify HT"  # a request line that never ends
WAIT = 15.0  # the most any test waits for the server to close something (the limits under test are 1 s)


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def _tls_context(server: ServerProcess) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.data_dir / "tls" / "cert.pem")


def _start_with_few_files(server: ServerProcess) -> None:
    """Start the server with the soft limit of 1,024 open files that many systems give a process (it has to raise
    its own), and give this process enough descriptors for the flood."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * FLOOD + 512
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"the hard limit on open files ({hard}) is below {need}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 1024), hard))
    try:
        server.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))


def _closed_by_server(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except (TimeoutError, BlockingIOError):
        return False
    except OSError:  # reset: the server aborted the connection
        pass
    return True


def _wait_closed(socks: list[socket.socket], want: int, timeout: float) -> set[int]:
    """Indexes of the sockets the server closed, once at least ``want`` of them are (or ``timeout`` passed)."""
    closed: set[int] = set()
    with selectors.DefaultSelector() as selector:  # epoll: no FD_SETSIZE ceiling
        for i, sock in enumerate(socks):
            selector.register(sock, selectors.EVENT_READ, i)
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while len(closed) < want and not deadline.is_set():
                for key, _ in selector.select(timeout=0.2):
                    if _closed_by_server(socks[key.data], 0):
                        closed.add(key.data)
                        selector.unregister(key.fileobj)
        finally:
            timer.cancel()
    return closed


def _flood(address: tuple[str, int], count: int) -> list[socket.socket]:
    """``count`` connections: half say nothing, half start a request line and stop."""
    socks = []
    for i in range(count):
        sock = socket.create_connection(address, timeout=10)
        if i % 2:
            sock.sendall(PARTIAL)
        socks.append(sock)
    return socks


@pytest.fixture
def flood_server(tmp_path: Path) -> Iterator[ServerProcess]:
    # A long header timeout: only the connection limit can make room here.
    server = ServerProcess(tmp_path / "data", "--tls-port", "0", "--header-timeout", "300")
    _start_with_few_files(server)
    yield server
    server.kill()


def test_two_thousand_half_open_connections_do_not_keep_a_client_out(flood_server):
    socks = _flood(_address(flood_server.base_url), FLOOD)
    try:
        with httpx.Client(base_url=flood_server.base_url, auth=ADMIN, timeout=10) as client:
            assert client.get("/ffws/v1/verify").status_code == 200
        # At most 1,000 connections (the default): the longest waiting made room, the newest are still open.
        closed = _wait_closed(socks, FLOOD - 1000, WAIT)
        assert len(closed) >= FLOOD - 1000
        assert not closed & set(range(FLOOD - 100, FLOOD))
    finally:
        for sock in socks:
            sock.close()


def test_the_server_raises_its_open_files_limit(flood_server):
    limits = Path(f"/proc/{flood_server.proc.pid}/limits")
    if not limits.exists():
        pytest.skip("no /proc")
    line = next(line for line in limits.read_text().splitlines() if line.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard or (hard == "unlimited" and int(soft) >= 65536)


def test_two_thousand_half_open_tls_connections_do_not_keep_a_client_out(flood_server):
    # Still in their TLS handshake: no protocol of the server's sees them yet, only the descriptor limit.
    socks = _flood(_address(flood_server.tls_url), FLOOD)
    try:
        with httpx.Client(base_url=flood_server.tls_url, verify=_tls_context(flood_server), timeout=10) as client:
            assert client.get("/ffws/v1/verify", auth=ADMIN).status_code == 200
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("strict") / "data"
    args = ("--tls-port", "0", "--header-timeout", "1", "--body-timeout", "1", "--keep-alive-timeout", "1")
    server = ServerProcess(data, *args).start()
    yield server
    server.kill()


BASIC_ADMIN = "Authorization: Basic YWRtaW46YWRtaW4=\r\n"  # admin:admin


def _verify_request() -> bytes:
    return f"GET /ffws/v1/verify HTTP/1.1\r\nHost: x\r\n{BASIC_ADMIN}\r\n".encode()


def _post_head(length: int, extra: str = "") -> bytes:
    head = f"POST /ffws/v1/contacts/admin HTTP/1.1\r\nHost: x\r\n{BASIC_ADMIN}"
    return f"{head}Content-Length: {length}\r\n{extra}\r\n".encode()


def _read_response(sock: socket.socket) -> bytes:
    sock.settimeout(WAIT)
    data = b""
    while b"</response>" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a whole answer: {data!r}"
        data += chunk
    return data


@pytest.mark.parametrize("sent", [b"", PARTIAL, b"GET /ffws/v1/verify HTTP/1.1\r\nHost: x\r\n"])
def test_a_request_head_that_does_not_arrive_in_time_is_closed(strict_server, sent):
    with socket.create_connection(_address(strict_server.base_url)) as sock:
        sock.sendall(sent)
        assert _closed_by_server(sock, WAIT)


def test_a_dribbled_head_is_closed_however_it_keeps_coming(strict_server):
    with socket.create_connection(_address(strict_server.base_url)) as sock:
        sock.sendall(b"GET /ffws/v1/verify HTTP/1.1\r\n")
        tick = threading.Event()
        for _ in range(int(WAIT / 0.2)):
            try:
                sock.sendall(b"X-Slow: 1\r\n")  # a header line every 0.2 s, never the blank line that ends the head
            except OSError:
                break
            tick.wait(0.2)
        assert _closed_by_server(sock, WAIT)


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(strict_server):
    with socket.create_connection(_address(strict_server.base_url)) as sock:
        for _ in range(2):  # kept alive between requests, not closed after one
            sock.sendall(_verify_request())
            answer = _read_response(sock)
            assert answer.startswith(b"HTTP/1.1 200") and b"connection: close" not in answer.lower()
        assert _closed_by_server(sock, WAIT)


def test_a_kept_alive_connection_that_starts_a_request_and_stops_is_closed(strict_server):
    # uvicorn stops its keep-alive timer at the first byte of a next request: the head's deadline takes over.
    with socket.create_connection(_address(strict_server.base_url)) as sock:
        sock.sendall(_verify_request())
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"G")
        assert _closed_by_server(sock, WAIT)


def test_a_dribbled_body_is_cut_off(strict_server):
    with socket.create_connection(_address(strict_server.base_url)) as sock:
        sock.sendall(_post_head(1000) + b"<contact><name>Dribbled</name>")
        tick = threading.Event()
        for _ in range(int(WAIT / 0.2)):
            try:
                sock.sendall(b" ")  # a byte every 0.2 s: far below the body's minimum rate
            except OSError:
                break
            tick.wait(0.2)
        assert _closed_by_server(sock, WAIT)
    with strict_server.client(auth=ADMIN) as client:  # nothing of it was written
        assert "Dribbled" not in client.get("/ffws/v1/contacts/admin").text


def test_a_body_that_keeps_up_is_read_in_full(strict_server):
    # 256 KiB in eight parts 0.3 s apart: 2.4 s, past the 1 s body timeout, but each KiB buys a second more.
    body = b"<contact><name>" + b"x" * (256 * 1024) + b"</name><fax_number>1</fax_number></contact>"
    step = len(body) // 8 + 1
    with socket.create_connection(_address(strict_server.base_url)) as sock:
        sock.sendall(_post_head(len(body)))
        tick = threading.Event()
        for start in range(0, len(body), step):
            sock.sendall(body[start : start + step])
            tick.wait(0.3)
        answer = _read_response(sock)
    assert answer.startswith(b"HTTP/1.1 400") and b"<message>invalid name" in answer  # read in full, then refused


@pytest.mark.parametrize("handshake", [False, True])
def test_the_tls_listener_has_the_same_deadlines(strict_server, handshake):
    raw = socket.create_connection(_address(strict_server.tls_url))
    sock: socket.socket = raw
    try:
        if handshake:  # TLS done, then no request: the head's deadline; otherwise the handshake's
            sock = _tls_context(strict_server).wrap_socket(raw, server_hostname="127.0.0.1")
            sock.sendall(PARTIAL)
        assert _closed_by_server(sock, WAIT)
    finally:
        sock.close()


def test_past_the_connection_limit_with_every_connection_busy_a_new_request_gets_503(tmp_path):
    server = ServerProcess(tmp_path / "data", "--max-connections", "2").start()
    busy = [socket.create_connection(_address(server.base_url)) for _ in range(2)]
    try:
        for sock in busy:  # each has a request in progress: the app has asked for its body ("100 Continue")
            sock.sendall(_post_head(100, "Expect: 100-continue\r\n"))
            sock.settimeout(WAIT)
            assert sock.recv(65536).startswith(b"HTTP/1.1 100")
        with server.client(auth=ADMIN) as client:
            refused = client.get("/ffws/v1/verify")
        assert refused.status_code == 503 and refused.headers["connection"] == "close"
        for sock in busy:
            sock.close()
        with server.client(auth=ADMIN) as client:  # room again once they are gone
            answer = client.get("/ffws/v1/verify")
            for _ in range(50):
                if answer.status_code == 200:
                    break
                threading.Event().wait(0.1)
                answer = client.get("/ffws/v1/verify")
        assert answer.status_code == 200
    finally:
        for sock in busy:
            sock.close()
        server.kill()
