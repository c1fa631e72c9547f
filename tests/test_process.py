"""``faxfinder-emulator serve`` as a real process: first start, state across SIGTERM and restart, ``python -m
emulator``, ``--database-url``. Everything listens on 127.0.0.1; every wait is a short, bounded poll for a process."""

from __future__ import annotations

import os
import re
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.conftest import ADMIN, GOLDEN

BIN = Path(sys.executable).parent
CONSOLE_SCRIPT = BIN / "faxfinder-emulator"
CHEAP_ARGON2 = ("--argon2-time-cost", "1", "--argon2-memory-kib", "8")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
ANNOUNCE = re.compile(rb"on http://127\.0\.0\.1:(\d+)/ffws/v1")
ALICE = ("alice", "alice-secret")


class Emulator:
    """One ``serve`` process on a free port (``--port 0``; it announces the port it got on stdout)."""

    def __init__(self, argv: list[str], log: Path, cwd: Path) -> None:
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("FFEMU_")}  # only our flags count
        with log.open("ab") as err:
            self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, cwd=cwd, env=env)
        self.url = f"http://127.0.0.1:{self._announced_port()}"
        self._wait_until_healthy()

    def _announced_port(self) -> int:
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline and b"\n" not in buffer:
                if selector.select(timeout=0.1):
                    chunk = os.read(self.process.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    buffer += chunk
        match = ANNOUNCE.search(buffer)
        if match is None:
            self.kill()
            pytest.fail(f"serve announced no address (stdout {buffer!r}):\n{self.stderr()}")
        return int(match.group(1))

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode} before it was healthy:\n{self.stderr()}")
            try:
                if httpx.get(f"{self.url}/_emulator/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"/_emulator/health did not answer 200 within {START_TIMEOUT} s:\n{self.stderr()}")

    def request(self, method: str, path: str, body: str | None = None, auth: tuple[str, str] = ADMIN) -> httpx.Response:
        return httpx.request(method, f"{self.url}{path}", content=body, auth=auth, timeout=30)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Send the signal and wait for the exit status; the standard streams are closed afterwards."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"serve did not stop within {STOP_TIMEOUT} s of signal {signum}:\n{self.stderr()}")
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stderr(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator:
    """Start ``serve`` on a data dir; every process still running at the end of the test is killed."""
    started: list[Emulator] = []

    def start(data_dir: Path, *extra: str, module: bool = False, cwd: Path | None = None) -> Emulator:
        command = [sys.executable, "-m", "emulator"] if module else [str(CONSOLE_SCRIPT)]
        argv = [*command, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir), *CHEAP_ARGON2]
        emulator = Emulator([*argv, *extra], tmp_path / "serve.log", cwd or tmp_path)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.kill()
        if emulator.process.stdout is not None:
            emulator.process.stdout.close()


def message(response: httpx.Response) -> str | None:
    return etree.fromstring(response.content).findtext("message")


def tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def contact_names(emulator: Emulator) -> list[str]:
    response = emulator.request("GET", "/ffws/v1/contacts/admin")
    assert response.status_code == 200, response.text
    return [c.findtext("name") for c in etree.fromstring(response.content).iter("contact")]


def assert_clean_exit(emulator: Emulator, signum: int = signal.SIGTERM) -> None:
    status = emulator.stop(signum)
    assert status == 0, f"exit status {status} after signal {signum}:\n{emulator.stderr()}"
    log = emulator.stderr(tail=10**7)
    assert "Traceback" not in log, log


def test_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.exists(), f"{CONSOLE_SCRIPT} is missing: pip install -e '.[test]'"


def test_first_start_creates_the_schema_and_seeds_admin(launch, tmp_path: Path) -> None:
    data = tmp_path / "data"
    emulator = launch(data)

    response = emulator.request("GET", "/ffws/v1/verify")
    assert response.status_code == 200
    assert response.content == (GOLDEN / "verify.xml").read_bytes()
    assert emulator.request("GET", "/ffws/v1/verify", auth=("admin", "not-admin")).status_code == 401
    database = data / "faxfinder.sqlite3"
    assert {"alembic_version", "users", "contacts"} <= tables(database)
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT username, is_admin FROM users").fetchall() == [("admin", 1)]
    assert_clean_exit(emulator)


def test_state_survives_sigterm_and_a_restart(launch, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = launch(data)
    contact = "<contact><name>Bob Builder</name><fax_number>5551234</fax_number></contact>"
    assert message(first.request("POST", "/ffws/v1/contacts/admin", contact)) == "Created"
    user = f"<user><name>Alice</name><username>{ALICE[0]}</username><password>{ALICE[1]}</password></user>"
    assert message(first.request("POST", "/ffws/v1/users", user)) == "Created"
    assert first.request("GET", "/ffws/v1/verify", auth=ALICE).status_code == 200
    assert_clean_exit(first)

    # The same data dir, started the other way (python -m emulator), stopped the other way (SIGINT, i.e. Ctrl-C).
    second = launch(data, module=True)
    assert contact_names(second) == ["Bob Builder"]
    assert second.request("GET", "/ffws/v1/verify", auth=ALICE).status_code == 200
    assert second.request("GET", "/ffws/v1/verify", auth=(ALICE[0], "wrong")).status_code == 401
    alice = etree.fromstring(second.request("GET", f"/ffws/v1/users/{ALICE[0]}").content)
    assert alice.findtext("user/name") == "Alice"
    assert second.request("GET", "/ffws/v1/verify").status_code == 200  # the seed did not run twice
    with sqlite3.connect(data / "faxfinder.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM users WHERE username = 'admin'").fetchone() == (1,)
    assert_clean_exit(second, signal.SIGINT)


def test_database_url_overrides_the_data_dir_database(launch, tmp_path: Path) -> None:
    data, work = tmp_path / "data", tmp_path / "work"
    work.mkdir()
    emulator = launch(data, "--database-url", "sqlite:///other.db", cwd=work)  # relative: the process's directory
    contact = "<contact><name>Elsewhere</name></contact>"
    assert message(emulator.request("POST", "/ffws/v1/contacts/admin", contact)) == "Created"
    assert_clean_exit(emulator)

    assert not (data / "faxfinder.sqlite3").exists()
    with sqlite3.connect(work / "other.db") as db:
        assert db.execute("SELECT name FROM contacts").fetchall() == [("Elsewhere",)]
        assert db.execute("SELECT username FROM users").fetchall() == [("admin",)]
