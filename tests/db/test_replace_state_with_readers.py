"""A reset (or an import) while the box's background tasks read: readers take no lock of the queue's, so the
replacement must never wait on them in a way they can wait on in turn. On PostgreSQL a TRUNCATE of every table took
each table's exclusive lock one after the other: a reader that held one table and then read another that the
TRUNCATE already held deadlocked with it, and the reset failed."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from emulator.device.models import Fax
from emulator.mail.models import Mail
from tests import backends


def _waiting_locks(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            waiting = "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            waiting += "WHERE NOT l.granted AND d.datname = current_database()"  # (this box's database only)
            return connection.execute(text(waiting)).scalar_one()
    finally:
        engine.dispose()


def test_a_reset_while_a_reader_reads_table_after_table(fresh_client):
    if backends.CURRENT.name != "postgresql":
        pytest.skip("PostgreSQL's table locks: under SQLite a reader sees its snapshot (WAL) and takes no lock")
    box = fresh_client.box
    outcome: list[BaseException | None] = []

    def reset() -> None:
        try:
            box.reset()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    with box.db.read() as reader:
        reader.execute(select(Mail.id)).all()  # this transaction holds the mail queue (as the mail task does)
        resetting = threading.Thread(target=reset)
        resetting.start()
        deadline = time.monotonic() + 10
        while not outcome and not _waiting_locks(box.settings.effective_database_url) and time.monotonic() < deadline:
            time.sleep(0.01)  # until the reset is done, or waits for this reader
        reader.execute(select(Fax.id)).all()  # then another table: what the reset may hold
    resetting.join(timeout=30)
    assert outcome == [None]
