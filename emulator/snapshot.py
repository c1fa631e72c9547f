"""State snapshots: every persistent thing of a box as one JSON document, and back.

The document holds every table's rows (in dependency order, each sorted by primary key), every stored document
(base64) and the clock; not the journal, not the faults (14-emulator-decisions). Export → import → export gives the
same document.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Table, insert, select

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
    with box.queue.lock, box.db.read() as session:
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


def import_state(box: Box, data: Any) -> None:
    """Replace the whole state of the box with the snapshot (all or nothing for the database)."""
    _check(data, box)
    clock = data.get("clock") or {}
    try:
        now = parse_time(str(clock.get("now", ""))[:19])
        with box.queue.lock:
            with box.db.transaction() as session:
                box.wipe(session)
                for table in _tables():
                    rows = [_row(table, r) for r in data["tables"].get(table.name, [])]
                    if rows:
                        session.execute(insert(table), rows)
            box.store.clear()
            for name, encoded in data["documents"].items():
                target = (box.store.root / name).resolve()
                if box.store.root.resolve() not in target.parents:
                    raise SnapshotError(f"document path outside the store: {name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(encoded))
            box.auth.clear()
            box.clock.reset(
                manual=bool(clock.get("manual", True)), time_scale=float(clock.get("time_scale", 20)), start=now
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"invalid snapshot: {exc}") from None
    box.runner.nudge()
