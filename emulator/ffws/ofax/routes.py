"""Faxing (01-faxing): schedule, view, abort and reschedule fax entries."""

from __future__ import annotations

from datetime import datetime
from typing import IO

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emulator.catalogue import device
from emulator.db.work import UnitOfWork
from emulator.device.models import FaxEntry
from emulator.ffws.auth import Caller
from emulator.ffws.fields import count_param, flag_param
from emulator.ffws.http import CurrentCaller, Work, base_url, get_box
from emulator.ffws.ofax import service
from emulator.ffws.ofax.intake import Blobs, parse_schedule_fax, spool_body
from emulator.ffws.ofax.wire import SCHEDULE_FAX, ScheduleFax, fax_entry_element, read_schedule_fax
from emulator.wire import Elem, FFWSError
from emulator.wire.errors import invalid
from emulator.wire.response import empty_response, xml_response
from emulator.wire.times import parse_time
from emulator.wire.tolerance import tolerated

CLASSES = ("pending", "sending", "complete")


def _read(body: IO[bytes], blobs: Blobs, intake: service.Intake) -> ScheduleFax:
    fax = read_schedule_fax(parse_schedule_fax(body, blobs, SCHEDULE_FAX))
    service.check_request(fax, intake)
    return fax


def _journal_view(fax: ScheduleFax) -> list[dict]:
    """The journal keeps at most the start of a body: it also gets each attachment's size and digest, and for an
    external one its URL and why it could not be fetched."""
    view = []
    for a in fax.attachments:
        if a.blob is None:
            continue
        seen = {"name": a.name, "content_type": a.content_type, "size": a.blob.size, "sha256": a.blob.sha256}
        if a.location == "external":
            seen.update(url=a.url, fetch_error=a.blob.error or None)
        view.append(seen)
    return view


def _store(request: Request, caller: Caller, work: UnitOfWork, fax: ScheduleFax, intake: service.Intake) -> list[Elem]:
    box = get_box(request)
    entries = service.schedule_fax(work, caller, fax, intake, box.clock.now)
    return [fax_entry_element(e, base_url(request), box.zone, box.firmware) for e in entries]


@device.route("POST", "/ofax", status_code=201)
async def schedule_fax(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Schedule a fax: one entry per recipient; 201 with message Success."""
    box = get_box(request)
    intake = box.intake()
    await run_in_threadpool(service.check_declared_size, request.headers.get("content-length"), intake)
    body = await spool_body(request)
    blobs = Blobs(box.store.incoming_file)
    try:
        fax = await run_in_threadpool(_read, body, blobs, intake)
        await service.fetch_externals(fax, intake, blobs)  # on the event loop: no worker thread waits for a server
        request.state.attachments = _journal_view(fax)
        elements = await run_in_threadpool(_store, request, caller, work, fax, intake)
    finally:
        blobs.discard()  # whatever was not moved into the fax's folder
        body.close()
    return xml_response("Success", elements, status=201)


def _render(request: Request, session: Session, entries: list[FaxEntry]) -> Response:
    box = get_box(request)
    with_info = flag_param(request.query_params, "include_modem_info")
    infos = service.last_finished_attempts(session, entries) if with_info else {}
    base = base_url(request)
    elements = [
        fax_entry_element(
            e, base, box.zone, box.firmware, listing=True, modem_info=infos.get(e.id), line_word=box.profile.line_word
        )
        for e in entries
    ]
    return xml_response("Success", elements)


@device.route("GET", "/ofax", params=("all_users", "complete_limit", "class", "include_modem_info"))
def view_fax_entries(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """The caller's fax entries (all users' with all_users=true for an admin); class, complete_limit."""
    params = request.query_params
    klass = params.get("class") or None
    if klass is not None and klass not in CLASSES:
        raise invalid("class", "must be one of " + ", ".join(CLASSES))
    complete_limit = count_param(params, "complete_limit", 10)
    all_users = flag_param(params, "all_users")
    entries = service.list_entries(work.session, caller, all_users, klass, complete_limit)
    return _render(request, work.session, entries)


@device.route("GET", "/ofax/{faxkey}", params=("include_modem_info",))
def view_fax(faxkey: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Every entry of one fax."""
    entries = service.visible_entries(work.session, caller, faxkey, None)
    if not entries:
        raise FFWSError(404, service.FAX_NOT_FOUND)
    return _render(request, work.session, entries)


@device.route("GET", "/ofax/{faxkey}/{entrykey}", params=("include_modem_info",))
def view_fax_entry(faxkey: str, entrykey: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """One fax entry."""
    entries = service.visible_entries(work.session, caller, faxkey, entrykey)
    if not entries:
        raise FFWSError(404, service.ENTRY_NOT_FOUND)
    return _render(request, work.session, entries)


def _abort(request: Request, caller: Caller, work: UnitOfWork, faxkey: str, entrykey: str | None) -> Response:
    box = get_box(request)
    service.abort_entries(work, caller, box.queue, faxkey, entrykey, box.clock.now)
    return empty_response(202)


@device.route("DELETE", "/ofax")
def abort_nothing(request: Request, caller: CurrentCaller) -> Response:
    """No key: nothing is aborted (400), never every fax."""
    raise FFWSError(400, service.NOT_ABORTED)


@device.route("DELETE", "/ofax/{faxkey}")
def abort_fax(faxkey: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Abort every entry of a fax that is not final yet; 202, no body."""
    return _abort(request, caller, work, faxkey, None)


@device.route("DELETE", "/ofax/{faxkey}/{entrykey}")
def abort_fax_entry(faxkey: str, entrykey: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Abort one entry (a sending line hangs up); 202, no body."""
    return _abort(request, caller, work, faxkey, entrykey)


def _at(request: Request) -> datetime | None:
    """The time of ``?at=`` (UTC, like the box's own clock); None for now. A time already past means now (as for
    schedule_all_at): the service compares it with the clock once the queue's lock is held."""
    if "at" not in request.query_params:
        tolerated("no at= on a reschedule: the form without it is deprecated since firmware 2.1 (send at=now)")
    raw = (request.query_params.get("at") or "now").strip()
    if raw.lower() == "now":
        return None
    try:
        return parse_time(raw, "at")
    except ValueError:
        raise invalid("at", "expected now or YYYY-MM-DDTHH:MM:SS (UTC)") from None


def _reschedule(request: Request, caller: Caller, work: UnitOfWork, faxkey: str, entrykey: str | None) -> Response:
    box = get_box(request)
    at = _at(request)
    service.reschedule_entries(work, caller, box.queue, faxkey, entrykey, at, box.clock.now)
    return empty_response(202)


@device.route("PUT", "/ofax/{faxkey}/{entrykey}", params=("at",))
def reschedule_fax_entry(faxkey: str, entrykey: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Send an entry again at ?at=now|YYYY-MM-DDTHH:MM:SS (UTC); 202, no body."""
    return _reschedule(request, caller, work, faxkey, entrykey)


@device.route("PUT", "/ofax/{faxkey}", params=("at",))
def reschedule_fax(faxkey: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Send every entry of a fax again (entries sending or preprocessing are skipped); 202."""
    return _reschedule(request, caller, work, faxkey, None)
