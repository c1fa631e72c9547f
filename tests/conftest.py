"""Shared test machinery: a fresh emulator per test (copied from a migrated template), driven over HTTP through
the ASGI app exactly as a client would, plus helpers to prove that a refused request wrote nothing."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from emulator.app import create_app
from emulator.box import Box
from emulator.db import Base
from emulator.db.models import load_models
from emulator.settings import Settings

HOST = "faxfinder.test"
ADMIN = ("admin", "admin")
GOLDEN = Path(__file__).parent / "golden"
TEST_SETTINGS = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "manual_clock": True}


class FFClient:
    """A synchronous client for the ASGI app (httpx ASGITransport on a private event loop)."""

    def __init__(self, box: Box) -> None:
        self.box = box
        self.app = create_app(box.settings, box)
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=f"http://{HOST}", timeout=30
        )

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        *,
        auth: tuple[str, str] | None = ADMIN,
        **kwargs: Any,
    ) -> httpx.Response:
        content = body.encode() if isinstance(body, str) else body
        call = self._client.request(method, path, content=content, auth=auth, **kwargs)
        return self._loop.run_until_complete(call)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: str | bytes | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: str | bytes | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def close_client(self) -> None:
        """Close this client's connection only (the box stays up for others)."""
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    def close(self) -> None:
        self.close_client()
        self.box.stop()


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded data dir, built once and copied for every test."""
    path = tmp_path_factory.mktemp("template")
    box = Box(Settings(data_dir=path, **TEST_SETTINGS))
    box.start()
    box.stop()
    return path


def make_box(template: Path, target: Path, **overrides: Any) -> Box:
    shutil.copytree(template, target, dirs_exist_ok=True)
    box = Box(Settings(data_dir=target, **{**TEST_SETTINGS, **overrides}))
    box.start()
    return box


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrise) to run the emulator with other settings."""
    return {}


@pytest.fixture
def client(template_dir: Path, tmp_path: Path, settings_overrides: dict[str, Any]) -> Iterator[FFClient]:
    box = make_box(template_dir, tmp_path / "data", **settings_overrides)
    c = FFClient(box)
    yield c
    c.close()


# -- assertions ----------------------------------------------------------------------------------------------------
def db_state(box: Box) -> dict[str, list[tuple]]:
    """Every row of every table: compare before and after a refused request to prove nothing was written."""
    load_models()
    state = {}
    with box.db.read() as session:
        for table in Base.metadata.sorted_tables:
            state[table.name] = sorted(tuple(row) for row in session.execute(select(table)))
    return state


def message_of(response: httpx.Response) -> str:
    from lxml import etree

    return etree.fromstring(response.content).findtext("message")


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/xml"
    assert message_of(response) == message


def assert_golden(name: str, response: httpx.Response) -> None:
    """Byte comparison with tests/golden/NAME.xml (UPDATE_GOLDEN=1 rewrites the file)."""
    path = GOLDEN / f"{name}.xml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(response.content)
    assert path.exists(), f"missing golden file {path} (run with UPDATE_GOLDEN=1 once and review it)"
    assert response.content == path.read_bytes()
