"""The rules of faxing: what a valid schedule_fax is, who sees, aborts and reschedules which entries."""

from __future__ import annotations

import heapq
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, defaultload, lazyload

from emulator.db.work import UnitOfWork
from emulator.device import models as m
from emulator.device.models import Attachment, Attempt, Counter, Fax, FaxEntry
from emulator.device.outcomes import preprocessing_seconds
from emulator.device.queue import Queue
from emulator.device.quota import NO_STORAGE, DiskQuota, body_content, conversion_reserve
from emulator.device.store import DocumentStore
from emulator.documents import SUPPORTED_CONTENT_TYPES
from emulator.ffws.auth import Caller, may_act_on, unauthorized
from emulator.ffws.fields import MAX_ID
from emulator.ffws.ofax.fetch import FetchPolicy, fetch_external
from emulator.ffws.ofax.intake import Blobs
from emulator.ffws.ofax.wire import AttachmentIn, ScheduleFax, media_type, normal_content_type
from emulator.ffws.users.models import User
from emulator.wire import FFWSError
from emulator.wire.errors import invalid

NOTHING_TO_SEND = "scheduling failed: internal error"
NOT_ENOUGH_STORAGE = f"scheduling failed: {NO_STORAGE}"
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
    quota: DiskQuota
    outcome_for: Callable[[str], str]
    external_enabled: bool
    fetch: FetchPolicy


def _failed(attachment: AttachmentIn, reason: str) -> FFWSError:
    return FFWSError(400, f"scheduling failed: attachment {attachment.name}: {reason}")


def check_request(request: ScheduleFax, intake: Intake) -> None:
    """What can be judged before anything is fetched: the recipients, each attachment's location and encoding.
    A document with neither a recipient nor an attachment holds nothing the box recognises (a real FF240.R1 said
    so for one written in CamelCase)."""
    if not request.recipients and not request.attachments:
        raise FFWSError(400, NOTHING_TO_SEND)
    if request.sender_unnamed:
        # A real FF240.R1 refused a document whose sender, recipient and attachment were named by <n>. No sender,
        # an empty <sender/>, an empty <name/> and a recipient without a name are public clients' shapes (R7, R8):
        # a sender that says something but not its name is the smallest rule that tells the two apart.
        raise invalid("name", "empty")
    _check_recipients(request, intake)
    for attachment in request.attachments:
        if attachment.location == "external":
            if not attachment.url:
                raise _failed(attachment, "no url")
            if not intake.external_enabled:
                raise _failed(attachment, "external attachments are disabled on this box")
        elif attachment.location != "inline":
            raise _failed(attachment, f"unknown location {attachment.location}")
        elif attachment.encoding != "base64":
            raise _failed(attachment, f"unsupported content_transfer_encoding {attachment.encoding}")


def check_declared_size(declared: str | None, intake: Intake) -> None:
    """Before the body is read: a ``Content-Length`` whose content alone cannot fit within the disk quota is
    refused at once (cached previews counted as room)."""
    content = body_content(int(declared)) if declared and declared.isdigit() else 0
    if not intake.quota.could_store(content):
        raise FFWSError(400, NOT_ENOUGH_STORAGE, {"connection": "close"})


async def fetch_externals(request: ScheduleFax, intake: Intake, blobs: Blobs) -> None:
    """Fetch the external attachments (the client asked for them), one after the other, on the event loop."""
    for attachment in request.attachments:
        if attachment.location == "external":
            attachment.blob = await fetch_external(attachment.url, blobs.create(), intake.fetch)
            attachment.content_type = attachment.content_type or normal_content_type(attachment.blob.content_type)


def check_contents(request: ScheduleFax) -> None:
    """Every attachment readable and of a type the box converts. Why a fetch failed is for the journal only."""
    for attachment in request.attachments:
        blob = attachment.blob
        if blob is not None and blob.error:
            if attachment.location == "external":
                raise FFWSError(400, f"scheduling failed: could not fetch attachment {attachment.name}")
            raise _failed(attachment, blob.error)
        if blob is None or blob.size == 0:  # <content/> is no content either
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
    work: UnitOfWork,
    caller: Caller,
    request: ScheduleFax,
    intake: Intake,
    clock: Callable[[], datetime],
    agent: str = "FFWS",
) -> list[FaxEntry]:
    """Validate everything, then store one fax with one entry per recipient (state preprocessing) and its
    documents, all inside the unit of work: a reset comes wholly before or wholly after it. How POST /ofax, the
    web pages' Send Fax and fax by e-mail alike schedule a fax, once its request is read and passed
    ``check_request`` (and its external attachments were fetched). ``agent`` says how it came (FFWS: this API;
    WebClient: the box's web pages; fax by e-mail has its own)."""
    check_contents(request)
    _check_recipients(request, intake)
    session = work.session
    now = clock()  # read under the queue's lock: an advance in progress has moved the clock to its last step
    user = session.get(User, caller.id)
    if user is None or user.username != caller.username:
        raise unauthorized()
    cover_enabled, cover_name, subject, comments = _cover(request, user, intake)
    if not request.attachments and not cover_enabled:
        raise FFWSError(400, NOTHING_TO_SEND)
    stored = sum(a.blob.size for a in request.attachments if a.blob is not None)
    reserve = sum(conversion_reserve(a.blob.size, a.content_type) for a in request.attachments if a.blob is not None)
    claim = intake.quota.claim(stored + reserve)  # the last check: cached previews may be evicted for it
    if claim is None:
        raise FFWSError(400, NOT_ENOUGH_STORAGE)
    work.on_abort(claim.release)
    fax = _new_fax(session, user, request, now, agent)
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
        fax.entries.append(_new_entry(number, recipient, stime, ready, intake, user.username))
    session.flush()
    _store_documents(work, fax, request, intake.store)
    work.on_commit(lambda: claim.commit(stored, fax_id=fax.id, reserve=reserve))
    work.emit(*(e.changed() for e in fax.entries))
    return list(fax.entries)


def _new_fax(session: Session, user: User, request: ScheduleFax, now: datetime, agent: str) -> Fax:
    options: dict[str, Any] = request.options
    # A sender field the request leaves out comes from the user's record (as the cover page does on the box).
    keys = ("name", "organization", "phone_number", "fax_number", "email_address")
    sender = {key: request.sender.get(key, getattr(user, key)) for key in keys}
    fax = Fax(
        id=_next_faxkey(session),
        owner=user.username,
        created=now,
        agent=agent,
        max_tries=options.get("max_tries", user.max_attempts),
        priority=options.get("priority", user.priority),
        try_interval=options.get("try_interval", user.interval),
        receipt=options.get("receipt", user.receipt),
        receipt_attachment=options.get("receipt_attachment", user.receipt_attachment),
        **{f"sender_{key}": value for key, value in sender.items()},
    )
    session.add(fax)
    return fax


def _new_entry(
    number: int, recipient: dict[str, Any], stime: datetime, ready: datetime, intake: Intake, owner: str
) -> FaxEntry:
    fax_number = recipient.get("fax_number", "")
    return FaxEntry(
        number=number,
        owner=owner,
        recipient_name=recipient.get("name", ""),
        recipient_organization=recipient.get("organization", ""),
        recipient_fax_number=fax_number,
        recipient_phone_number=recipient.get("phone_number", ""),
        subaddress=recipient.get("subaddress", ""),
        state=m.PREPROCESSING,
        schedule_message="New fax entry",
        stime=stime,
        try_number=1,
        pages=0,
        outcome=intake.outcome_for(fax_number),
        due_at=ready,
    )


def _store_documents(work: UnitOfWork, fax: Fax, request: ScheduleFax, store: DocumentStore) -> None:
    folder = store.fax_dir(fax.id)
    shutil.rmtree(folder, ignore_errors=True)  # leftovers of a fax key never committed
    work.on_abort(lambda: shutil.rmtree(folder, ignore_errors=True))  # (a full disk, say): no file without its fax
    folder.mkdir(parents=True)
    for position, attachment in enumerate(request.attachments, start=1):
        assert attachment.blob is not None
        shutil.move(attachment.blob.path, store.attachment_raw(fax.id, position))


# -- viewing, aborting, rescheduling --------------------------------------------------------------------------------
def parse_key(text: str, digits: int) -> int | None:
    if not text or len(text) > digits or any(c not in "0123456789abcdefABCDEF" for c in text):
        return None
    key = int(text, 16)
    return key if key <= MAX_ID else None  # FFFFFFFF names no fax: no table holds an ID that large


PENDING_STATES = (m.PREPROCESSING, m.APPROVAL_PENDING, m.PENDING)
OPEN_STATES = m.OPEN_STATES  # not final yet
CLASS_STATES = {"pending": PENDING_STATES, "sending": (m.SENDING,)}
KEY_ORDER = (FaxEntry.fax_id, FaxEntry.number)
IN_CHUNK = 500  # entry IDs per IN (...) list, far below SQLite's limit on parameters


def _entries(caller: Caller | None = None) -> Select:
    """Entries with their fax (joined), not its attachments (no answer shows them); ``caller``: only theirs."""
    stmt = select(FaxEntry).options(defaultload(FaxEntry.fax).lazyload(Fax.attachments))
    return stmt if caller is None else stmt.where(FaxEntry.owner == caller.username)


def _whose(caller: Caller, all_users: bool) -> Caller | None:
    """Whose entries a listing shows: everyone's only for an admin who asks (all_users=true)."""
    return None if all_users and caller.is_admin else caller


def visible_entries(session: Session, caller: Caller, faxkey: str, entrykey: str | None) -> list[FaxEntry]:
    """The entries named by a path, if the caller may see them (owner or admin); [] when there are none."""
    fax_id = parse_key(faxkey, 8)
    if fax_id is None:
        return []
    stmt = _entries().where(FaxEntry.fax_id == fax_id)
    if entrykey is not None:
        number = parse_key(entrykey, 4)
        if number is None:
            return []
        stmt = stmt.where(FaxEntry.number == number)
    entries = list(session.scalars(stmt.order_by(FaxEntry.number)))
    if not entries or not may_act_on(caller, entries[0].fax.owner):
        return []
    return entries


def last_finished_attempts(session: Session, entries: list[FaxEntry]) -> dict[int, Attempt]:
    """Each entry's latest finished try, by entry ID (the modem information of include_modem_info)."""
    found: dict[int, Attempt] = {}
    ids = [entry.id for entry in entries]
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        latest = (
            select(func.max(Attempt.id))
            .where(Attempt.entry_id.in_(chunk), Attempt.finished.is_(True))
            .group_by(Attempt.entry_id)
        )
        stmt = select(Attempt).where(Attempt.id.in_(latest)).options(lazyload(Attempt.entry))
        found.update((attempt.entry_id, attempt) for attempt in session.scalars(stmt))
    return found


def list_entries(
    session: Session, caller: Caller, all_users: bool, klass: str | None, complete_limit: int
) -> list[FaxEntry]:
    """The entries of ``klass`` (None: every one not final yet, and the newest ``complete_limit`` final ones; the
    device's complete_limit), in key order."""
    stmt = _entries(_whose(caller, all_users))
    entries = []
    if klass != "complete":
        states = CLASS_STATES[klass] if klass else OPEN_STATES
        entries += session.scalars(stmt.where(FaxEntry.state.in_(states)))
    if klass in (None, "complete"):
        entries += newest_complete(session, stmt, complete_limit)
    return sorted(entries, key=lambda e: (e.fax_id, e.number))


def newest_complete(session: Session, entries: Select, limit: int) -> list[FaxEntry]:
    """The ``limit`` newest final entries of ``entries``: latest completed_at, then highest key. An entry has a
    completed_at exactly while it is final, so this reads an index of completed_at backwards and stops at
    ``limit``."""
    newest = (FaxEntry.completed_at.desc(), FaxEntry.fax_id.desc(), FaxEntry.number.desc())
    stmt = entries.where(FaxEntry.completed_at.is_not(None)).order_by(*newest).limit(limit)
    return list(session.scalars(stmt))


def first_entries(session: Session, caller: Caller, klass: str, limit: int) -> list[FaxEntry]:
    """The first ``limit`` entries (by key) of a class not final yet, everyone's for an admin (outbound_status).
    Each state is read from its own index range up to ``limit``, then the few found are merged."""
    if limit == 0:
        return []
    stmt = _entries(_whose(caller, True)).order_by(*KEY_ORDER).limit(limit)
    found = [list(session.scalars(stmt.where(FaxEntry.state == state))) for state in CLASS_STATES[klass]]
    return list(heapq.merge(*found, key=lambda e: (e.fax_id, e.number)))[:limit]


def abort_entries(
    work: UnitOfWork, caller: Caller, queue: Queue, faxkey: str, entrykey: str | None, clock: Callable[[], datetime]
) -> None:
    session = work.session
    entries = visible_entries(session, caller, faxkey, entrykey)
    abortable = [e for e in entries if e.state not in m.FINAL_STATES]
    if not abortable:
        raise FFWSError(400, NOT_ABORTED)
    now = clock()
    previous = [entry.state for entry in abortable]
    for entry in abortable:
        queue.abort(session, entry, now)
    work.emit(*(e.changed(was) for e, was in zip(abortable, previous, strict=True)))


def reschedule_entries(
    work: UnitOfWork,
    caller: Caller,
    queue: Queue,
    faxkey: str,
    entrykey: str | None,
    at: datetime | None,
    clock: Callable[[], datetime],
) -> None:
    """Send again at ``at`` (None, or a time already past: now). Entries that are sending or preprocessing are
    skipped; the answer is still 202 (14)."""
    session = work.session
    entries = visible_entries(session, caller, faxkey, entrykey)
    if not entries:
        raise FFWSError(400, NOT_RESCHEDULED)
    now = clock()
    when = max(at, now) if at is not None else now
    previous = {entry.id: entry.state for entry in entries}
    changed = [entry for entry in entries if queue.reschedule(session, entry, when)]
    work.emit(*(e.changed(previous[e.id]) for e in changed))
