"""What puts a mail in the queue: a fax entry reaching a final state (a receipt, by the fax's ``receipt``) and a
received fax whose call ended (one mail per recipient of its route). Each runs inside the transaction that made it
happen (EventBus.subscribe_within), in a savepoint: the mail is queued if and only if the change commits, and the
request or queue step that made it waits for nothing but one insert. The mail is composed later."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.device import models as m
from emulator.device.inbound import RESULT_MESSAGES, InboundFax
from emulator.device.models import FaxEntry
from emulator.device.outcomes import PAGE_SECONDS
from emulator.device.store import entrykey_text, faxkey_text
from emulator.events import EntryStateChanged, MailQueued, ReceptionEnded
from emulator.ffws.users import service as users
from emulator.mail.models import COMPOSING, INBOUND, RECEIPT, Mail
from emulator.wire.times import format_time

log = logging.getLogger("emulator.mail")

# Which final states each receipt policy reports. "failure" is every way a fax can end without being sent; the
# guide's own values are never/failure, "always" and "success" are seen in clients and the web UI (Q-ELM-2).
RECEIPT_STATES = {
    "never": frozenset(),
    "failure": frozenset({m.FAILED, m.DEAD, m.ABORTED}),
    "success": frozenset({m.SENT}),
    "always": m.FINAL_STATES,
}


def receipt_wanted(policy: str, state: str) -> bool:
    return state in RECEIPT_STATES.get(policy, frozenset())


class Enqueue:
    def __init__(self, zone: ZoneInfo, line_word: str) -> None:
        self.zone = zone
        self.line_word = line_word

    def entry_changed(self, event: EntryStateChanged, work: Any) -> None:
        if event.state in m.FINAL_STATES:
            _in_savepoint(work, lambda session: self._receipt(session, event))

    def reception_ended(self, event: ReceptionEnded, work: Any) -> None:
        if event.result != "failure":  # no page came: there is nothing to mail
            _in_savepoint(work, lambda session: self._received(session, event.inbound_id))

    # -- receipts ---------------------------------------------------------------------------------------------
    def _receipt(self, session: Session, event: EntryStateChanged) -> list[Mail]:
        stmt = select(FaxEntry).where(FaxEntry.fax_id == event.fax_id, FaxEntry.number == event.number)
        entry = session.scalars(stmt).one_or_none()
        if entry is None or entry.state != event.state or not receipt_wanted(entry.fax.receipt, entry.state):
            return []
        fax = entry.fax
        mail = Mail(
            created=entry.completed_at or entry.stime,
            kind=RECEIPT,
            fax_id=fax.id,
            entry_number=entry.number,
            recipient=fax.sender_email_address.strip(),
            recipient_name=fax.sender_name,
            facts=json.dumps(self._receipt_facts(entry), sort_keys=True),
            state=COMPOSING,
        )
        return [mail]

    def _receipt_facts(self, entry: FaxEntry) -> dict[str, Any]:
        fax = entry.fax
        return {
            "faxkey": faxkey_text(fax.id),
            "entrykey": entrykey_text(entry.number),
            "state": entry.state,
            "schedule_message": entry.schedule_message,
            "recipient_name": entry.recipient_name or entry.recipient_fax_number,
            "recipient_organization": entry.recipient_organization,
            "fax_number": entry.recipient_fax_number,
            "subaddress": entry.subaddress,
            "pages": entry.pages,
            "try_number": entry.try_number,
            "max_tries": fax.max_tries,
            "created": format_time(fax.created, self.zone),
            "completed": format_time(entry.completed_at, self.zone),
            "username": fax.owner,
            "sender_name": fax.sender_name,
            "subject": fax.subject,
            "agent": fax.agent,
            "receipt": fax.receipt,
            "receipt_attachment": fax.receipt_attachment,
        }

    # -- received faxes ---------------------------------------------------------------------------------------
    def _received(self, session: Session, inbound_id: int) -> list[Mail]:
        fax = session.get(InboundFax, inbound_id)
        if fax is None or not fax.has_document:
            return []
        facts = json.dumps(self._inbound_facts(fax), sort_keys=True)
        mails, seen = [], set()
        for address, name in _destinations(session, fax):
            if address and address.lower() in seen:
                continue  # one mail per address, whoever the route names it for
            seen.add(address.lower())
            mail = Mail(
                created=fax.end_time,
                kind=INBOUND,
                inbound_id=fax.id,
                recipient=address,
                recipient_name=name,
                facts=facts,
                state=COMPOSING,
            )
            mails.append(mail)
        return mails

    def _inbound_facts(self, fax: InboundFax) -> dict[str, Any]:
        return {
            "inbound_id": fax.id,
            "remote_id": fax.remote_id,
            "caller_id": fax.caller_id,
            "extension": fax.extension,
            "line": fax.line_number,
            "line_word": self.line_word,
            "line_label": f"{self.line_word.capitalize()}:".ljust(13),
            "start_time": format_time(fax.start_time, self.zone),
            "connect_time": format_time(fax.connect_time, self.zone),
            "end_time": format_time(fax.end_time, self.zone),
            "end_stamp": fax.end_time.strftime("%Y%m%d-%H%M%S"),
            "duration": int((fax.end_time - fax.start_time).total_seconds()),
            "pages": fax.pages,
            "pages_planned": fax.pages_planned,
            "page_times": [
                format_time(fax.connect_time + timedelta(seconds=PAGE_SECONDS * n), self.zone)
                for n in range(1, fax.pages + 1)
            ],
            "result": fax.result,
            "result_message": RESULT_MESSAGES.get(fax.result, fax.result),
            "recipients": ", ".join(p for p in [fax.recipient, fax.emails] if p),
        }


def _destinations(session: Session, fax: InboundFax) -> list[tuple[str, str]]:
    """(address, name) of every recipient: the route's users (their own address; "" when they have none), then its
    e-mail destinations (no name: the address says who)."""
    names = [name for name in fax.recipient.split(",") if name]
    named = users.users_named(session, names)
    found = []
    for name in names:
        user = named.get(name)
        if user is not None:
            found.append((user.email_address.strip(), user.name or user.username))
    found += [(address.strip(), "") for address in fax.emails.split(",") if address.strip()]
    return found


def _in_savepoint(work: Any, make: Callable[[Session], list[Mail]]) -> None:
    """The mails ``make`` builds, added in a savepoint of the emitting unit's transaction; if that fails the unit's
    own changes stand (logged: a mail lost is better than a fax that cannot move on)."""
    session: Session = work.session
    try:
        with session.begin_nested():
            mails = make(session)
            session.add_all(mails)
            session.flush()
    except Exception:
        log.exception("a mail could not be queued")
        return
    work.emit(*(MailQueued(mail.id, mail.kind) for mail in mails))


def first_admin(session: Session) -> tuple[str, str]:
    """(name, address) of the administrator, whom the box's mail comes from (the user admin, else the first
    administrator); an administrator without an address sends as faxfinder@localhost."""
    admin = users.first_admin(session)
    if admin is None:
        return "FaxFinder", DEFAULT_SENDER
    return admin.name or admin.username, admin.email_address.strip() or DEFAULT_SENDER


DEFAULT_SENDER = "faxfinder@localhost"
