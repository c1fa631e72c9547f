"""State snapshots: every persistent thing of a box as one JSON document, and back.

The document holds every table's rows (in dependency order, each sorted by primary key), every stored document
(base64) and the clock; not the journal, not the faults (14-emulator-decisions). Export → import → export gives the
same document.

An import is read as a stream (ijson) from the body spooled to disk: each document is decoded and written into a
staged set of documents as it comes, so memory holds one document and the tables, never the whole snapshot. Nothing
of the box is touched until everything is read and checked; then the rows are replaced in one transaction that
names the staged set, which takes the place of the old one right after the commit (``Box.replace_state``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

import ijson
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from emulator.clock import EARLIEST, LATEST, in_range
from emulator.db.models import state_tables
from emulator.device.config import SECRET_SETTINGS, hash_plain_secret
from emulator.device.models import DocumentGeneration
from emulator.device.quota import disk_full
from emulator.device.store import Staging
from emulator.documents.errors import DISK_FULL_ERRNOS
from emulator.wire.times import parse_time

if TYPE_CHECKING:
    from emulator.box import Box

FORMAT = 1
# Bookkeeping of this box's own files, not state: it names the set of documents on this disk.
_NOT_STATE = frozenset({DocumentGeneration.__tablename__})


class SnapshotError(ValueError):
    pass


def _tables() -> list[Table]:
    return [table for table in state_tables() if table.name not in _NOT_STATE]


def _out(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_state(box: Box) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with box.work() as work:  # a writer's unit: no step, schedule or reset changes anything while it is read
        session = work.session
        for table in _tables():
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            tables[table.name] = [{key: _out(value) for key, value in row.items()} for row in rows]
        root = box.store.root
        docs = {p.relative_to(root).as_posix(): base64.b64encode(p.read_bytes()).decode() for p in box.store.files()}
    clock = {"manual": box.clock.manual, "time_scale": box.clock.time_scale, "now": box.clock.now().isoformat()}
    return {"format": FORMAT, "model": box.settings.model, "clock": clock, "tables": tables, "documents": docs}


def _row(table: Table, record: dict[str, Any], number: int) -> dict[str, Any]:
    """A snapshot's row as its table takes it, checked here rather than by the database, so that a bad one is refused
    in the same words on SQLite and PostgreSQL: the values given first, then the columns that must be given."""
    row = {
        name: None if value is None else _value(table.columns[name], value, f"{table.name} row {number}: {name}")
        for name, value in record.items()
        if name in table.columns
    }
    for column in table.columns:
        if row.get(column.name) is None and not (
            column.nullable or column.primary_key or column.default or column.server_default
        ):
            raise SnapshotError(f"invalid snapshot: {table.name} row {number}: {column.name} is missing")
    return row


def _value(column: Any, value: Any, where: str) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind is datetime:
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise SnapshotError(f"invalid snapshot: {where}: not a time ({value!r})") from None
    expected = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}.get(kind)
    if expected and (not isinstance(value, expected) or (kind is not bool and isinstance(value, bool))):
        raise SnapshotError(f"invalid snapshot: {where}: not {_KIND_WORDS[kind]} ({value!r})")
    if kind is str:
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise SnapshotError(f"invalid snapshot: {where}: longer than {length} characters")
        if "\x00" in value:
            raise SnapshotError(f"invalid snapshot: {where}: holds a NUL character")
    return value


_KIND_WORDS = {bool: "true or false", int: "an integer", float: "a number", str: "a text"}


def _check(data: Any, box: Box) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"not a snapshot of format {FORMAT}")
    if data.get("model") != box.settings.model:
        raise SnapshotError(f"snapshot of a {data.get('model')}, this box is a {box.settings.model}")
    if not isinstance(data.get("tables"), dict) or not data.get("documents"):
        raise SnapshotError("snapshot needs tables and documents")
    if not isinstance(data.get("clock", {}), dict):
        raise SnapshotError("invalid snapshot: clock must be an object")
    for name, rows in data["tables"].items():
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise SnapshotError(f"invalid snapshot: table {name} must be a list of rows")


class _Reader:
    """One pass over the snapshot's JSON events: ``documents`` decoded into the staged set as they come, every other
    top-level member built as a value (the tables, the clock: small beside the documents)."""

    def __init__(self, staging: Staging) -> None:
        self.staging = staging
        self.top: dict[str, Any] = {}

    def read(self, source: IO[bytes]) -> dict[str, Any]:
        # basic_parse: the prefixed events of ijson.parse cost memory with the square of the nesting depth.
        events = ijson.basic_parse(source, use_float=True)
        try:
            first = next(events, None)
            if first is None or first[0] != "start_map":
                raise SnapshotError("invalid body: a snapshot is a JSON object")
            for event, key in events:
                if event == "end_map":
                    break
                if key == "documents":
                    self._documents(events)
                else:
                    self.top[key] = _build(events)
            if next(events, None) is not None:
                raise SnapshotError("invalid body: not valid JSON")
        except ijson.JSONError as exc:
            raise SnapshotError(f"invalid body: not valid JSON ({exc})") from None
        return self.top

    def _documents(self, events: Any) -> None:
        event, _value = next(events)
        if event != "start_map":
            _build(events, event, _value)  # (checked for depth, then dropped)
            self.top["documents"] = None  # refused by the check
            return
        self.top["documents"] = True
        for event, name in events:
            if event == "end_map":
                return
            kind, encoded = next(events)
            target = self.staging.path(name)
            if target is None:
                raise SnapshotError(f"invalid snapshot: document path outside the store: {name} (not a name it keeps)")
            if kind != "string":
                _build(events, kind, encoded)
                raise SnapshotError(f"invalid snapshot: document {name} is not valid base64")
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise SnapshotError(f"invalid snapshot: document {name} is not valid base64") from None
            del encoded
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            except OSError as exc:
                if exc.errno in DISK_FULL_ERRNOS:
                    raise  # the box's trouble, answered as a full disk
                raise SnapshotError(f"invalid snapshot: document {name}: {exc.strerror or exc}") from None


MAX_DEPTH = 64  # a snapshot's values nest four deep (tables, a table, a row, a value): far beyond is an attack


def _build(events: Any, *first: Any) -> Any:
    """The value that starts with the next event (or with ``first``, an event already read), whole."""
    builder = ijson.ObjectBuilder()
    depth = 0
    for event, value in itertools.chain([tuple(first)] if first else [], events):
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise SnapshotError(f"invalid snapshot: values nest deeper than {MAX_DEPTH} levels")
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return builder.value
    raise SnapshotError("invalid body: not valid JSON (it ends too soon)")


def _clock(data: dict[str, Any]) -> tuple[bool, float, datetime]:
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
    return manual, time_scale, now


def import_state(box: Box, source: IO[bytes]) -> None:
    """Replace the whole state of the box with the snapshot read from ``source`` (JSON). Everything is read, decoded
    and checked first, the documents into a staged set; then the rows are replaced in one transaction and the
    staged set swapped in after its commit. A refused snapshot changes nothing."""
    staging = box.store.stage()
    try:
        data = _Reader(staging).read(source)
        _check(data, box)
        manual, time_scale, now = _clock(data)
        tables = _checked_settings(data["tables"], box.auth.passwords.hash)  # Argon2, before the lock is taken
    except BaseException:
        staging.discard()
        raise
    box.replace_state(
        "import",
        lambda session: _insert_rows(session, tables),
        staging,
        lambda: box.clock.reset(manual=manual, time_scale=time_scale, start=now),
    )


def _checked_settings(tables: dict[str, Any], hash_password: Callable[[str], str]) -> dict[str, Any]:
    """Each device setting must be a JSON object (the box reads them at every step). A snapshot exported before the
    SIP and T.37 passwords were hashed holds them in plain text: they are stored hashed, as the box stores them."""
    rows = tables.get("device_settings")
    if not isinstance(rows, list):
        return tables
    checked = []
    for row in rows:
        name, value = (row.get("name"), row.get("value")) if isinstance(row, dict) else (None, None)
        try:
            parsed = json.loads(value) if isinstance(value, str) else None
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(name, str) or not isinstance(parsed, dict):
            raise SnapshotError(f"invalid snapshot: device setting {name}: its value must be a JSON object")
        if name in SECRET_SETTINGS:
            row = {**row, "value": hash_plain_secret(value, hash_password)}
        checked.append(row)
    return {**tables, "device_settings": checked}


def _insert_rows(session: Session, tables: dict[str, Any]) -> None:
    """The snapshot's rows, in the transaction that replaces the state: a row the database refuses refuses the
    snapshot (400), a full disk stays what it is (503)."""
    try:
        for table in _tables():
            rows = [_row(table, r, n) for n, r in enumerate(tables.get(table.name, []), start=1)]
            if rows:
                session.execute(insert(table), rows)
        session.flush()
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, SQLAlchemyError) as exc:
        if disk_full(exc):
            raise
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise SnapshotError(f"invalid snapshot: {reason}") from None
