"""Documents the device links to: fax previews and cover-page templates (01-faxing §1.5)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emulator.catalogue import device
from emulator.ffws.auth import Caller
from emulator.ffws.fields import parse_id
from emulator.ffws.http import CurrentCaller, get_box
from emulator.ffws.ofax.service import parse_key
from emulator.wire import FFWSError

PDF = "application/pdf"


def pdf_response(path: Path) -> Response:
    return Response(path.read_bytes(), media_type=PDF)


def _preview_path(request: Request, caller: Caller, name: str) -> Path:
    from emulator.device.models import Fax

    box = get_box(request)
    keys = name[:-4] if name.lower().endswith(".pdf") else ""
    faxkey, _, entrykey = keys.partition("-")
    fax_id, number = parse_key(faxkey, 8), parse_key(entrykey, 4)
    with box.db.read() as session:
        fax = session.get(Fax, fax_id) if fax_id is not None else None
        entry = next((e for e in fax.entries if e.number == number), None) if fax else None
        if entry is None:
            raise FFWSError(404, "Preview not found.")
        if not (caller.is_admin or fax.owner == caller.username):
            raise FFWSError(403, "Authenticated user does not have permission to view this fax.")
        path = box.preprocessor.preview(entry)
    if path is None:
        raise FFWSError(404, "Preview not available: the fax has not been converted.")
    return path


@device.route("GET", "/data/preview/{name}")
async def view_preview(name: str, request: Request, caller: CurrentCaller) -> Response:
    """A fax entry as transmitted (PDF, cover page first): owner or admin."""
    path = await run_in_threadpool(_preview_path, request, caller, name)
    return await run_in_threadpool(pdf_response, path)


@device.route("GET", "/data/cover_pages/{name}")
def view_cover_page_file(name: str, request: Request, caller: CurrentCaller) -> Response:
    """A cover-page template (PDF)."""
    box = get_box(request)
    if name not in box.cover_page_names():
        raise FFWSError(404, "Cover page not found.")
    return pdf_response(box.cover_pages_dir / name)


@device.route("GET", "/data/inbound/{name}", provenance="reconstructed")
def view_received_fax(name: str, request: Request, caller: CurrentCaller) -> Response:
    """A received fax (PDF): an admin, or a user it was routed to."""
    from emulator.device.inbound import InboundFax

    box = get_box(request)
    raw = name[:-4] if name.lower().endswith(".pdf") else ""
    with box.db.read() as session:
        fax_id = parse_id(raw)
        fax = session.get(InboundFax, fax_id) if fax_id is not None else None
        if fax is None or not fax.finished or not fax.has_document:
            raise FFWSError(404, "Received fax not found.")
        if not (caller.is_admin or caller.username in fax.recipient.split(",")):
            raise FFWSError(403, "Authenticated user does not have permission to view this fax.")
    return pdf_response(box.inbound.document(fax.id))
