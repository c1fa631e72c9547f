"""Reset, snapshots and the request journal."""

from __future__ import annotations

from typing import Any

from fastapi import Body, Query
from starlette.concurrency import run_in_threadpool

from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
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
    limit: int | None = Query(None, ge=1),  # noqa: B008
    method: str | None = None,
    path: str | None = Query(None, description="glob, e.g. /ffws/v1/ofax*"),  # noqa: B008
    status: int | None = None,
) -> dict:
    """The last /ffws/v1 exchanges (oldest first), filtered by method, path glob and status."""
    return {"entries": box.journal.entries(limit, method, path, status)}


@control.route("DELETE", "/journal")
def clear_journal(box: ControlBox) -> dict:
    """Forget every recorded exchange."""
    box.journal.clear()
    return {"status": "cleared"}
