"""Composing the queued mails: each mail's files are made outside the queue's lock (emulator.mail.contents: previews
and TIFFs in conversion workers, within the box's budgets), its message written aside, then put in place with its row
in one short transaction, unless a reset or an import replaced the state meanwhile. A mail split by the size limit
becomes several rows."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from emulator.db.work import UnitOfWork, Works
from emulator.device.inbound import InboundFax
from emulator.device.models import FaxEntry
from emulator.device.preprocess import Preprocessor
from emulator.device.quota import DiskQuota, disk_full
from emulator.device.store import DocumentStore
from emulator.documents.limits import Limits
from emulator.events import MailChanged, MailQueued
from emulator.mail.contents import Contents, Job
from emulator.mail.enqueue import first_admin
from emulator.mail.models import COMPOSING, FAILED, HELD, INBOUND, QUEUED, Mail, mail_if
from emulator.mail.options import MailOptions, read_options
from emulator.mail.templates import Templates

if TYPE_CHECKING:
    from emulator.mail.compose import Written

log = logging.getLogger("emulator.mail")


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
        delivers: bool,
    ) -> None:
        self.works, self.store, self.quota = works, store, quota
        self.defaults = defaults
        self.contents = Contents(store, preprocessor, templates, zone, lines, limits)
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
                written = self.contents.write(job)
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
        elif self.delivers:
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
