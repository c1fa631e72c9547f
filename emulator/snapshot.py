"""State snapshots: every persistent thing of a box as one JSON document, and back.

The document holds every table's rows (in dependency order, each sorted by primary key), every stored document
(base64) and the clock; not the journal, not the faults (14-emulator-decisions). Export → import → export gives the
same document.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Table, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from emulator.clock import EARLIEST, LATEST, in_range
from emulator.db import Base
from emulator.db.models import load_models
from emulator.wire.times import parse_time

if TYPE_CHECKING:
    from emulator.box import Box

FORMAT = 1


class SnapshotError(ValueError):
    pass


def _tables() -> list[Table]:
    load_models()
    return list(Base.metadata.sorted_tables)


def _out(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_state(box: Box) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with box.work() as work:  # a writer's unit: no step, schedule or reset changes anything while it is read
        session = work.session
        for table in _tables():
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            tables[table.name] = [{key: _out(value) for key, value in row.items()} for row in rows]
        files = sorted(p for p in box.store.root.rglob("*") if p.is_file() and "incoming" not in p.parts)
        docs = {p.relative_to(box.store.root).as_posix(): base64.b64encode(p.read_bytes()).decode() for p in files}
    clock = {"manual": box.clock.manual, "time_scale": box.clock.time_scale, "now": box.clock.now().isoformat()}
    return {"format": FORMAT, "model": box.settings.model, "clock": clock, "tables": tables, "documents": docs}


def _row(table: Table, record: dict[str, Any]) -> dict[str, Any]:
    row = {}
    for column in table.columns:
        if column.name not in record:
            continue
        value = record[column.name]
        if isinstance(column.type, DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        row[column.name] = value
    return row


def _check(data: Any, box: Box) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"not a snapshot of format {FORMAT}")
    if data.get("model") != box.settings.model:
        raise SnapshotError(f"snapshot of a {data.get('model')}, this box is a {box.settings.model}")
    if not isinstance(data.get("tables"), dict) or not isinstance(data.get("documents"), dict):
        raise SnapshotError("snapshot needs tables and documents")
    if not isinstance(data.get("clock", {}), dict):
        raise SnapshotError("invalid snapshot: clock must be an object")
    for name, rows in data["tables"].items():
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise SnapshotError(f"invalid snapshot: table {name} must be a list of rows")


def _documents(box: Box, documents: dict[str, Any]) -> dict[Path, bytes]:
    """Every document decoded and placed inside the store, before anything is written."""
    root = box.store.root.resolve()
    decoded = {}
    for name, encoded in documents.items():
        target = (root / name).resolve()
        if root not in target.parents:
            raise SnapshotError(f"invalid snapshot: document path outside the store: {name}")
        try:
            decoded[target] = base64.b64decode(encoded, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise SnapshotError(f"invalid snapshot: document {name} is not valid base64") from None
    return decoded


def import_state(box: Box, data: Any) -> None:
    """Replace the whole state of the box with the snapshot: everything is checked and decoded first, the database
    is replaced in one transaction, and only then are the documents and the clock replaced."""
    _check(data, box)
    clock = data.get("clock") or {}
    try:
        now = parse_time(str(clock.get("now", ""))[:19])
        manual, time_scale = bool(clock.get("manual", True)), float(clock.get("time_scale", 20))
    except (TypeError, ValueError) as exc:
        raise SnapshotError(f"invalid snapshot: clock: {exc}") from None
    if not 0 < time_scale <= 100000:
        raise SnapshotError(f"invalid snapshot: clock: time_scale {time_scale} out of range")
    if not in_range(now):
        raise SnapshotError(
            f"invalid snapshot: clock: {now.isoformat()} outside {EARLIEST.isoformat()} .. {LATEST.isoformat()}"
        )
    documents = _documents(box, data["documents"])
    try:
        box.replace_state(
            "import",
            lambda session: _insert_rows(session, data["tables"]),
            lambda: _replace_documents(box, documents, manual, time_scale, now),
        )
    except (KeyError, TypeError, ValueError, AttributeError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise SnapshotError(f"invalid snapshot: {reason}") from None


def _insert_rows(session: Session, tables: dict[str, Any]) -> None:
    for table in _tables():
        rows = [_row(table, r) for r in tables.get(table.name, [])]
        if rows:
            session.execute(insert(table), rows)
    session.flush()


def _replace_documents(box: Box, documents: dict[Path, bytes], manual: bool, time_scale: float, now: datetime) -> None:
    box.store.clear()
    for target, content in documents.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    box.clock.reset(manual=manual, time_scale=time_scale, start=now)
