"""Shared test machinery, driven over HTTP through the ASGI app exactly as a client would.

``client`` is one emulator per distinct settings (model and overrides), shared by every test of the session and
reset to its fixtures (``Box.reset``) before each test; ``fresh_client`` is a box of the test's own, on its own data
dir copied from a migrated template, for a test that stops, restarts or replaces its box. ``box_state`` proves that
a refused request wrote nothing: neither a database row nor a stored document."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from emulator.app import create_app
from emulator.box import Box
from emulator.db import Base
from emulator.db.models import load_models
from emulator.settings import Settings
from emulator.testing.server import EmulatorHandle, EmulatorServer
from tests import backends

HOST = "faxfinder.test"
ADMIN = ("admin", "admin")
GOLDEN = Path(__file__).parent / "golden"
TEST_SETTINGS = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "manual_clock": True}


class FFClient:
    """A synchronous client for the ASGI app (httpx ASGITransport on a private event loop).

    Given only a box, it builds an app of its own on it; ``close`` then stops the box too. Given the app of a
    shared box (``owns_box=False``), ``close`` closes this client's connection only."""

    def __init__(self, box: Box, app: FastAPI | None = None, *, owns_box: bool = True) -> None:
        self.box = box
        self.app = app if app is not None else app_for(box)
        self.owns_box = owns_box
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=f"https://{HOST}", timeout=30
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
        if self.owns_box:
            stop_box(self.box)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--workers",
        type=int,
        default=None,
        help="serve every box of the client fixtures with this many workers (PostgreSQL only); env FFEMU_TEST_WORKERS",
    )
    parser.addoption(
        "--database",
        default=None,
        help="sqlite (default) or postgresql (the server of $FFEMU_TEST_POSTGRES_URL); env FFEMU_TEST_DATABASE",
    )


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    try:
        backends.CURRENT = backends.open_backend(
            backends.chosen(config.getoption("--database")), worker, backends.workers(config.getoption("--workers"))
        )
    except LookupError as exc:
        pytest.exit(f"skipped: {exc}", returncode=0)


def pytest_unconfigure(config: pytest.Config) -> None:
    backends.CURRENT.close()


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {backends.CURRENT.name}"


# What touches no database: the PostgreSQL pass leaves it to the SQLite one.
NO_DATABASE = (
    "tests/wire/",
    "tests/documents/",
    "tests/fuzz/",
    "tests/test_docs.py",
    "tests/test_cli.py",
    "tests/test_docker.py",
    "tests/test_architecture.py",
)


def _deselect_what_touches_no_database(config: pytest.Config, items: list[pytest.Item]) -> None:
    if backends.CURRENT.name == "sqlite":
        return
    kept = [item for item in items if not item.nodeid.startswith(NO_DATABASE)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test`` runs ``-n auto --dist loadgroup``), the tests of a module that uses a module-
    or class-scoped fixture run on one worker, so that such a fixture (the Docker image, a built history) is made
    once, not once per worker. Every other test goes to whichever worker is free."""
    _deselect_what_touches_no_database(config, items)
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        scopes = {d.scope for defs in definitions.values() for d in defs}
        if scopes & {"module", "class", "package"} and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded data dir, built once and copied for every box."""
    path = tmp_path_factory.mktemp("template")
    database = backends.CURRENT.template_url()
    box = Box(Settings(data_dir=path, **TEST_SETTINGS, **({"database_url": database} if database else {})))
    box.start()
    box.stop()
    return path


def box_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, **{**TEST_SETTINGS, **overrides})


def make_box(template: Path, target: Path, workers: int | None = None, **overrides: Any) -> Box:
    """A started box on a copy of the template: its data dir, and on PostgreSQL a database made from the template's.
    With ``--workers N`` (PostgreSQL), N-1 more boxes serve the same database and data dir beside it, as workers
    of one box do (``box.siblings``; ``app_for`` spreads requests over them all)."""
    shutil.copytree(template, target, dirs_exist_ok=True)
    if "database_url" not in overrides and (database := backends.CURRENT.new_database()):
        overrides["database_url"] = database
    box = Box(box_settings(target, **overrides))
    box.start()
    box.siblings = []  # type: ignore[attr-defined]
    for _ in range((workers or backends.CURRENT.workers) - 1):
        sibling = Box(box_settings(target, **overrides))
        sibling.start()
        box.siblings.append(sibling)  # type: ignore[attr-defined]
    return box


def stop_box(box: Box) -> None:
    for sibling in getattr(box, "siblings", []):
        sibling.stop()
    box.stop()


class RoundRobin:
    """The apps of a box's workers behind one address: each request goes to the next, as a load balancer sends it."""

    def __init__(self, apps: list[FastAPI]) -> None:
        self.apps = apps
        self.state = apps[0].state
        self._turns = itertools.cycle(apps)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.apps[0] if scope["type"] == "lifespan" else next(self._turns)
        await app(scope, receive, send)


def app_for(box: Box) -> Any:
    apps = [create_app(b.settings, b) for b in (box, *getattr(box, "siblings", []))]
    return apps[0] if len(apps) == 1 else RoundRobin(apps)


def restart_box(box: Box, target: Path, **overrides: Any) -> Box:
    """``box`` (stopped) started again elsewhere, as after a restart: a copy of its data dir, and its database."""
    if box.settings.database_url:
        overrides.setdefault("database_url", box.settings.database_url)
    return make_box(box.settings.data_dir, target, **overrides)


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


@dataclass
class _Shared:
    box: Box
    app: FastAPI


class SharedBoxes:
    """One started box and its app per distinct settings, for the whole session (see ``client``)."""

    def __init__(self, template: Path, root: Path) -> None:
        self.template, self.root = template, root
        self._boxes: dict[str, _Shared] = {}
        self._made = 0

    def get(self, overrides: dict[str, Any], workers: int | None = None) -> _Shared:
        settings = box_settings(Path("."), **overrides)
        # (model_dump_json masks secrets: two SMTP URLs differing only in their password must not share a box)
        key = repr(sorted((name, _plain(getattr(settings, name))) for name in type(settings).model_fields))
        key += f"/{workers}"
        shared = self._boxes.get(key)
        if shared is None:
            self._made += 1
            box = make_box(self.template, self.root / f"box-{self._made}", workers, **overrides)
            shared = self._boxes[key] = _Shared(box, app_for(box))
        else:
            shared.box.reset()
        return shared

    def retire(self, shared: _Shared) -> None:
        """A test failed on this box: the next test of these settings gets a new one, whatever this one holds (a
        lock, a thread still running). Its connections are closed; it is not stopped, which could wait on them."""
        self._boxes = {key: other for key, other in self._boxes.items() if other is not shared}
        for box in (shared.box, *getattr(shared.box, "siblings", [])):
            if box.cluster is not None:
                box.cluster.stop()
            box.db.dispose()

    def stop(self) -> None:
        for shared in self._boxes.values():
            stop_box(shared.box)
        self._boxes.clear()


@pytest.fixture(scope="session")
def shared_boxes(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedBoxes]:
    boxes = SharedBoxes(template_dir, tmp_path_factory.mktemp("shared"))
    yield boxes
    boxes.stop()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


def _workers(request: pytest.FixtureRequest) -> int | None:
    """One worker for a test marked ``one_worker``: it looks inside its box (the statements one process runs, a
    setting it patches on one object, a process that dies while the others would go on)."""
    return 1 if request.node.get_closest_marker("one_worker") else None


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrise) to run the emulator with other settings."""
    return {}


@pytest.fixture
def client(
    request: pytest.FixtureRequest, shared_boxes: SharedBoxes, settings_overrides: dict[str, Any]
) -> Iterator[FFClient]:
    """The shared box of these settings, reset to its fixtures, with a new connection (no cookies from before).
    A test that stops, restarts or replaces its box, or looks at its data dir, takes ``fresh_client``."""
    shared = shared_boxes.get(settings_overrides, _workers(request))
    c = FFClient(shared.box, shared.app, owns_box=False)
    yield c
    c.close()
    if request.node.stash.get(_FAILED, False):
        shared_boxes.retire(shared)


@pytest.fixture
def fresh_client(
    request: pytest.FixtureRequest, template_dir: Path, tmp_path: Path, settings_overrides: dict[str, Any]
) -> Iterator[FFClient]:
    """A box of this test's own, on its own data dir (copied from the migrated template)."""
    c = FFClient(make_box(template_dir, tmp_path / "data", _workers(request), **settings_overrides))
    yield c
    c.close()


# -- assertions ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoxState:
    """What a box has written: every row of every table, and every stored document (relative path → SHA-256)."""

    rows: dict[str, list[tuple]]
    documents: dict[str, str]


def box_state(box: Box) -> BoxState:
    """Compare before and after a refused request to prove that nothing was written, neither in the database nor in
    the document store. Uploads in flight are not part of the state, nor is the name of the set of documents on disk
    (its ``.generation`` file and row: two boxes holding the same state have sets of different names)."""
    load_models()
    rows = {}
    with box.db.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name != "document_generation" and not table.info.get("shared"):  # (not state: the journal…)
                rows[table.name] = sorted(tuple(row) for row in session.execute(select(table)))
    root = box.store.root
    documents = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in box.store.files()}
    return BoxState(rows, documents)


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


# -- a real server on 127.0.0.1 (uvicorn in a thread), for what only a real connection shows ----------------------
def real_server(data_dir: Path, **settings: Any) -> EmulatorServer:
    """A real server (not started) on the suite's database (unless ``database_url`` says another): SQLite in
    ``data_dir``, or an empty PostgreSQL database of its own, which the server migrates and seeds."""
    if "database_url" not in settings and (database := backends.CURRENT.database_for(data_dir)):
        settings["database_url"] = database
    return EmulatorServer(data_dir, **settings)


@pytest.fixture(scope="module")
def server_settings() -> dict[str, Any]:
    """Override in a test module for another real server (a control token, say)."""
    return {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_settings: dict[str, Any]) -> Iterator[EmulatorServer]:
    """One real server per module, with the manual clock."""
    running = real_server(tmp_path_factory.mktemp("server"), **server_settings)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def box(server: EmulatorServer) -> Iterator[EmulatorHandle]:
    """The module's real server, reset to its fixtures, and a handle to drive it."""
    handle = server.handle()
    handle.reset()
    yield handle
    handle.close()
