"""The database: one engine, short transactions, SQLite tuned for a concurrent server (WAL, busy timeout, FKs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, Table, create_engine, delete, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from emulator.paths import private_dir

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-16000")  # 16 MiB a connection: counting a long log stays in memory
    cursor.close()


def _sqlite_begin(conn) -> None:  # noqa: ANN001
    # Writers take the write lock at BEGIN: two of them then queue on the busy timeout instead of one failing with
    # "database is locked" when it upgrades a read transaction. Readers begin deferred and never wait in WAL mode.
    deferred = conn.get_execution_options().get("read_only", False)
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


class TextWithNul(ValueError):
    """A value on its way to the database holds a NUL character: PostgreSQL cannot store one in text, and so that a
    box answers the same on either database, neither stores it (a 400 for the request that sent it)."""


def _refuse_nul(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
    if _holds_nul(parameters):
        raise TextWithNul("a value holds a NUL character")


def _holds_nul(parameters: object) -> bool:
    """Whether a statement's parameters (a row, or rows of an executemany; a mapping or a sequence) hold a NUL."""
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, dict):
        parameters = parameters.values()
    elif not isinstance(parameters, list | tuple):
        return False
    return any(_holds_nul(value) for value in parameters)


def make_engine(url: str) -> Engine:
    engine = _make_engine(url)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_dir(Path(path).parent)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (pysqlite's legacy mode defers BEGIN).
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection, record) -> None:  # noqa: ANN001
    dbapi_connection.isolation_level = None
    _sqlite_pragmas(dbapi_connection, record)


LOCK_SPACE = 0x46415846  # "FAXF": the first key of every advisory lock of ours (emulator.cluster)
WRITER_LOCK = {"space": LOCK_SPACE, "key": 1}


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.postgres = self.engine.dialect.name == "postgresql"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(read_only=True), expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed if the block succeeds, rolled back entirely otherwise."""
        with self._sessions() as session, session.begin():
            yield session

    def begin(self, *, write: bool) -> Session:
        """A session with its transaction begun (a writer's takes SQLite's write lock at once, or PostgreSQL's
        advisory lock of the box's writers: workers serving one box write one at a time); the caller commits or
        rolls back and closes it. Units of work use this; short internal jobs use ``transaction``/``read``."""
        session = (self._sessions if write else self._readers)()
        try:
            session.begin()
            if write and self.postgres:
                session.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), WRITER_LOCK)
        except BaseException:
            session.close()
            raise
        return session

    @contextmanager
    def exclusive(self, key: int) -> Iterator[None]:
        """On PostgreSQL, one holder at a time among every process using this database (an advisory lock of the
        session, ``key`` in our namespace); elsewhere nothing to do: one process owns a SQLite file."""
        if not self.postgres:
            yield
            return
        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:space, :key)"), {"space": LOCK_SPACE, "key": key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:space, :key)"), {"space": LOCK_SPACE, "key": key})
                connection.commit()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (never blocks on, or blocks, a writer under SQLite WAL)."""
        with self._readers() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def sync_sequences(session: Session, tables: list[Table]) -> None:
    """After rows were written with their own IDs (a reset's fixtures, an import): PostgreSQL's ID sequences move
    past the highest ID of each table, as SQLite's autoincrement does by itself."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name, column in _serial_keys(tables):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column}'), "
                f'COALESCE((SELECT MAX("{column}") FROM "{name}"), 0) + 1, false) '
                f"WHERE pg_get_serial_sequence('\"{name}\"', '{column}') IS NOT NULL"
            )
        )


def _serial_keys(tables: list[Table]) -> Iterator[tuple[str, str]]:
    """(table, column) of every table whose key is one integer the database numbers."""
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and key[0].autoincrement and key[0].type.python_type is int:
            yield table.name, key[0].name


def wipe(session: Session, tables: list[Table]) -> None:
    """Delete every row of ``tables`` (given parents first) and restart their ID sequences, as on a new box. Rows
    are deleted, never truncated: PostgreSQL's TRUNCATE takes each table's exclusive lock one after the other, and
    deadlocks with a reader (the box's background tasks take no lock of the queue's) that holds one of them and goes
    on to read another; a DELETE lets readers see what was there until the commit."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        for name, column in _serial_keys(tables):
            found = text("SELECT pg_get_serial_sequence(:table, :column)")
            sequence = session.execute(found, {"table": f'"{name}"', "column": column}).scalar()
            if sequence:  # (ALTER SEQUENCE is undone with the transaction; setval would not be)
                session.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
    for table in reversed(tables):
        session.execute(delete(table))
    if dialect == "sqlite" and inspect(session.connection()).has_table("sqlite_sequence"):
        session.execute(text("DELETE FROM sqlite_sequence"))
