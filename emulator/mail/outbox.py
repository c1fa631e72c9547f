"""The mail queue as the control plane sees it: listing, one mail, clearing, flushing, the inbound-mail options;
and its upkeep (after a start or an import no mail is left where nothing moves it, the oldest finished mails are
forgotten past --outbox-size)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from emulator.db.work import Works
from emulator.device.quota import DiskQuota
from emulator.device.store import DocumentStore
from emulator.events import MailChanged
from emulator.ffws.fields import MAX_ID
from emulator.mail.models import FAILED, FINISHED, HELD, QUEUED, SENDING, Mail
from emulator.mail.options import MailOptions, read_options, write_options
from emulator.wire.times import format_time


class Outbox:
    def __init__(
        self,
        works: Works,
        store: DocumentStore,
        quota: DiskQuota,
        zone: ZoneInfo,
        defaults: MailOptions,
        size: int,
        *,
        delivers: bool,
    ) -> None:
        self.works = works
        self.store = store
        self.quota = quota
        self.zone = zone
        self.defaults = defaults
        self.size = size
        self.delivers = delivers  # an SMTP server is configured (--smtp-url)

    # -- the inbound-mail options -------------------------------------------------------------------------------
    def options(self) -> MailOptions:
        with self.works(write=False) as look:
            return read_options(look.session, self.defaults)

    def change_options(self, changes: dict[str, Any]) -> MailOptions:
        """The fields given changed, all or none (ValueError names the first that is wrong)."""
        with self.works() as work:
            current = read_options(work.session, self.defaults)
            options = MailOptions(**{**current.as_json(), **changes})
            write_options(work.session, options)
        return options

    # -- reading ------------------------------------------------------------------------------------------------
    def mails(self, state: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        stmt = select(Mail).order_by(Mail.id)
        if state is not None:
            stmt = stmt.where(Mail.state == state)
        if kind is not None:
            stmt = stmt.where(Mail.kind == kind)
        with self.works(write=False) as look:
            return [self.shown(mail) for mail in look.session.scalars(stmt)]

    def mail(self, mail_id: int) -> dict[str, Any] | None:
        if not 0 < mail_id <= MAX_ID:  # (no table holds it; PostgreSQL's INTEGER could not even compare it)
            return None
        with self.works(write=False) as look:
            mail = look.session.get(Mail, mail_id)
            return self.shown(mail) if mail is not None else None

    def message(self, mail_id: int) -> bytes | None:
        """The message of a composed mail, as it is (or was) sent; None when there is none (yet)."""
        if not 0 < mail_id <= MAX_ID:
            return None
        with self.works(write=False) as look:
            mail = look.session.get(Mail, mail_id)
            if mail is None or not mail.size:
                return None
        try:
            return self.store.mail(mail_id).read_bytes()
        except FileNotFoundError:  # forgotten meanwhile
            return None

    def shown(self, mail: Mail) -> dict[str, Any]:
        headers = json.loads(mail.headers)
        first = {name.lower(): value for name, value in reversed(headers)}
        return {
            "id": mail.id,
            "kind": mail.kind,
            "state": mail.state,
            "created": self._time(mail.created),
            "fax_entry": f"{mail.fax_id:08X}/{mail.entry_number:04X}" if mail.fax_id is not None else None,
            "inbound_id": mail.inbound_id,
            "part": mail.part,
            "parts": mail.parts,
            "from": first.get("from", ""),
            "to": first.get("to", mail.recipient),
            "subject": first.get("subject", ""),
            "headers": [{"name": name, "value": value} for name, value in headers],
            "text": mail.text,
            "attachments": json.loads(mail.attachments),
            "size": mail.size,
            "attempts": mail.attempts,
            "next_attempt": self._time(mail.next_attempt_at) if mail.state == QUEUED else None,
            "last_attempt": self._time(mail.last_attempt_at),
            "delivered": self._time(mail.delivered_at),
            "last_error": mail.last_error,
        }

    def _time(self, when: datetime | None) -> str | None:
        return format_time(when, self.zone) if when is not None else None

    def next_due(self) -> datetime | None:
        with self.works(write=False) as look:
            stmt = select(func.min(Mail.next_attempt_at)).where(Mail.state == QUEUED)
            return look.session.scalar(stmt)

    # -- changing -----------------------------------------------------------------------------------------------
    def clear(self) -> int:
        """Every mail forgotten, its message too (one being sent still goes: its end changes nothing)."""
        with self.works() as work:
            ids = list(work.session.scalars(select(Mail.id)))
            work.session.execute(delete(Mail))
            work.on_commit(lambda: self._forget_files(ids))
            work.emit(MailChanged(None, "cleared"))
        return len(ids)

    def flush(self, now: datetime) -> int:
        """Every mail waiting for its next try is due now, and every mail held or refused by a server is queued
        again (the server's settings may have been fixed since): how many. Nothing where no server is configured."""
        if not self.delivers:
            return 0
        with self.works() as work:
            refused = (Mail.state == FAILED) & (Mail.attempts > 0)
            waiting = Mail.state.in_((QUEUED, HELD)) | refused
            stmt = select(Mail).where(waiting, Mail.recipient != "")
            mails = list(work.session.scalars(stmt))
            for mail in mails:
                mail.state, mail.next_attempt_at = QUEUED, now
                work.emit(MailChanged(mail.id, mail.state, mail.attempts))
        return len(mails)

    def unstick(self, session: Session) -> int:
        """After a start or a replaced state (a crash, a restart with other settings, a snapshot's import), every
        mail where something will move it: one being sent is tried again (the server may have it already: at least
        once, never lost); with a server, held mails are queued; without one, queued mails are held. How many moved.
        A mail keeps its time of next try (long past for a held one: it is due at once)."""
        if self.delivers:
            stmt = (
                update(Mail)
                .where((Mail.state == SENDING) | ((Mail.state == HELD) & (Mail.recipient != "")))
                .values(state=QUEUED, next_attempt_at=func.coalesce(Mail.next_attempt_at, Mail.created))
            )
        else:
            stmt = update(Mail).where(Mail.state.in_((SENDING, QUEUED))).values(state=HELD)
        return session.execute(stmt).rowcount or 0

    def prune(self) -> int:
        """Past --outbox-size mails, the oldest finished ones (delivered, held, failed) are forgotten."""
        with self.works(write=False) as look:
            excess = (look.session.scalar(select(func.count(Mail.id))) or 0) - self.size
        if excess <= 0:
            return 0
        with self.works() as work:
            stmt = select(Mail.id).where(Mail.state.in_(FINISHED)).order_by(Mail.id).limit(excess)
            ids = list(work.session.scalars(stmt))
            if ids:
                work.session.execute(delete(Mail).where(Mail.id.in_(ids)))
                work.on_commit(lambda: self._forget_files(ids))
        return len(ids)

    def _forget_files(self, ids: list[int]) -> None:
        for mail_id in ids:
            self.store.mail(mail_id).unlink(missing_ok=True)
        self.quota.invalidate()  # counted again when next needed
