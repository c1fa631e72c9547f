"""The database the suite runs on: SQLite in each box's data dir (the default), or a real PostgreSQL server.

``pytest --database postgresql`` (or ``FFEMU_TEST_DATABASE=postgresql``) runs the suite against the server that
``FFEMU_TEST_POSTGRES_URL`` names (``.ci/run`` starts a throw-away one and sets it). Every box then gets a database
of its own on that server, made from a migrated and seeded template database (``CREATE DATABASE … TEMPLATE``, as a
SQLite box gets a copy of a template data dir), and every database this run made is dropped at its end.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = "FFEMU_TEST_POSTGRES_URL"
NO_SERVER = (
    f"no PostgreSQL server: {POSTGRES_URL} is unset (.ci/run starts one; or point it at a server where this user may "
    "create databases, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)"
)


class Backend:
    """SQLite: nothing to prepare, the box's data dir holds its database."""

    name = "sqlite"
    workers = 1  # boxes serving each test's box (tests/conftest.py make_box): several only on PostgreSQL

    def template_url(self) -> str | None:
        return None

    def new_database(self, copy_of_template: bool = True) -> str | None:  # noqa: ARG002 - same shape as Postgres
        return None

    def database_for(self, data_dir: Path) -> str | None:  # noqa: ARG002
        return None

    def close(self) -> None:
        pass


class Postgres(Backend):
    name = "postgresql"

    def __init__(self, server_url: str, worker: str) -> None:
        self.server = make_url(server_url)
        if self.server.drivername == "postgresql":
            self.server = self.server.set(drivername="postgresql+psycopg")
        # Databases of this run only: several runs (xdist workers, two checkouts) share one server.
        self.prefix = f"ffemu_{re.sub(r'[^a-z0-9]', '', worker.lower())}_{uuid.uuid4().hex[:8]}"
        self._admin = create_engine(self.server, isolation_level="AUTOCOMMIT", pool_size=1)
        self._count = itertools.count(1)
        self._by_dir: dict[Path, str] = {}
        self._made: list[str] = []

    def url_of(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self._made.append(name)
        return self.url_of(name)

    def template_url(self) -> str:
        return self._create(f"{self.prefix}_template")

    def new_database(self, copy_of_template: bool = True) -> str:
        template = f"{self.prefix}_template" if copy_of_template else None
        return self._create(f"{self.prefix}_{next(self._count)}", template)

    def database_for(self, data_dir: Path) -> str:
        """The database of a real server process on ``data_dir`` (empty at first: it migrates and seeds it, as it
        does a new data dir); the same one again when a test restarts the process on that dir."""
        key = data_dir.resolve()
        if key not in self._by_dir:
            self._by_dir[key] = self.new_database(copy_of_template=False)
        return self._by_dir[key]

    def close(self) -> None:
        from emulator.cluster import unlink_all

        unlink_all()  # the boxes a test left running: their links would see their databases dropped
        with self._admin.connect() as connection:
            for name in reversed(self._made):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def chosen(option: str | None) -> str:
    return (option or os.environ.get("FFEMU_TEST_DATABASE") or "sqlite").lower()


def workers(option: int | None) -> int:
    return option or int(os.environ.get("FFEMU_TEST_WORKERS") or 1)


def open_backend(name: str, worker: str, workers: int = 1) -> Backend:
    """The backend ``name``; raises LookupError naming what is missing when it cannot run here."""
    if name == "sqlite":
        if workers > 1:
            raise LookupError("several workers serve one box on PostgreSQL only (--database postgresql)")
        return Backend()
    if name != "postgresql":
        raise LookupError(f"unknown database {name!r}: sqlite or postgresql")
    url = os.environ.get(POSTGRES_URL)
    if not url:
        raise LookupError(NO_SERVER)
    backend = Postgres(url, worker)
    backend.workers = workers
    return backend


CURRENT: Backend = Backend()  # set by conftest at the start of the session
