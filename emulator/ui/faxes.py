"""Fax Status, a fax's pages, Send Fax and Status & Logs: the pages of sending and receiving."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.device import models as m
from emulator.device.inbound import InboundFax
from emulator.device.quota import NotEnoughStorage
from emulator.device.store import preview_name
from emulator.documents.errors import ConversionError
from emulator.ffws.auth import Caller
from emulator.ffws.data import service as data
from emulator.ffws.http import Work, get_box, limiter
from emulator.ffws.logs import service as logs
from emulator.ffws.ofax import service as ofax
from emulator.ui.render import page
from emulator.ui.routing import back_to, router
from emulator.ui.session import Form, UiCaller
from emulator.wire import FFWSError

RECENT = 10  # finished entries and received faxes on Fax Status
LOG_PAGE = 50


# -- Fax Status -------------------------------------------------------------------------------------------------
OPEN_SHOWN = 100  # faxes not final yet on Fax Status, the first by key (a queue of thousands is not one page)


def _lines(request: Request, caller: Caller, session: Session) -> dict:
    lines = []
    for state in get_box(request).line_states(session):
        line = {"number": state.number, "state": state.state, "direction": state.direction, "page": state.page}
        line.update(pages=state.pages, baud_rate=state.baud_rate, busy=state.busy)
        # A user sees that a line is busy; whom it calls is for administrators.
        line.update(
            fax_number=state.fax_number if caller.is_admin else "", remote_id=state.remote_id if caller.is_admin else ""
        )
        lines.append(line)
    return {"lines": lines}


def _outbound(request: Request, caller: Caller, session: Session) -> dict:
    """The first OPEN_SHOWN faxes not final yet (and whether there are more), then the RECENT last finished."""
    by_key = lambda e: (e.fax_id, e.number)  # noqa: E731
    waiting = ofax.first_entries(session, caller, "pending", OPEN_SHOWN + 1)
    waiting = sorted(waiting + ofax.first_entries(session, caller, "sending", OPEN_SHOWN + 1), key=by_key)
    finished = ofax.list_entries(session, caller, all_users=True, klass="complete", complete_limit=RECENT)
    entries = sorted(waiting[:OPEN_SHOWN] + finished, key=by_key)
    return {
        "entries": entries,
        "more_open": len(waiting) > OPEN_SHOWN,
        "open_shown": OPEN_SHOWN,
        "final": m.FINAL_STATES,
    }


def _inbound(request: Request, caller: Caller, session: Session) -> dict:
    receiving = logs.receiving(session, caller)
    received = logs.records(session, caller, "inbound", logs.LogQuery(RECENT, 0, True))
    return {"inbound": {"receiving": receiving, "received": received}}


# The sections of Fax Status: each its template and what it shows (a live page fetches one when it changed).
SECTIONS = {
    "lines": ("_lines.html", _lines),
    "outbound": ("_outbound.html", _outbound),
    "inbound": ("_inbound.html", _inbound),
}


@router.get("/")
def home(request: Request, caller: UiCaller) -> Response:
    return back_to(request, "/fax-status")


@router.get("/fax-status")
def fax_status(request: Request, caller: UiCaller, work: Work) -> Response:
    shown = {}
    for _template, build in SECTIONS.values():
        shown.update(build(request, caller, work.session))
    return page(request, "fax_status.html", **shown)


@router.get("/fragments/{name}")
def fragment(name: str, request: Request, caller: UiCaller, work: Work) -> Response:
    """One section of Fax Status, for the live page to swap in when the box tells it something changed: only that
    section is read."""
    if name not in SECTIONS:
        raise FFWSError(404, "Not Found")
    template, build = SECTIONS[name]
    return page(request, template, **build(request, caller, work.session))


def _entry_name(faxkey: str, entrykey: str) -> str:
    return f"{faxkey}-{entrykey}.pdf"


@router.post("/faxes/{faxkey}/{entrykey}/abort")
def abort(faxkey: str, entrykey: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    box = get_box(request)
    ofax.abort_entries(work, caller, box.queue, faxkey, entrykey, box.clock.now)
    return back_to(request, "/fax-status", f"Fax {faxkey}/{entrykey} aborted.")


@router.post("/faxes/{faxkey}/{entrykey}/send-now")
def send_now(faxkey: str, entrykey: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    box = get_box(request)
    ofax.reschedule_entries(work, caller, box.queue, faxkey, entrykey, None, box.clock.now)
    return back_to(request, "/fax-status", f"Fax {faxkey}/{entrykey} will be sent now.")


# -- one fax: its pages ------------------------------------------------------------------------------------------
THUMBNAILS_AT_ONCE = 2  # threads of the shared pool waiting for a thumbnail's worker, at most


def _preview(request: Request, caller: Caller, work: UnitOfWork, faxkey: str, entrykey: str) -> tuple[Path, int]:
    return data.preview_of(get_box(request).preprocessor, work.session, caller, _entry_name(faxkey, entrykey))


@router.get("/faxes/{faxkey}/{entrykey}")
async def fax_entry(faxkey: str, entrykey: str, request: Request, caller: UiCaller, work: Work) -> Response:
    entries = ofax.visible_entries(work.session, caller, faxkey, entrykey)
    if not entries:
        raise FFWSError(404, ofax.ENTRY_NOT_FOUND)
    entry = entries[0]
    problem, pages = "", 0
    try:
        _path, pages = await run_in_threadpool(_preview, request, caller, work, faxkey, entrykey)
    except FFWSError as exc:
        problem = exc.message
    return page(
        request, "fax_entry.html", entry=entry, key=f"{faxkey}/{entrykey}", faxkey=faxkey, entrykey=entrykey,
        pages=pages, problem=problem, final=m.FINAL_STATES,
    )  # fmt: skip


@router.get("/faxes/{faxkey}/{entrykey}/preview.pdf")
async def fax_pdf(faxkey: str, entrykey: str, request: Request, caller: UiCaller, work: Work) -> Response:
    path, _pages = await run_in_threadpool(_preview, request, caller, work, faxkey, entrykey)
    data_ = await run_in_threadpool(path.read_bytes)
    disposition = f'attachment; filename="{preview_name(int(faxkey, 16), int(entrykey, 16))}"'
    return Response(data_, media_type="application/pdf", headers={"content-disposition": disposition})


async def _thumbnail(request: Request, document: Path, pages: int, number: int, group: str | None) -> Response:
    """Page ``number`` of ``document`` as a PNG, drawn in a worker process within the box's budgets (a sender's
    page can take any time and memory to draw), by at most a few of the server's threads at once."""
    if not 1 <= number <= pages:
        raise FFWSError(404, "No such page.")
    thumbnails = get_box(request).thumbnails
    try:
        path = await anyio.to_thread.run_sync(
            thumbnails.page, document, number, group, limiter=limiter("thumbnails", THUMBNAILS_AT_ONCE)
        )
    except ConversionError as exc:
        raise FFWSError(404, f"Page {number} not available: {exc}.") from None
    except NotEnoughStorage as exc:
        raise FFWSError(503, exc.message) from None
    data_ = await run_in_threadpool(path.read_bytes)
    return Response(data_, media_type="image/png", headers={"cache-control": "private, max-age=60"})


@router.get("/faxes/{faxkey}/{entrykey}/pages/{number}.png")
async def fax_page(faxkey: str, entrykey: str, number: int, request: Request, caller: UiCaller, work: Work) -> Response:
    path, pages = await run_in_threadpool(_preview, request, caller, work, faxkey, entrykey)
    return await _thumbnail(request, path, pages, number, group=str(path))  # (evicted with its preview)


# -- received faxes ----------------------------------------------------------------------------------------------
def _received(request: Request, caller: Caller, work: UnitOfWork, fax_id: int) -> tuple[InboundFax, Path]:
    fax = data.received_fax(work.session, caller, f"{fax_id}.pdf")
    return fax, get_box(request).inbound.document(fax.id)


@router.get("/inbound/{fax_id}")
async def inbound_fax(fax_id: int, request: Request, caller: UiCaller, work: Work) -> Response:
    fax, _path = await run_in_threadpool(_received, request, caller, work, fax_id)
    return page(request, "inbound_fax.html", fax=fax, pages=fax.pages)


@router.get("/inbound/{fax_id}/fax.pdf")
async def inbound_pdf(fax_id: int, request: Request, caller: UiCaller, work: Work) -> Response:
    _fax, path = await run_in_threadpool(_received, request, caller, work, fax_id)
    headers = {"content-disposition": f'attachment; filename="received-{fax_id}.pdf"'}
    return Response(await run_in_threadpool(path.read_bytes), media_type="application/pdf", headers=headers)


@router.get("/inbound/{fax_id}/pages/{number}.png")
async def inbound_page(fax_id: int, number: int, request: Request, caller: UiCaller, work: Work) -> Response:
    fax, path = await run_in_threadpool(_received, request, caller, work, fax_id)
    return await _thumbnail(request, path, fax.pages, number, group=None)


# -- Status & Logs -----------------------------------------------------------------------------------------------
LOG_KINDS = {"outbound": "Outbound log", "inbound": "Inbound log", "call": "Modem log (calls)"}


@router.get("/logs")
def status_and_logs(
    request: Request, caller: UiCaller, work: Work, kind: str = "outbound", offset: int = 0
) -> Response:
    if kind not in LOG_KINDS:
        raise FFWSError(400, "invalid kind: must be one of " + ", ".join(LOG_KINDS))
    records = logs.records(work.session, caller, kind, logs.LogQuery(LOG_PAGE, max(offset, 0), True))
    total = logs.count(work.session, caller, kind)
    return page(
        request, "logs.html", kind=kind, kinds=LOG_KINDS, records=records, total=total, offset=max(offset, 0),
        step=LOG_PAGE,
    )  # fmt: skip
