"""Reset, snapshots and the request journal."""

from __future__ import annotations

from pathlib import Path

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from emulator.box import StateIncomplete
from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.control.gate import SNAPSHOT_CAP, too_large
from emulator.journal import LIST_LIMIT
from emulator.snapshot import SnapshotError, export_state, import_state

# The body is read by the route (streamed), so its shape is documented here rather than by a parameter.
SNAPSHOT_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object", "description": "a snapshot, as exported"}}},
}


@control.route("POST", "/reset", errors=(503,))
async def reset(box: ControlBox) -> dict:
    """All state back to the fixtures and the clock back to its start (faxes, logs, users, faults, journal…)."""
    try:
        await run_in_threadpool(box.reset)
    except StateIncomplete as exc:
        raise ControlError(503, str(exc)) from None
    return {"status": "reset"}


@control.route("GET", "/state/export")
async def export_snapshot(box: ControlBox) -> dict:
    """Every persistent thing (tables, documents, clock) as one JSON document."""
    await run_in_threadpool(box.mail.settle)  # the queued mails with their messages, not only their rows
    return await run_in_threadpool(export_state, box)


@control.route("POST", "/state/import", errors=(503,), body=SNAPSHOT_BODY)
async def import_snapshot(request: Request, box: ControlBox) -> dict:
    """Replace the whole state with an exported snapshot (streamed: spooled to disk, then read one document at a
    time)."""
    spool = box.store.incoming_file()
    try:
        if not await _spool_body(request, spool, box.settings.snapshot_max_body):
            raise ControlError(400, "invalid body: a JSON document is required")
        with spool.open("rb") as source:
            await run_in_threadpool(import_state, box, source)
    except SnapshotError as exc:
        raise ControlError(400, str(exc)) from None
    except StateIncomplete as exc:
        raise ControlError(503, str(exc)) from None
    finally:
        spool.unlink(missing_ok=True)
    return {"status": "imported"}


async def _spool_body(request: Request, spool: Path, limit: int) -> int:
    """The request body written to ``spool`` as it arrives (its size); 413 as soon as it passes ``limit``."""
    size = 0
    try:
        with spool.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ControlError(413, too_large(limit, SNAPSHOT_CAP), headers={"connection": "close"})
                out.write(chunk)
    except ClientDisconnect:
        raise ControlError(400, "invalid body: the client went away before sending it all") from None
    return size


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
    warned: bool | None = Query(  # noqa: B008
        None, description="true: only exchanges with warnings (client mistakes the box tolerated); false: without"
    ),
) -> dict:
    """The last /ffws/v1 exchanges (oldest first), filtered by method, path glob, status and warnings, in pages."""
    return box.journal.page(limit, method, path, status, before, warned=warned)


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
