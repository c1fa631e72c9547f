"""Documents the device links to: fax previews and cover-page templates (01-faxing §1.5)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emulator.catalogue import device
from emulator.db.work import UnitOfWork
from emulator.ffws.auth import Caller
from emulator.ffws.data import service
from emulator.ffws.http import CurrentCaller, Work, get_box
from emulator.wire import FFWSError

PDF = "application/pdf"


def pdf_response(path: Path) -> Response:
    return Response(path.read_bytes(), media_type=PDF)


def _preview_path(request: Request, caller: Caller, work: UnitOfWork, name: str) -> Path:
    return service.preview_path(get_box(request).preprocessor, work.session, caller, name)


@device.route("GET", "/data/preview/{name}")
async def view_preview(name: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """A fax entry as transmitted (PDF, cover page first): owner or admin."""
    path = await run_in_threadpool(_preview_path, request, caller, work, name)
    try:
        return await run_in_threadpool(pdf_response, path)
    except FileNotFoundError:  # evicted meanwhile to make room for another preview (a cache): rendered again
        path = await run_in_threadpool(_preview_path, request, caller, work, name)
        return await run_in_threadpool(pdf_response, path)


@device.route("GET", "/data/cover_pages/{name}")
def view_cover_page_file(name: str, request: Request, caller: CurrentCaller) -> Response:
    """A cover-page template (PDF)."""
    box = get_box(request)
    if name not in box.cover_page_names():
        raise FFWSError(404, "Cover page not found.")
    return pdf_response(box.cover_pages_dir / name)


@device.route("GET", "/data/inbound/{name}", provenance="reconstructed")
def view_received_fax(name: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """A received fax (PDF): an admin, or a user it was routed to."""
    box = get_box(request)
    fax = service.received_fax(work.session, caller, name)
    return pdf_response(box.inbound.document(fax.id))
