"""The mail queue: one row per mail, its message (RFC 5322) stored as a document, ``mail/ID.eml``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from emulator.db.base import Base

if TYPE_CHECKING:
    from emulator.db.work import Works

# A mail's life: composing (queued by the event that asks for it; its message is not written yet) → queued (waiting
# for its next try with --smtp-url) ⇄ sending → delivered | failed; held: composed where no SMTP server is configured,
# it stays in the queue only (until a server is configured: emulator.mail.outbox.unstick). failed is also a mail that
# has no address to go to.
COMPOSING, QUEUED, SENDING, DELIVERED, FAILED, HELD = "composing", "queued", "sending", "delivered", "failed", "held"
STATES = (COMPOSING, QUEUED, SENDING, DELIVERED, FAILED, HELD)
FINISHED = (DELIVERED, FAILED, HELD)
RECEIPT, INBOUND = "receipt", "inbound"


class Mail(Base):
    __tablename__ = "mail_queue"
    # IDs are never reused (until a reset): a delivery that ends after the queue was emptied names no other mail.
    __table_args__ = (
        Index("ix_mail_queue_state_next_attempt_at", "state", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))
    fax_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a receipt's fax entry
    entry_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inbound_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a received fax
    recipient: Mapped[str] = mapped_column(String(255), default="")  # the To address ("" when there is none)
    recipient_name: Mapped[str] = mapped_column(String(255), default="")
    sender: Mapped[str] = mapped_column(String(255), default="")  # the envelope's (MAIL FROM), once composed
    # What the mail tells, as it was when it was queued (JSON): the entry or the reception may change afterwards.
    facts: Mapped[str] = mapped_column(Text, default="{}")
    part: Mapped[int] = mapped_column(Integer, default=1)
    parts: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Once composed: the headers (JSON list of [name, value]), the text, and the attachments (JSON list of
    # {filename, content_type, size, sha256}) as the message holds them, so listing never parses messages.
    headers: Mapped[str] = mapped_column(Text, default="[]")
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[str] = mapped_column(Text, default="[]")
    size: Mapped[int] = mapped_column(Integer, default=0)


def mail_if(works: Works, session: Session, mail_id: int, epoch: int, state: str) -> Mail | None:
    """The mail ``mail_id`` if it is still ``state`` and the whole state was not replaced since ``epoch`` (a reset,
    an import): work prepared meanwhile off the lock (a composed message, a try) is applied to it, else dropped."""
    mail = session.get(Mail, mail_id)  # (first: a writing unit takes the queue's lock here, then the epoch is sure)
    if works.epoch != epoch or mail is None or mail.state != state:
        return None
    return mail
