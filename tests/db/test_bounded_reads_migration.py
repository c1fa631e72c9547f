"""Migration 0004 on a database that already holds faxes: each entry gets its fax's owner, a final entry without a
completion time gets its send time, nothing else changes, and no row is lost (SQLite rebuilding a table with foreign
keys on would cascade-delete the attempts). Downgrading gives 0003's schema back with the rows intact."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from emulator import paths
from emulator.db.engine import make_engine

T0 = datetime(2026, 1, 1, 9, 0, 0)
T1 = datetime(2026, 1, 1, 9, 5, 0)
FAX = {
    "created": T0, "agent": "FFWS", "cover_enabled": False, "cover_name": "", "subject": "", "comments": "",
    "sender_name": "", "sender_organization": "", "sender_phone_number": "", "sender_fax_number": "",
    "sender_email_address": "", "max_tries": 3, "priority": 3, "try_interval": 300, "receipt": "never",
    "receipt_attachment": "none", "document_pages": 1, "conversion_error": "",
}  # fmt: skip
ENTRY = {
    "recipient_name": "", "recipient_organization": "", "recipient_fax_number": "5550100",
    "recipient_phone_number": "", "schedule_message": "", "stime": T1, "try_number": 1, "pages": 1,
    "outcome": "sent", "due_at": None, "approver": "", "approval_time": None,
}  # fmt: skip
ATTEMPT = {
    "owner": "dave", "try_number": 1, "line_number": 1, "fax_number": "5550100", "start_time": T0,
    "connect_time": T0, "end_time": T1, "page_seconds": 30, "pages_planned": 1, "pages_sent": 1, "baud_rate": 14400,
    "remote_id": "", "result": "success", "result_message": "", "call_result": "fax", "finished": True,
}  # fmt: skip


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def insert(engine: Engine, table: str, **values: object) -> None:
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def indexes(engine: Engine, table: str) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes(table)}


def test_0004_copies_owners_and_completion_times_and_keeps_every_row(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'faxfinder.sqlite3'}")
    migrate(engine, "0003")
    insert(engine, "faxes", id=1, owner="dave", **FAX)
    insert(engine, "faxes", id=2, owner="erin", **FAX)
    insert(engine, "fax_entries", id=1, fax_id=1, number=0, state="sent", completed_at=None, **ENTRY)
    insert(engine, "fax_entries", id=2, fax_id=1, number=1, state="failed", completed_at=T0, **ENTRY)
    insert(engine, "fax_entries", id=3, fax_id=2, number=0, state="pending", completed_at=None, **ENTRY)
    insert(engine, "attempts", id=1, entry_id=1, **ATTEMPT)
    insert(engine, "attempts", id=2, entry_id=2, **ATTEMPT)

    migrate(engine, "0004")
    assert rows(engine, "SELECT id, owner, completed_at FROM fax_entries ORDER BY id") == [
        (1, "dave", str(T1)),  # final without a completion time: its send time, the key it was listed by
        (2, "dave", str(T0)),
        (3, "erin", None),  # not final: none
    ]
    assert rows(engine, "SELECT id, entry_id FROM attempts ORDER BY id") == [(1, 1), (2, 2)]
    assert "ix_fax_entries_owner_completed_key" in indexes(engine, "fax_entries")
    assert "ix_fax_entries_state" not in indexes(engine, "fax_entries")
    assert {"ix_attempts_entry_id_finished", "ix_attempts_finished_start_time"} <= indexes(engine, "attempts")

    migrate(engine, "0003", down=True)
    columns = {column["name"] for column in inspect(engine).get_columns("fax_entries")}
    assert "owner" not in columns
    assert {"ix_fax_entries_state", "ix_fax_entries_fax_id"} <= indexes(engine, "fax_entries")
    assert {"ix_attempts_entry_id", "ix_attempts_finished", "ix_attempts_owner"} <= indexes(engine, "attempts")
    assert rows(engine, "SELECT id, entry_id FROM attempts ORDER BY id") == [(1, 1), (2, 2)]
    assert len(rows(engine, "SELECT id FROM fax_entries")) == 3
    engine.dispose()
