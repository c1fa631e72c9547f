"""The rules of faxing: what a valid schedule_fax is, who sees, aborts and reschedules which entries."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.device import models as m
from emulator.device.models import Attachment, Attempt, Counter, Fax, FaxEntry
from emulator.device.outcomes import preprocessing_seconds
from emulator.device.queue import Queue
from emulator.device.store import DocumentStore
from emulator.documents import SUPPORTED_CONTENT_TYPES
from emulator.ffws.auth import Caller, may_act_on
from emulator.ffws.ofax.intake import Blobs, fetch_external
from emulator.ffws.ofax.wire import AttachmentIn, ScheduleFax, media_type, normal_content_type
from emulator.ffws.users.models import User
from emulator.wire import FFWSError
from emulator.wire.errors import invalid

NOTHING_TO_SEND = "scheduling failed: internal error"
COVER_URL_REQUIRED = "cover page url required"
NOT_ABORTED = (
    "The fax specified could not be aborted. The user may not be the owner of the fax or the fax could not be found."
)
NOT_RESCHEDULED = (
    "The fax specified could not be rescheduled. The user may not be the owner of the fax or the fax could not be found"
)
FAX_NOT_FOUND = "Fax not found."
ENTRY_NOT_FOUND = "Fax entry not found."


@dataclass(frozen=True)
class Intake:
    """What the box lends to scheduling: its limits, templates, document store and how outcomes are chosen."""

    max_recipients: int
    max_document_bytes: int
    cover_pages: frozenset[str]
    store: DocumentStore
    outcome_for: Callable[[str], str]
    external_enabled: bool
    external_timeout: float


def _failed(attachment: AttachmentIn, reason: str) -> FFWSError:
    return FFWSError(400, f"scheduling failed: attachment {attachment.name}: {reason}")


def check_attachments(request: ScheduleFax, intake: Intake, blobs: Blobs) -> None:
    """Every attachment readable and of a type the box converts; external ones fetched now (the client asked)."""
    _check_recipients(request, intake)  # before fetching anything for a request that will be refused
    for attachment in request.attachments:
        if attachment.location == "external":
            if not attachment.url:
                raise _failed(attachment, "no url")
            if not intake.external_enabled:
                raise _failed(attachment, "external attachments are disabled on this box")
            blob = blobs.create()
            fetch_external(attachment.url, blob, timeout=intake.external_timeout, limit=intake.max_document_bytes)
            attachment.blob = blob
            attachment.content_type = attachment.content_type or normal_content_type(blob.content_type)
        elif attachment.location != "inline":
            raise _failed(attachment, f"unknown location {attachment.location}")
        elif attachment.encoding != "base64":
            raise _failed(attachment, f"unsupported content_transfer_encoding {attachment.encoding}")
        if attachment.blob is not None and attachment.blob.error:
            raise _failed(attachment, attachment.blob.error)
        if attachment.blob is None or attachment.blob.size == 0:  # <content/> is no content either
            raise _failed(attachment, "no content")
        if media_type(attachment.content_type) not in SUPPORTED_CONTENT_TYPES:
            raise _failed(attachment, f"unsupported content type {media_type(attachment.content_type) or '(none)'}")


def _cover(request: ScheduleFax, user: User, intake: Intake) -> tuple[bool, str, str, str]:
    """(enabled, template name, subject, comments); no cover_page element means the user's default."""
    if request.cover is None:
        name = user.default_cover_page_name or "default.pdf"
        enabled = user.default_cover_page_enabled
        subject = comments = ""
    else:
        enabled = request.cover.get("enabled", True)
        url = request.cover.get("url", "").strip()
        if enabled and not url:
            raise FFWSError(400, COVER_URL_REQUIRED)
        name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        subject, comments = request.cover.get("subject", ""), request.cover.get("comments", "")
    if enabled and name not in intake.cover_pages:
        raise invalid("cover_page url", f"no cover page named {name}")
    return enabled, (name if enabled else ""), subject, comments


def _check_recipients(request: ScheduleFax, intake: Intake) -> None:
    count = len(request.recipients)
    if count == 0:
        raise FFWSError(400, "scheduling failed: no recipient")
    if count > intake.max_recipients:
        raise FFWSError(400, f"scheduling failed: {count} recipients, at most {intake.max_recipients}")
    for recipient in request.recipients:
        if not recipient.get("fax_number", "").strip():
            raise invalid("fax_number", "empty")


def _next_faxkey(session: Session) -> int:
    counter = session.get(Counter, "faxkey")
    if counter is None:
        counter = Counter(name="faxkey", value=0)
        session.add(counter)
    counter.value += 1
    return counter.value


def schedule_fax(
    session: Session, caller: Caller, request: ScheduleFax, intake: Intake, now: datetime
) -> list[FaxEntry]:
    """Validate everything, then store one fax with one entry per recipient (state preprocessing)."""
    user = session.get(User, caller.id)
    assert user is not None
    _check_recipients(request, intake)
    cover_enabled, cover_name, subject, comments = _cover(request, user, intake)
    if not request.attachments and not cover_enabled:
        raise FFWSError(400, NOTHING_TO_SEND)
    fax = _new_fax(session, user, request, now)
    fax.cover_enabled, fax.cover_name, fax.subject, fax.comments = cover_enabled, cover_name, subject, comments
    for position, attachment in enumerate(request.attachments, start=1):
        assert attachment.blob is not None
        fax.attachments.append(
            Attachment(
                position=position,
                name=attachment.name,
                content_type=attachment.content_type,
                location=attachment.location,
                url=attachment.url,
                size=attachment.blob.size,
                sha256=attachment.blob.sha256,
            )
        )
    ready = now + timedelta(seconds=preprocessing_seconds(len(request.attachments), cover_enabled))
    stime = max(now, request.schedule_all_at) if request.schedule_all_at else now
    for number, recipient in enumerate(request.recipients):
        fax.entries.append(_new_entry(number, recipient, stime, ready, intake))
    session.flush()
    _store_documents(fax, request, intake.store)
    return list(fax.entries)


def _new_fax(session: Session, user: User, request: ScheduleFax, now: datetime) -> Fax:
    options: dict[str, Any] = request.options
    # A sender field the request leaves out comes from the user's record (as the cover page does on the box).
    keys = ("name", "organization", "phone_number", "fax_number", "email_address")
    sender = {key: request.sender.get(key, getattr(user, key)) for key in keys}
    fax = Fax(
        id=_next_faxkey(session),
        owner=user.username,
        created=now,
        agent="FFWS",
        max_tries=options.get("max_tries", user.max_attempts),
        priority=options.get("priority", user.priority),
        try_interval=options.get("try_interval", user.interval),
        receipt=options.get("receipt", user.receipt),
        receipt_attachment=options.get("receipt_attachment", user.receipt_attachment),
        **{f"sender_{key}": value for key, value in sender.items()},
    )
    session.add(fax)
    return fax


def _new_entry(number: int, recipient: dict[str, Any], stime: datetime, ready: datetime, intake: Intake) -> FaxEntry:
    fax_number = recipient.get("fax_number", "")
    return FaxEntry(
        number=number,
        recipient_name=recipient.get("name", ""),
        recipient_organization=recipient.get("organization", ""),
        recipient_fax_number=fax_number,
        recipient_phone_number=recipient.get("phone_number", ""),
        state=m.PREPROCESSING,
        schedule_message="New fax entry",
        stime=stime,
        try_number=1,
        pages=0,
        outcome=intake.outcome_for(fax_number),
        due_at=ready,
    )


def _store_documents(fax: Fax, request: ScheduleFax, store: DocumentStore) -> None:
    folder = store.fax_dir(fax.id)
    shutil.rmtree(folder, ignore_errors=True)  # leftovers of a fax key never committed
    folder.mkdir(parents=True)
    for position, attachment in enumerate(request.attachments, start=1):
        assert attachment.blob is not None
        shutil.move(attachment.blob.path, store.attachment_raw(fax.id, position))


# -- viewing, aborting, rescheduling --------------------------------------------------------------------------------
def parse_key(text: str, digits: int) -> int | None:
    if not text or len(text) > digits or any(c not in "0123456789abcdefABCDEF" for c in text):
        return None
    return int(text, 16)


def visible_entries(session: Session, caller: Caller, faxkey: str, entrykey: str | None) -> list[FaxEntry]:
    """The entries named by a path, if the caller may see them (owner or admin); [] when there are none."""
    fax_id = parse_key(faxkey, 8)
    fax = session.get(Fax, fax_id) if fax_id is not None else None
    if fax is None or not may_act_on(caller, fax.owner):
        return []
    if entrykey is None:
        return list(fax.entries)
    number = parse_key(entrykey, 4)
    return [e for e in fax.entries if e.number == number]


def last_finished_attempt(session: Session, entry_id: int) -> Attempt | None:
    """The entry's latest finished try (the modem information of include_modem_info)."""
    stmt = select(Attempt).where(Attempt.entry_id == entry_id, Attempt.finished.is_(True)).order_by(Attempt.id.desc())
    return session.scalars(stmt).first()


def list_entries(
    session: Session, caller: Caller, all_users: bool, klass: str | None, complete_limit: int
) -> list[FaxEntry]:
    stmt = select(FaxEntry).join(Fax)
    if not (all_users and caller.is_admin):
        stmt = stmt.where(Fax.owner == caller.username)
    if klass == "pending":
        stmt = stmt.where(FaxEntry.state.in_((m.PREPROCESSING, m.APPROVAL_PENDING, m.PENDING)))
    elif klass == "sending":
        stmt = stmt.where(FaxEntry.state == m.SENDING)
    elif klass == "complete":
        stmt = stmt.where(FaxEntry.state.in_(m.FINAL_STATES))
    entries = list(session.scalars(stmt.order_by(FaxEntry.fax_id, FaxEntry.number)))
    complete = [e for e in entries if e.state in m.FINAL_STATES]
    if len(complete) > complete_limit:
        # Keep the newest completed faxes only (the device's complete_limit).
        newest = sorted(complete, key=lambda e: (e.completed_at or e.stime, e.fax_id, e.number))[-complete_limit:]
        keep = {e.id for e in newest} if complete_limit else set()
        entries = [e for e in entries if e.state not in m.FINAL_STATES or e.id in keep]
    return entries


def abort_entries(
    session: Session, caller: Caller, queue: Queue, faxkey: str, entrykey: str | None, now: datetime
) -> None:
    entries = visible_entries(session, caller, faxkey, entrykey)
    abortable = [e for e in entries if e.state not in m.FINAL_STATES]
    if not abortable:
        raise FFWSError(400, NOT_ABORTED)
    for entry in abortable:
        queue.abort(session, entry, now)


def reschedule_entries(
    session: Session, caller: Caller, queue: Queue, faxkey: str, entrykey: str | None, when: datetime
) -> None:
    """Entries that are sending or preprocessing are skipped; the answer is still 202 (14)."""
    entries = visible_entries(session, caller, faxkey, entrykey)
    if not entries:
        raise FFWSError(400, NOT_RESCHEDULED)
    for entry in entries:
        queue.reschedule(session, entry, when)
