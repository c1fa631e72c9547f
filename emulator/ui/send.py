"""Send Fax: a fax scheduled through the same service as POST /ffws/v1/ofax, with agent WebClient."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import IO, Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.device import models as m
from emulator.device.store import faxkey_text
from emulator.ffws.auth import Caller
from emulator.ffws.contacts import service as contacts
from emulator.ffws.contacts.models import GLOBAL_OWNER, Contact
from emulator.ffws.groups import service as groups
from emulator.ffws.http import Work, base_url, get_box
from emulator.ffws.listing import ListQuery
from emulator.ffws.ofax import service as ofax
from emulator.ffws.ofax.intake import Blob, Blobs
from emulator.ffws.ofax.wire import PARTY_FIELDS, AttachmentIn, ScheduleFax, cover_page_url, normal_content_type
from emulator.ui.render import page
from emulator.ui.routing import Answer, back_to, router
from emulator.ui.session import Form, UiCaller
from emulator.wire import FFWSError
from emulator.wire.errors import invalid

AGENT = "WebClient"  # what the box's own web client writes as a fax's agent


# -- Send Fax ----------------------------------------------------------------------------------------------------
PICKABLE = ListQuery(200, 0, {}, "name")  # contacts and groups of each book offered on the form, at most


def _send_form(
    request: Request, caller: Caller, session: Session, status: int = 200, error: str = "", values: dict | None = None
) -> Response:
    """The form, with the caller's and the global contacts and groups to pick recipients from."""
    box = get_box(request)
    books = [caller.username, GLOBAL_OWNER]
    picks = {
        book: (
            contacts.list_contacts(session, caller, book, PICKABLE),
            groups.list_groups(session, caller, book, PICKABLE),
        )
        for book in books
    }
    return page(
        request, "send.html", status=status, error=error, values=values or {}, cover_pages=box.cover_page_names(),
        types=".pdf,.tif,.tiff,.png,.jpg,.jpeg,.txt,application/pdf,image/tiff,image/png,image/jpeg,text/plain",
        picks=picks, global_owner=GLOBAL_OWNER,
    )  # fmt: skip


@router.get("/send")
def send_fax_form(request: Request, caller: UiCaller, work: Work) -> Response:
    return _send_form(request, caller, work.session)


def _picked(session: Session, caller: Caller, picks: list[str]) -> list[dict]:
    """The recipients picked from the phone books (``contact/OWNER/ID``, ``group/OWNER/ID``: a group is its
    members), each contact once, read through the contacts and groups services (the caller's own and global
    ones only)."""
    chosen: dict[int, Contact] = {}
    for pick in picks:
        kind, _, rest = pick.partition("/")
        owner, _, raw_id = rest.partition("/")
        if kind == "contact":
            found = [contacts.view_contact(session, caller, owner, raw_id)]
        elif kind == "group":
            group = groups.view_group(session, caller, owner, raw_id)
            found = [contacts.get_contact(session, m.contact_owner, m.contact_id) for m in group.members]
        else:
            raise invalid("recipient", f"not a contact or a group: {pick}")
        chosen.update((contact.id, contact) for contact in found)
    recipients = []
    for contact in chosen.values():
        if not contact.fax_number.strip():
            raise invalid("recipient", f"contact {contact.name} has no fax number")
        party = {key: getattr(contact, key) or "" for key in ("name", "organization", "phone_number", "fax_number")}
        recipients.append({key: PARTY_FIELDS[key].read(key, value) for key, value in party.items()})
    return recipients


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


def _blob(blobs: Blobs, source: bytes | IO[bytes]) -> Blob:
    """The upload (or typed text) in a file of the store's incoming folder, as the API's decoded content is (in a
    worker thread: it may be megabytes)."""
    blob = blobs.create()
    digest = hashlib.sha256()
    with blob.path.open("wb") as out:
        chunks = [source] if isinstance(source, bytes) else iter(lambda: source.read(1024 * 1024), b"")
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            blob.size += len(chunk)
    blob.sha256 = digest.hexdigest()
    return blob


def _attachments(form: FormData, blobs: Blobs) -> list[AttachmentIn]:
    attachments = []
    for upload in form.getlist("document"):
        if isinstance(upload, UploadFile) and upload.filename:
            upload.file.seek(0)
            blob = _blob(blobs, upload.file)
            name = Path(upload.filename).name[:255] or "document"
            attachments.append(AttachmentIn(name, "inline", _content_type(upload), "base64", "", blob))
    text = str(form.get("text") or "")
    if text.strip():
        blob = _blob(blobs, text.encode())
        attachments.append(AttachmentIn("message.txt", "inline", "text/plain; charset=utf-8", "base64", "", blob))
    return attachments


def _schedule(
    request: Request, caller: Caller, work: UnitOfWork, values: dict, form: FormData, blobs: Blobs
) -> list[m.FaxEntry]:
    """The form as a schedule_fax request, scheduled as POST /ofax schedules one (its checks, its words)."""
    box = get_box(request)
    intake = box.intake()
    cover = {"enabled": values["cover"], "url": cover_page_url(base_url(request), values["cover_page"])}
    cover.update(subject=values["subject"][:255], comments=values["comments"][:4000])
    recipients = _recipients(values["recipients"]) + _picked(work.session, caller, values["picks"])
    fax = ScheduleFax(
        cover=cover, sender={}, sender_unnamed=False, recipients=recipients, attachments=_attachments(form, blobs),
        options={}, schedule_all_at=None,
    )  # fmt: skip
    ofax.check_request(fax, intake)
    return ofax.schedule_fax(work, caller, fax, intake, box.clock.now, agent=AGENT)


async def room_for_upload(request: Request) -> None:
    """Before the form is read: an upload whose size alone cannot fit within the disk quota is refused at once, as
    POST /ofax refuses its body (cached previews counted as room)."""
    intake = get_box(request).intake()
    await run_in_threadpool(ofax.check_declared_size, request.headers.get("content-length"), intake)


RoomForUpload = Annotated[None, Depends(room_for_upload)]


@router.post("/send")
async def send_fax(request: Request, caller: UiCaller, _room: RoomForUpload, form: Form, work: Work) -> Response:
    """Scheduled through the same service as POST /ffws/v1/ofax, with agent WebClient."""
    box = get_box(request)
    values = {k: str(form.get(k) or "") for k in ("recipients", "subject", "comments", "cover_page", "text")}
    values["cover"] = form.get("cover") == "on"
    values["picks"] = [pick for pick in form.getlist("pick") if isinstance(pick, str)]
    blobs = Blobs(box.store.incoming_file)
    try:
        entries = await run_in_threadpool(_schedule, request, caller, work, values, form, blobs)
    except FFWSError as exc:
        if exc.status != 400:
            raise  # (a contact of another's picked by hand: refused as the API refuses it)
        error = exc.message
        shown = await run_in_threadpool(lambda: _send_form(request, caller, work.session, 400, error, values))
        raise Answer(shown) from None
    finally:
        blobs.discard()
    first = entries[0]
    done = f"Fax {faxkey_text(first.fax_id)} scheduled for {len(entries)} recipient(s)."
    return back_to(request, "/fax-status", done)
