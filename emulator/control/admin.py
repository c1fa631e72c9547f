"""Reset, snapshots and the request journal."""

from __future__ import annotations

from typing import Any

from fastapi import Body, Query
from starlette.concurrency import run_in_threadpool

from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.journal import LIST_LIMIT
from emulator.snapshot import SnapshotError, export_state, import_state


@control.route("POST", "/reset")
async def reset(box: ControlBox) -> dict:
    """All state back to the fixtures and the clock back to its start (faxes, logs, users, faults, journal…)."""
    await run_in_threadpool(box.reset)
    return {"status": "reset"}


@control.route("GET", "/state/export")
async def export_snapshot(box: ControlBox) -> dict:
    """Every persistent thing (tables, documents, clock) as one JSON document."""
    return await run_in_threadpool(export_state, box)


@control.route("POST", "/state/import")
async def import_snapshot(box: ControlBox, snapshot: dict[str, Any] = Body(...)) -> dict:  # noqa: B008
    """Replace the whole state with an exported snapshot."""
    try:
        await run_in_threadpool(import_state, box, snapshot)
    except SnapshotError as exc:
        raise ControlError(400, str(exc)) from None
    return {"status": "imported"}


@control.route("GET", "/journal")
def view_journal(
    box: ControlBox,
    limit: int | None = Query(  # noqa: B008
        None, ge=1, description=f"how many entries (default and most: {LIST_LIMIT}; more is read as {LIST_LIMIT})"
    ),
    method: str | None = None,
    path: str | None = Query(None, description="glob, e.g. /ffws/v1/ofax*"),  # noqa: B008
    status: int | None = None,
    before: int | None = Query(  # noqa: B008
        None, ge=1, description="only entries older than this id: the next_before of the previous page"
    ),
) -> dict:
    """The last /ffws/v1 exchanges (oldest first), filtered by method, path glob and status, in pages."""
    return box.journal.page(limit, method, path, status, before)


@control.route("GET", "/journal/{entry_id}", errors=(404,))
def view_journal_entry(entry_id: int, box: ControlBox) -> dict:
    """One recorded exchange with its bodies whole (as kept: the first 256 KiB of each)."""
    entry = box.journal.entry(entry_id)
    if entry is None:
        raise ControlError(404, f"no journal entry {entry_id} (never recorded, cleared, or no longer kept)")
    return entry


@control.route("DELETE", "/journal")
def clear_journal(box: ControlBox) -> dict:
    """Forget every recorded exchange."""
    box.journal.clear()
    return {"status": "cleared"}
