"""The mail tests' emulators: real servers (uvicorn and the fax-by-e-mail listener) on 127.0.0.1, each on the
suite's database (on PostgreSQL in its pass, as every box the suite makes: tests.backends)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator.testing.server import EmulatorHandle, EmulatorServer
from tests.conftest import real_server

ME = "jane@example.com"  # the admin's address in the tests of fax by e-mail


@pytest.fixture(scope="session")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    server = real_server(tmp_path_factory.mktemp("mailbox"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def box(mail_server: EmulatorServer) -> Iterator[EmulatorHandle]:
    """The box reset, its admin with the address ME (in capitals: addresses match in any case)."""
    handle = mail_server.handle()
    handle.reset()
    body = f"<user><email_address>{ME.upper()}</email_address></user>"
    assert httpx.put(f"{handle.url}/users/admin", content=body, auth=handle.auth).status_code == 200
    yield handle
    handle.close()


@pytest.fixture
def strict_box(tmp_path: Path) -> Iterator[EmulatorHandle]:
    """A box of its own with --strict, its admin with the address ME (set as the guide sends XML)."""
    server = real_server(tmp_path / "strict", strict=True)
    server.start()
    handle = server.handle()
    try:
        body = f"<user><email_address>{ME}</email_address></user>"
        xml = {"content-type": "application/xml"}
        assert httpx.put(f"{handle.url}/users/admin", content=body, auth=handle.auth, headers=xml).status_code == 200
        yield handle
    finally:
        handle.close()
        server.stop()
