"""Composing the queued mails: each mail's files are made outside the queue's lock (previews and TIFFs in
conversion workers, within the box's budgets), its message written aside, then put in place with its row in one
short transaction, unless a reset or an import replaced the state meanwhile. A mail split by the size limit
becomes several rows."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from emulator.db.work import UnitOfWork, Works
from emulator.device.inbound import InboundFax
from emulator.device.models import FaxEntry
from emulator.device.preprocess import Preprocessor
from emulator.device.quota import DiskQuota, disk_full
from emulator.device.store import DocumentStore
from emulator.documents import ConversionError, worker
from emulator.documents.limits import Limits
from emulator.events import MailChanged, MailQueued
from emulator.mail.enqueue import first_admin
from emulator.mail.models import COMPOSING, FAILED, HELD, INBOUND, QUEUED, Mail, mail_if
from emulator.mail.options import MailOptions, read_options
from emulator.mail.templates import Templates

if TYPE_CHECKING:
    from emulator.mail.compose import Attachment, Draft, Written

log = logging.getLogger("emulator.mail")
FAX_FILES = "emulator.mail.documents:fax_files"
BASE64_BYTES, BASE64_LINE = 57, 78  # the email package's base64: 57 bytes a line of 76 characters and CRLF
MAX_PARTS = 9999  # (more than a fax's pages: the longest part number a subject or a Message-ID may hold)
SPLIT_MARGIN = 2 * BASE64_LINE  # what the estimate cannot know: a longer part number or file name, the last line


@dataclass
class Job:
    """What composing one mail needs, read in one short read."""

    mail_id: int
    kind: str
    created: datetime
    facts: dict[str, Any]
    recipient: tuple[str, str]  # (name, address)
    sender: tuple[str, str]
    options: MailOptions
    entry: FaxEntry | None = None  # a receipt's entry, loaded
    document: Path | None = None  # a received fax's pages


class Composer:
    def __init__(
        self,
        works: Works,
        store: DocumentStore,
        quota: DiskQuota,
        preprocessor: Preprocessor,
        templates: Templates,
        zone: ZoneInfo,
        lines: int,
        limits: Limits,
        defaults: MailOptions,
        delivers: Callable[[], bool],
    ) -> None:
        self.works, self.store, self.quota, self.preprocessor = works, store, quota, preprocessor
        self.templates, self.zone, self.lines, self.limits = templates, zone, lines, limits
        self.defaults = defaults
        self.delivers = delivers  # whether composed mails go to an SMTP server (else they are held)
        self._lock = threading.Lock()  # one composer at a time: the queue's task, or a listing that settles it

    def compose_pending(self) -> int:
        """Compose every mail queued and not composed yet, oldest first; how many were."""
        with self._lock:
            epoch = self.works.epoch
            with self.works(write=False) as look:
                ids = list(look.session.scalars(select(Mail.id).where(Mail.state == COMPOSING).order_by(Mail.id)))
            done = 0
            for mail_id in ids:
                if self.works.epoch != epoch:
                    break
                done += self._compose(mail_id, epoch)
            return done

    def _compose(self, mail_id: int, epoch: int) -> int:
        job = self._read(mail_id)
        if job is None:
            return 0
        scratch: list[Path] = []
        try:
            try:
                written = self._write(job)
            except Exception as exc:
                if disk_full(exc):
                    raise  # the mail stays to be composed, and is tried again later
                log.exception("mail %s could not be composed", mail_id)
                return self._give_up(mail_id, epoch, f"could not be composed: {exc}")
            for message in written:
                path = self.store.incoming_file()
                scratch.append(path)
                path.write_bytes(message.data)
            return self._install(job, epoch, written, scratch)
        finally:
            for path in scratch:
                path.unlink(missing_ok=True)

    def _read(self, mail_id: int) -> Job | None:
        with self.works(write=False) as look:
            session = look.session
            mail = session.get(Mail, mail_id)
            if mail is None or mail.state != COMPOSING:
                return None
            job = Job(
                mail_id=mail.id,
                kind=mail.kind,
                created=mail.created,
                facts=json.loads(mail.facts),
                recipient=(mail.recipient_name, mail.recipient),
                sender=first_admin(session),
                options=read_options(session, self.defaults),
            )
            if mail.kind == INBOUND:
                fax = session.get(InboundFax, mail.inbound_id)
                if fax is not None and fax.has_document:
                    job.document = self.store.inbound(fax.id)
            elif mail.fax_id is not None:
                stmt = select(FaxEntry).where(FaxEntry.fax_id == mail.fax_id, FaxEntry.number == mail.entry_number)
                job.entry = entry = session.scalars(stmt).one_or_none()
                if entry is not None:  # kept as read: a read unit ends with a rollback, which expires what it holds
                    session.expunge(entry)
                    session.expunge(entry.fax)  # (with its attachments)
            return job

    # -- what each mail says and carries --------------------------------------------------------------------------
    def _write(self, job: Job) -> list[Written]:
        from emulator.mail import compose  # (the email package is loaded once there is a mail to write)

        drafts = self._inbound(job) if job.kind == INBOUND else [self._receipt(job)]
        stamp = f"{job.mail_id}.{{}}" if len(drafts) > 1 else f"{job.mail_id}"
        return [
            compose.write_message(stamp.format(number), job.created, self.zone, job.sender, job.recipient, draft)
            for number, draft in enumerate(drafts, start=1)
        ]

    def _receipt(self, job: Job) -> Draft:
        from emulator.mail import compose

        facts, wanted = job.facts, job.facts.get("receipt_attachment", "none")
        attached, note = None, ""
        if wanted != "none":
            fmt = "pdf" if wanted == "pdf" else "tiff"
            try:
                attached = self._preview(job.entry, fmt, f"{facts['faxkey']}-{facts['entrykey']}")
                note = f"The fax as transmitted is attached ({attached.filename})."
            except ConversionError as exc:
                note = f"The fax could not be attached: {exc}."
        return compose.receipt_draft(self.templates, facts, attached, note)

    def _preview(self, entry: FaxEntry | None, fmt: str, name: str) -> Attachment:
        from emulator.mail.compose import Attachment

        path = self.preprocessor.preview(entry) if entry is not None else None
        if path is None:
            raise ConversionError("its documents were never converted")
        if fmt == "pdf":
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # a cached preview, evicted meanwhile: rendered again
                data = self.preprocessor.preview(entry).read_bytes()  # type: ignore[union-attr]
            return Attachment(f"{name}.pdf", "application/pdf", data)
        [(data, _first, _last)] = self._files(path, "tiff", 0)
        return Attachment(f"{name}.tif", "image/tiff", data)

    def _inbound(self, job: Job) -> list[Draft]:
        from emulator.mail import compose

        facts, options = job.facts, job.options
        log_file = compose.modem_log(self.templates, facts, self.lines) if facts["result"] == "partial" else None
        stem, note = f"fax{facts['inbound_id']}_{facts['end_stamp']}", ""

        def drafts(files: list[Attachment], note: str = "") -> list[Draft]:
            name = job.recipient[0] or job.recipient[1]
            details = options.email_fax_details
            return compose.inbound_drafts(self.templates, facts, name, files, details=details, note=note,
                                          modem_log=log_file)  # fmt: skip

        if job.document is None:
            return drafts([], "The fax's pages are no longer stored.")
        formats = [options.fax_output_format] + (["pdf"] if options.fax_output_format == "tiff" else [])
        for fmt in formats:
            budget = self._file_budget(job, drafts, stem, fmt)
            try:
                found = self._files(job.document, fmt, budget)
            except ConversionError as exc:
                note = f"The fax could not be written as {fmt.upper()}: {exc}."
                continue
            return drafts([self._fax_file(stem, fmt, n, len(found), data) for n, (data, _f, _l) in enumerate(found, 1)])
        return drafts([], note)

    def _file_budget(self, job: Job, drafts: Callable[[list[Attachment]], list[Draft]], stem: str, fmt: str) -> int:
        """Bytes of the fax's file one mail may carry for the whole mail (headers, text, modem log, the file in
        base64) to stay within the Email Size Limit, as a server's maximum message size counts it; 0: no limit."""
        from emulator.mail import compose

        limit = job.options.size_limit_bytes
        if not limit:
            return 0
        empty = drafts([self._fax_file(stem, fmt, n, 2, b"") for n in (1, 2)])[0]  # (the first part: the modem log)
        ident = f"{job.mail_id}.{MAX_PARTS}"
        bare = compose.write_message(ident, job.created, self.zone, job.sender, job.recipient, empty)
        room = limit - len(bare.data) - SPLIT_MARGIN
        return max(1, room // BASE64_LINE * BASE64_BYTES)  # (1: every page alone)

    @staticmethod
    def _fax_file(stem: str, fmt: str, number: int, count: int, data: bytes) -> Attachment:
        from emulator.mail.compose import Attachment

        suffix = f"_part{number}" if count > 1 else ""
        if fmt == "tiff":
            return Attachment(f"{stem}{suffix}.tif", "image/tiff", data)
        return Attachment(f"{stem}{suffix}.pdf", "application/pdf", data)

    def _files(self, source: Path, fmt: str, limit: int) -> list[tuple[bytes, int, int]]:
        """The fax ``source`` as ``fmt`` files within ``limit`` bytes each, made in a conversion worker."""
        prefix = self.store.incoming_file()
        made: list[tuple[Path, int, int]] = []
        try:
            made = worker.run(FAX_FILES, (source, fmt, limit, prefix), self.limits)
            return [(path.read_bytes(), first, last) for path, first, last in made]
        finally:
            prefix.unlink(missing_ok=True)
            for path in prefix.parent.glob(prefix.name + "-*"):
                path.unlink(missing_ok=True)

    # -- putting it in place --------------------------------------------------------------------------------------
    def _install(self, job: Job, epoch: int, written: list[Written], scratch: list[Path]) -> int:
        with self.works() as work:
            session = work.session
            mail = mail_if(self.works, session, job.mail_id, epoch, COMPOSING)
            if mail is None:
                return 0
            rows = [mail] + [_copy(mail) for _ in written[1:]]
            session.add_all(rows[1:])
            session.flush()
            for part, (row, message, path) in enumerate(zip(rows, written, scratch, strict=True), start=1):
                self._place(work, row, message, path)
                row.sender = job.sender[1]
                row.part, row.parts = part, len(rows)
                self._start(row)
                work.emit(MailChanged(row.id, row.state))
            work.emit(*(MailQueued(row.id, row.kind) for row in rows[1:]))
        return len(rows)

    def _place(self, work: UnitOfWork, row: Mail, message: Written, scratch: Path) -> None:
        target = self.store.mail(row.id)
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch.replace(target)
        self.quota.stored_file(work, target)
        row.headers = json.dumps(message.headers)
        row.text = message.text
        row.attachments = json.dumps(message.attachments)
        row.size = len(message.data)

    def _start(self, row: Mail) -> None:
        """Where a composed mail goes: nowhere without an address, else to the SMTP server or the queue alone."""
        if not row.recipient:
            row.state, row.last_error = FAILED, f"not sent: no e-mail address for {row.recipient_name or 'the sender'}"
        elif self.delivers():
            row.state, row.next_attempt_at = QUEUED, row.created
        else:
            row.state = HELD

    def _give_up(self, mail_id: int, epoch: int, error: str) -> int:
        with self.works() as work:
            mail = mail_if(self.works, work.session, mail_id, epoch, COMPOSING)
            if mail is None:
                return 0
            mail.state, mail.last_error = FAILED, error
            work.emit(MailChanged(mail.id, mail.state))
        return 1


def _copy(mail: Mail) -> Mail:
    keep = ("created", "kind", "fax_id", "entry_number", "inbound_id", "recipient", "recipient_name", "facts")
    return Mail(state=COMPOSING, **{name: getattr(mail, name) for name in keep})
