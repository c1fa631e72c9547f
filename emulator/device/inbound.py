"""Simulated received faxes: a call arrives, takes a free line for its emulated duration, is routed, and lands in
the inbound log with its document. With every line busy the caller hears busy and only the call log remembers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from emulator import documents
from emulator.db.base import Base
from emulator.device.config import InboundRoute
from emulator.device.models import Call
from emulator.device.outcomes import DIAL_SECONDS, PAGE_SECONDS
from emulator.device.store import DocumentStore

RESULT_MESSAGES = {
    "success": "Fax received",
    "failure": "Reception failed: no pages received",
    "partial": "Reception incomplete: the line dropped",
}


class InboundFax(Base):
    __tablename__ = "inbound_faxes"
    __table_args__ = (
        # The inbound log (finished faxes by start time) and the faxes being received (finished false).
        Index("ix_inbound_faxes_finished_start_time", "finished", "start_time"),
        # A user's count of them, by the recipient lists that name the user.
        Index("ix_inbound_faxes_recipient_finished", "recipient", "finished"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_time: Mapped[datetime] = mapped_column(DateTime, index=True)
    connect_time: Mapped[datetime] = mapped_column(DateTime)
    end_time: Mapped[datetime] = mapped_column(DateTime, index=True)
    line_number: Mapped[int] = mapped_column(Integer)
    remote_id: Mapped[str] = mapped_column(String(64), default="")
    caller_id: Mapped[str] = mapped_column(String(64), default="")
    extension: Mapped[str] = mapped_column(String(15), default="")
    recipient: Mapped[str] = mapped_column(Text, default="")  # usernames the route delivers to, comma-separated
    # E-mail addresses the route delivers to (its email destinations), comma-separated; decided when the call came.
    emails: Mapped[str] = mapped_column(Text, default="", server_default="")
    pages_planned: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)  # pages received once finished
    result: Mapped[str] = mapped_column(String(16))
    has_document: Mapped[bool] = mapped_column(Boolean, default=False)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class Arrival:
    remote_id: str = ""
    caller_id: str = ""
    extension: str = ""
    line: int | None = None
    pages: int = 1
    result: str = "success"


def route_recipient(session: Session, extension: str, line: int) -> tuple[str, str]:
    """12.3: a global route wins; else the recipient route of the dialled digits; else the line's; else admin.
    The users it goes to and the e-mail addresses it goes to, each comma-separated."""
    routes = list(session.scalars(select(InboundRoute).order_by(InboundRoute.id)))
    chosen = next((r for r in routes if r.type == "global"), None)
    chosen = chosen or next(
        (r for r in routes if r.type == "recipient" and extension and r.extension == extension), None
    )
    chosen = chosen or next((r for r in routes if r.type == "line" and r.line_number == line), None)
    if chosen is None:
        return "admin", ""
    users = ",".join(d.value for d in chosen.destinations if d.type == "user")
    return users, ",".join(d.value for d in chosen.destinations if d.type == "email")


def received_pages(arrival: Arrival) -> int:
    if arrival.result == "failure":
        return 0
    if arrival.result == "partial":
        return max(1, arrival.pages // 2) if arrival.pages > 1 else 0
    return arrival.pages


class InboundLine:
    """The inbound side of the line pool, as an event source of the queue."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def document(self, fax_id: int) -> Path:
        return self.store.inbound(fax_id)

    @staticmethod
    def receiving(session: Session) -> list[InboundFax]:
        """The faxes being received right now, oldest first."""
        stmt = select(InboundFax).where(InboundFax.finished.is_(False)).order_by(InboundFax.id)
        return list(session.scalars(stmt))

    def busy_lines(self, session: Session) -> set[int]:
        return {fax.line_number for fax in self.receiving(session)}

    def next_due(self, session: Session) -> datetime | None:
        return session.scalar(select(func.min(InboundFax.end_time)).where(InboundFax.finished.is_(False)))

    def arrive(self, session: Session, arrival: Arrival, free: list[int], now: datetime) -> InboundFax | Call:
        """A call comes in: it takes a line (the one asked for, or the first free one) or gets busy."""
        line = arrival.line if arrival.line is not None else (free[0] if free else None)
        if line is None or line not in free:
            call = Call(
                direction="inbound",
                start_time=now,
                end_time=now,
                line_number=line or 0,
                number=arrival.caller_id,
                remote_id=arrival.remote_id,
                result="busy",
            )
            session.add(call)
            session.flush()
            return call
        connect = now + timedelta(seconds=DIAL_SECONDS)
        pages = received_pages(arrival)
        end = connect + timedelta(seconds=PAGE_SECONDS * max(pages, 1 if arrival.result != "failure" else 0))
        users, emails = route_recipient(session, arrival.extension, line)
        fax = InboundFax(
            start_time=now,
            connect_time=connect,
            end_time=end,
            line_number=line,
            remote_id=arrival.remote_id,
            caller_id=arrival.caller_id,
            extension=arrival.extension,
            recipient=users,
            emails=emails,
            pages_planned=arrival.pages,
            pages=pages,
            result=arrival.result,
            has_document=pages > 0,
        )
        session.add(fax)
        session.flush()
        return fax

    def finish_due(self, session: Session, now: datetime) -> list[InboundFax]:
        """Every reception whose call ends by ``now``, ended (and logged as a call); the faxes ended."""
        stmt = select(InboundFax).where(InboundFax.finished.is_(False), InboundFax.end_time <= now)
        finished = []
        for fax in session.scalars(stmt.order_by(InboundFax.end_time, InboundFax.id)):
            fax.finished = True
            session.add(
                Call(
                    direction="inbound",
                    owner=fax.recipient,
                    start_time=fax.start_time,
                    end_time=fax.end_time,
                    line_number=fax.line_number,
                    number=fax.caller_id,
                    remote_id=fax.remote_id,
                    result="fax" if fax.result != "failure" else "failed",
                )
            )
            finished.append(fax)
        return finished

    def pages_so_far(self, fax: InboundFax, now: datetime) -> int:
        if now < fax.connect_time:
            return 0
        return min(fax.pages, int((now - fax.connect_time).total_seconds() // PAGE_SECONDS) + 1)

    @staticmethod
    def prepare_document(arrival: Arrival, pdf: Path | None, new_file: Callable[[], Path]) -> Path | None:
        """The document the box will keep for this arrival (the sender's pages that are received, or generated
        ones), rendered into a new file before any transaction; None when no page will be received."""
        pages = received_pages(arrival)
        if pages == 0:
            return None
        target = new_file()
        try:
            if pdf is None:
                title = f"Fax from {arrival.remote_id or arrival.caller_id or 'unknown'}"
                documents.placeholder_fax_pdf(pages, title, target)
            else:
                documents.first_pages(pdf, pages, target)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    def store_document(self, fax: InboundFax, prepared: Path | None) -> None:
        """Move the prepared document into its place (inside the transaction that records the fax)."""
        if not fax.has_document or prepared is None:
            return
        target = self.document(fax.id)
        target.parent.mkdir(parents=True, exist_ok=True)
        prepared.replace(target)
