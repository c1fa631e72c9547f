"""The box's mail queue, as its Mail Queue page shows it: the e-mail it has to send (received faxes delivered to an
address, notifications), each with its state.

What the page needs is this small interface, so that the page does not depend on how mail is kept. A box without
e-mail has ``NoMail``: supported is False and the queue is always empty. A box that sends mail gives ``Box`` a
``MailQueue`` reading its own outbox (``queued`` in the caller's unit of work, newest first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class QueuedMail:
    id: str
    to: str
    subject: str
    state: str  # queued, sending, sent, failed… as the outbox says
    queued_at: datetime | None = None
    attempts: int = 0
    message: str = ""  # why the last attempt failed, say


class MailQueue(Protocol):
    supported: bool  # whether the box sends e-mail at all

    def queued(self, session: Session) -> list[QueuedMail]: ...


class NoMail:
    """A box that sends no e-mail: its queue is always empty."""

    supported = False

    def queued(self, session: Session) -> list[QueuedMail]:
        return []
