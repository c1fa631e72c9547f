"""The request journal of a box served by several workers: one table every worker writes and reads, so an exchange
any worker served is seen through any other. Entries are kept as the in-memory journal keeps them (bodies redacted
when recorded), the last ``size`` of them."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, text

from emulator.cluster.models import JournalEntry
from emulator.db import Database
from emulator.journal import Journal

_BODIES = ("request_body", "response_body")
log = logging.getLogger("emulator.journal")


class SharedJournal(Journal):
    def __init__(self, db: Database, size: int, zone: ZoneInfo) -> None:
        super().__init__(size, zone)
        self._db = db
        self._size = size

    def record(self, entry: dict[str, Any]) -> None:
        """Keep the exchange; one the database cannot take (a full disk, the database gone) is lost with a warning,
        never the exchange itself."""
        if self._size == 0:
            return
        try:
            self._insert(entry)
        except Exception as exc:
            log.warning("journal: %s %s not kept (%s)", entry.get("method"), entry.get("path"), exc)

    def _insert(self, entry: dict[str, Any]) -> None:
        fields = {k: v for k, v in entry.items() if k not in _BODIES}
        fields["time"] = entry["time"].isoformat()
        with self._db.transaction() as session:
            new_id = session.execute(
                insert(JournalEntry).returning(JournalEntry.id),
                {
                    "entry": json.dumps(fields),
                    "request_body": entry.get("request_body", b""),
                    "response_body": entry.get("response_body", b""),
                },
            ).scalar_one()
            session.execute(delete(JournalEntry).where(JournalEntry.id <= new_id - self._size))
        entry["id"] = new_id

    def _snapshot(self) -> list[dict[str, Any]]:
        with self._db.read() as session:
            rows = session.execute(select(JournalEntry.id, JournalEntry.entry).order_by(JournalEntry.id)).all()
        return [_light(row.id, row.entry) for row in rows]

    def _loaded(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not entries:
            return entries
        ids = [e["id"] for e in entries]
        with self._db.read() as session:
            rows = session.execute(
                select(JournalEntry.id, JournalEntry.request_body, JournalEntry.response_body).where(
                    JournalEntry.id.in_(ids)
                )
            ).all()
        bodies = {row.id: (bytes(row.request_body), bytes(row.response_body)) for row in rows}
        loaded = []
        for e in entries:
            if e["id"] in bodies:  # (cleared, or pushed out of the ring, meanwhile: left out)
                request_body, response_body = bodies[e["id"]]
                loaded.append({**e, "request_body": request_body, "response_body": response_body})
        return loaded

    def clear(self) -> None:
        with self._db.transaction() as session:
            session.execute(delete(JournalEntry))
            if session.get_bind().dialect.name == "postgresql":  # ids start again at 1, as in memory
                session.execute(text("ALTER SEQUENCE cluster_journal_id_seq RESTART WITH 1"))


def _light(entry_id: int, data: str) -> dict[str, Any]:
    entry = json.loads(data)
    entry["id"] = entry_id
    entry["time"] = datetime.fromisoformat(entry["time"])
    return entry
