"""Fax Status, a fax's pages, Send Fax and Status & Logs: the pages of sending and receiving."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.device import models as m
from emulator.device.inbound import InboundFax
from emulator.device.store import entrykey_text, faxkey_text, preview_name
from emulator.ffws.auth import Caller
from emulator.ffws.data import service as data
from emulator.ffws.http import Work, base_url, get_box
from emulator.ffws.logs import service as logs
from emulator.ffws.ofax import service as ofax
from emulator.ffws.ofax.intake import Blob, Blobs
from emulator.ffws.ofax.wire import PARTY_FIELDS, AttachmentIn, ScheduleFax, cover_page_url, normal_content_type
from emulator.ui import thumbnails
from emulator.ui.render import page
from emulator.ui.routing import Answer, back_to, router
from emulator.ui.session import Form, UiCaller
from emulator.wire import FFWSError
from emulator.wire.times import format_time

RECENT = 10  # finished entries and received faxes on Fax Status
LOG_PAGE = 50
AGENT = "WebClient"  # what the box's own web client writes as a fax's agent


# -- Fax Status -------------------------------------------------------------------------------------------------
def _lines(request: Request, caller: Caller, session: Session) -> list[dict]:
    box = get_box(request)
    lines = []
    for state in box.line_states(session):
        line = {"number": state.number, "state": state.state, "direction": state.direction, "page": state.page}
        line.update(pages=state.pages, baud_rate=state.baud_rate, busy=state.busy)
        # A user sees that a line is busy; whom it calls is for administrators.
        line.update(
            fax_number=state.fax_number if caller.is_admin else "", remote_id=state.remote_id if caller.is_admin else ""
        )
        lines.append(line)
    return lines


def _outbound(request: Request, caller: Caller, session: Session) -> list[m.FaxEntry]:
    return ofax.list_entries(session, caller, all_users=True, klass=None, complete_limit=RECENT)


def _inbound(request: Request, caller: Caller, session: Session) -> dict:
    box = get_box(request)
    receiving = [
        f for f in box.inbound.receiving(session) if caller.is_admin or caller.username in f.recipient.split(",")
    ]
    received = logs.records(session, caller, "inbound", logs.LogQuery(RECENT, 0, True))
    return {"receiving": receiving, "received": received}


def _status(request: Request, caller: Caller, session: Session) -> dict:
    box = get_box(request)
    return {
        "lines": _lines(request, caller, session),
        "entries": _outbound(request, caller, session),
        "inbound": _inbound(request, caller, session),
        "final": m.FINAL_STATES,
        "time": lambda t: format_time(t, box.zone) if t else "",
        "key": lambda e: f"{faxkey_text(e.fax_id)}/{entrykey_text(e.number)}",
    }


@router.get("/")
def home(request: Request, caller: UiCaller) -> Response:
    return back_to(request, "/fax-status")


@router.get("/fax-status")
def fax_status(request: Request, caller: UiCaller, work: Work, done: str = "") -> Response:
    return page(request, "fax_status.html", done=done, **_status(request, caller, work.session))


FRAGMENTS = {"lines": "_lines.html", "outbound": "_outbound.html", "inbound": "_inbound.html"}


@router.get("/fragments/{name}")
def fragment(name: str, request: Request, caller: UiCaller, work: Work) -> Response:
    """One section of Fax Status, for the live page to swap in when the box tells it something changed."""
    if name not in FRAGMENTS:
        raise FFWSError(404, "Not Found")
    return page(request, FRAGMENTS[name], **_status(request, caller, work.session))


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
def _preview(request: Request, caller: Caller, work: UnitOfWork, faxkey: str, entrykey: str) -> Path:
    return data.preview_path(get_box(request).preprocessor, work.session, caller, _entry_name(faxkey, entrykey))


@router.get("/faxes/{faxkey}/{entrykey}")
async def fax_entry(faxkey: str, entrykey: str, request: Request, caller: UiCaller, work: Work) -> Response:
    entries = ofax.visible_entries(work.session, caller, faxkey, entrykey)
    if not entries:
        raise FFWSError(404, ofax.ENTRY_NOT_FOUND)
    entry = entries[0]
    problem, pages = "", 0
    try:
        path = await run_in_threadpool(_preview, request, caller, work, faxkey, entrykey)
        pages = await run_in_threadpool(thumbnails.page_count, path)
    except FFWSError as exc:
        problem = exc.message
    box = get_box(request)
    return page(
        request, "fax_entry.html", entry=entry, key=f"{faxkey}/{entrykey}", faxkey=faxkey, entrykey=entrykey,
        pages=pages, problem=problem, time=lambda t: format_time(t, box.zone) if t else "", final=m.FINAL_STATES,
    )  # fmt: skip


@router.get("/faxes/{faxkey}/{entrykey}/preview.pdf")
async def fax_pdf(faxkey: str, entrykey: str, request: Request, caller: UiCaller, work: Work) -> Response:
    path = await run_in_threadpool(_preview, request, caller, work, faxkey, entrykey)
    data_ = await run_in_threadpool(path.read_bytes)
    disposition = f'attachment; filename="{preview_name(int(faxkey, 16), int(entrykey, 16))}"'
    return Response(data_, media_type="application/pdf", headers={"content-disposition": disposition})


def _png(data_: bytes) -> Response:
    return Response(data_, media_type="image/png", headers={"cache-control": "private, max-age=60"})


async def _thumbnail(path: Path, number: int) -> Response:
    try:
        return _png(await run_in_threadpool(thumbnails.thumbnail, path, number - 1))
    except thumbnails.NoSuchPage:
        raise FFWSError(404, "No such page.") from None


@router.get("/faxes/{faxkey}/{entrykey}/pages/{number}.png")
async def fax_page(faxkey: str, entrykey: str, number: int, request: Request, caller: UiCaller, work: Work) -> Response:
    path = await run_in_threadpool(_preview, request, caller, work, faxkey, entrykey)
    return await _thumbnail(path, number)


# -- received faxes ----------------------------------------------------------------------------------------------
def _received(request: Request, caller: Caller, work: UnitOfWork, fax_id: int) -> tuple[InboundFax, Path]:
    fax = data.received_fax(work.session, caller, f"{fax_id}.pdf")
    return fax, get_box(request).inbound.document(fax.id)


@router.get("/inbound/{fax_id}")
async def inbound_fax(fax_id: int, request: Request, caller: UiCaller, work: Work) -> Response:
    fax, path = await run_in_threadpool(_received, request, caller, work, fax_id)
    pages = await run_in_threadpool(thumbnails.page_count, path)
    box = get_box(request)
    return page(request, "inbound_fax.html", fax=fax, pages=pages, time=lambda t: format_time(t, box.zone))


@router.get("/inbound/{fax_id}/fax.pdf")
async def inbound_pdf(fax_id: int, request: Request, caller: UiCaller, work: Work) -> Response:
    _fax, path = await run_in_threadpool(_received, request, caller, work, fax_id)
    headers = {"content-disposition": f'attachment; filename="received-{fax_id}.pdf"'}
    return Response(await run_in_threadpool(path.read_bytes), media_type="application/pdf", headers=headers)


@router.get("/inbound/{fax_id}/pages/{number}.png")
async def inbound_page(fax_id: int, number: int, request: Request, caller: UiCaller, work: Work) -> Response:
    _fax, path = await run_in_threadpool(_received, request, caller, work, fax_id)
    return await _thumbnail(path, number)


# -- Send Fax ----------------------------------------------------------------------------------------------------
def _send_form(request: Request, status: int = 200, error: str = "", values: dict | None = None) -> Response:
    box = get_box(request)
    return page(
        request, "send.html", status=status, error=error, values=values or {}, cover_pages=box.cover_page_names(),
        types=".pdf,.tif,.tiff,.png,.jpg,.jpeg,.txt,application/pdf,image/tiff,image/png,image/jpeg,text/plain",
    )  # fmt: skip


@router.get("/send")
def send_fax_form(request: Request, caller: UiCaller) -> Response:
    return _send_form(request)


def _recipients(text: str) -> list[dict]:
    """One recipient a line: ``fax number`` or ``name, fax number`` (or ``name <fax number>``)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.endswith(">") and "<" in line:
            name, _, number = line[:-1].rpartition("<")
        else:
            name, _, number = line.rpartition(",")
        values = {"name": name.strip(), "fax_number": number.strip()}
        found.append({k: PARTY_FIELDS[k].read(k, v) for k, v in values.items()})
    return found


def _content_type(upload: UploadFile) -> str:
    given = normal_content_type(upload.content_type or "")
    if given and given.split(";")[0] != "application/octet-stream":
        return given
    return mimetypes.guess_type(upload.filename or "")[0] or given


async def _blob(blobs: Blobs, source: bytes | UploadFile) -> Blob:
    """The upload (or typed text) in a file of the store's incoming folder, as the API's decoded content is."""
    blob = blobs.create()
    digest = hashlib.sha256()
    with blob.path.open("wb") as out:
        while chunk := (source if isinstance(source, bytes) else await source.read(1024 * 1024)):
            out.write(chunk)
            digest.update(chunk)
            blob.size += len(chunk)
            if isinstance(source, bytes):
                break
    blob.sha256 = digest.hexdigest()
    return blob


async def _attachments(form: FormData, blobs: Blobs) -> list[AttachmentIn]:
    attachments = []
    for upload in form.getlist("document"):
        if isinstance(upload, UploadFile) and upload.filename:
            blob = await _blob(blobs, upload)
            name = Path(upload.filename).name[:255] or "document"
            attachments.append(AttachmentIn(name, "inline", _content_type(upload), "base64", "", blob))
    text = str(form.get("text") or "")
    if text.strip():
        blob = await _blob(blobs, text.encode())
        attachments.append(AttachmentIn("message.txt", "inline", "text/plain; charset=utf-8", "base64", "", blob))
    return attachments


def _schedule(request: Request, caller: Caller, work: UnitOfWork, fax: ScheduleFax) -> list[m.FaxEntry]:
    box = get_box(request)
    intake = box.intake()
    ofax.check_request(fax, intake)
    ofax.check_contents(fax)
    return ofax.schedule_fax(work, caller, fax, intake, box.clock.now, agent=AGENT)


@router.post("/send")
async def send_fax(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    """Scheduled through the same service as POST /ffws/v1/ofax, with agent WebClient."""
    box = get_box(request)
    values = {k: str(form.get(k) or "") for k in ("recipients", "subject", "comments", "cover_page", "text")}
    values["cover"] = form.get("cover") == "on"
    blobs = Blobs(box.store.incoming_file)
    try:
        cover = {"enabled": values["cover"], "url": cover_page_url(base_url(request), values["cover_page"])}
        cover.update(subject=values["subject"][:255], comments=values["comments"][:4000])
        fax = ScheduleFax(
            cover=cover, sender={}, sender_unnamed=False, recipients=_recipients(values["recipients"]),
            attachments=await _attachments(form, blobs), options={}, schedule_all_at=None,
        )  # fmt: skip
        entries = await run_in_threadpool(_schedule, request, caller, work, fax)
    except FFWSError as exc:
        raise Answer(_send_form(request, 400, exc.message, values)) from None
    finally:
        blobs.discard()
    first = entries[0]
    done = f"Fax {faxkey_text(first.fax_id)} scheduled for {len(entries)} recipient(s)."
    return back_to(request, "/fax-status", done)


# -- Status & Logs -----------------------------------------------------------------------------------------------
LOG_KINDS = {"outbound": "Outbound log", "inbound": "Inbound log", "call": "Modem log (calls)"}


@router.get("/logs")
def status_and_logs(
    request: Request, caller: UiCaller, work: Work, kind: str = "outbound", offset: int = 0
) -> Response:
    if kind not in LOG_KINDS:
        raise FFWSError(400, "invalid kind: must be one of " + ", ".join(LOG_KINDS))
    box = get_box(request)
    records = logs.records(work.session, caller, kind, logs.LogQuery(LOG_PAGE, max(offset, 0), True))
    total = logs.count(work.session, caller, kind)
    return page(
        request, "logs.html", kind=kind, kinds=LOG_KINDS, records=records, total=total, offset=max(offset, 0),
        step=LOG_PAGE, time=lambda t: format_time(t, box.zone) if t else "",
        key=lambda e: f"{faxkey_text(e.fax_id)}/{entrykey_text(e.number)}",
    )  # fmt: skip
