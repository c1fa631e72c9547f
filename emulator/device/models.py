"""The tables of the simulated box: the outbound queue (faxes, entries), attempts, calls, counters, the clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emulator.db.base import Base
from emulator.events import EntryStateChanged

# Entry states of the device (09 §9.3).
PREPROCESSING = "preprocessing"
APPROVAL_PENDING = "approval_pending"
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
ABORTED = "aborted"
FAILED = "failed"
DEAD = "dead"
FINAL_STATES = frozenset({SENT, ABORTED, FAILED, DEAD})
OPEN_STATES = (PREPROCESSING, APPROVAL_PENDING, PENDING, SENDING)  # not final yet: the queue


class Fax(Base):
    """One scheduled fax (FAXKEY): what was asked, shared by all its entries."""

    __tablename__ = "faxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the FAXKEY, as a number
    owner: Mapped[str] = mapped_column(String(64), index=True)
    created: Mapped[datetime] = mapped_column(DateTime)
    agent: Mapped[str] = mapped_column(String(32), default="FFWS")
    cover_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    cover_name: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    sender_name: Mapped[str] = mapped_column(String(255), default="")
    sender_organization: Mapped[str] = mapped_column(String(255), default="")
    sender_phone_number: Mapped[str] = mapped_column(String(255), default="")
    sender_fax_number: Mapped[str] = mapped_column(String(255), default="")
    sender_email_address: Mapped[str] = mapped_column(String(255), default="")
    max_tries: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    try_interval: Mapped[int] = mapped_column(Integer)
    receipt: Mapped[str] = mapped_column(String(16))
    receipt_attachment: Mapped[str] = mapped_column(String(16))
    # Pages of the attachments once converted (the cover page is counted per entry).
    document_pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conversion_error: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.position", cascade="all, delete-orphan", lazy="selectin"
    )
    entries: Mapped[list[FaxEntry]] = relationship(
        order_by="FaxEntry.number", back_populates="fax", cascade="all, delete-orphan"
    )


class Attachment(Base):
    __tablename__ = "fax_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fax_id: Mapped[int] = mapped_column(ForeignKey("faxes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(1024))
    content_type: Mapped[str] = mapped_column(String(255))
    location: Mapped[str] = mapped_column(String(16), default="inline")
    url: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


def _owner_of_fax(context: DefaultExecutionContext) -> str | None:
    """An entry inserted without an owner (a snapshot of an older box, say) gets its fax's."""
    fax_id = context.get_current_parameters()["fax_id"]
    return context.connection.scalar(select(Fax.owner).where(Fax.id == fax_id))


class FaxEntry(Base):
    """One recipient of a fax (ENTRYKEY): its own state, tries and pages."""

    __tablename__ = "fax_entries"
    __table_args__ = (
        UniqueConstraint("fax_id", "number"),
        # The lists of entries (GET /ofax, outbound_status) read one of these in their own order, for everyone's
        # entries or one owner's, and stop at what they return: the entries not final yet by state, the newest
        # final ones by completed_at (set exactly when an entry becomes final).
        Index("ix_fax_entries_state_key", "state", "fax_id", "number"),
        Index("ix_fax_entries_owner_state_key", "owner", "state", "fax_id", "number"),
        Index("ix_fax_entries_completed_key", "completed_at", "fax_id", "number"),
        Index("ix_fax_entries_owner_completed_key", "owner", "completed_at", "fax_id", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fax_id: Mapped[int] = mapped_column(ForeignKey("faxes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the ENTRYKEY, as a number
    # The fax's owner, copied so that one user's entries are found by index (set when the entry is created).
    owner: Mapped[str] = mapped_column(String(64), default=_owner_of_fax, server_default="")
    recipient_name: Mapped[str] = mapped_column(String(255), default="")
    recipient_organization: Mapped[str] = mapped_column(String(255), default="")
    recipient_fax_number: Mapped[str] = mapped_column(String(255), default="")
    recipient_phone_number: Mapped[str] = mapped_column(String(255), default="")
    # A T.33 sub-address (sent in the call's SUB frame, not dialled): fax by e-mail's T33S option; no FFWS element.
    subaddress: Mapped[str] = mapped_column(String(20), default="", server_default="")
    state: Mapped[str] = mapped_column(String(32))
    schedule_message: Mapped[str] = mapped_column(Text, default="")
    stime: Mapped[datetime] = mapped_column(DateTime)
    try_number: Mapped[int] = mapped_column(Integer, default=1)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(32))  # what the emulated far end will do
    # When the queue must next look at this entry (end of preprocessing, send time, end of the current call).
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    approver: Mapped[str] = mapped_column(String(64), default="")
    approval_time: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    fax: Mapped[Fax] = relationship(back_populates="entries", lazy="joined")

    def changed(self, previous: str = "", line: int | None = None) -> EntryStateChanged:
        """The event of this entry's move from ``previous`` to its state now."""
        return EntryStateChanged(
            self.fax_id, self.number, self.state, previous, self.owner, self.recipient_fax_number, self.pages,
            self.try_number, self.schedule_message, line, self.fax.agent,
        )  # fmt: skip

    def complete(self, state: str, message: str, now: datetime) -> None:
        """Into a final state at ``now``: nothing more is due."""
        self.state = state
        self.schedule_message = message
        self.stime = now
        self.due_at = None
        self.completed_at = now


class Attempt(Base):
    """One try of an entry on a line. Open while the call lasts; the outbound log shows the finished ones."""

    __tablename__ = "attempts"
    __table_args__ = (
        # The outbound log (everyone's or one owner's finished tries, by start time) and the calls still open.
        Index("ix_attempts_finished_start_time", "finished", "start_time"),
        Index("ix_attempts_owner_finished_start_time", "owner", "finished", "start_time"),
        # An entry's tries: its latest finished one (include_modem_info), its open one.
        Index("ix_attempts_entry_id_finished", "entry_id", "finished"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("fax_entries.id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(String(64))
    try_number: Mapped[int] = mapped_column(Integer)
    line_number: Mapped[int] = mapped_column(Integer)
    fax_number: Mapped[str] = mapped_column(String(255))
    start_time: Mapped[datetime] = mapped_column(DateTime)
    connect_time: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    end_time: Mapped[datetime] = mapped_column(DateTime)
    page_seconds: Mapped[int] = mapped_column(Integer, default=30)
    pages_planned: Mapped[int] = mapped_column(Integer, default=0)
    pages_sent: Mapped[int] = mapped_column(Integer, default=0)
    baud_rate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remote_id: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[str] = mapped_column(String(32))
    result_message: Mapped[str] = mapped_column(Text, default="")
    call_result: Mapped[str] = mapped_column(String(32))
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    entry: Mapped[FaxEntry] = relationship(lazy="joined")


class Call(Base):
    """The call log: every call placed or received, including the ones that never became a fax."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(64), default="", index=True)
    start_time: Mapped[datetime] = mapped_column(DateTime, index=True)
    end_time: Mapped[datetime] = mapped_column(DateTime)
    line_number: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(255), default="")
    remote_id: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[str] = mapped_column(String(32))


class Counter(Base):
    """Box-wide counters (the FAXKEY sequence)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class ClockState(Base):
    """The emulated clock as last seen, so a restart never moves time backwards."""

    __tablename__ = "clock_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    now: Mapped[datetime] = mapped_column(DateTime)


class DocumentGeneration(Base):
    """Which set of stored documents belongs to these rows (see emulator.device.store): one row, written in the
    transaction that replaces the whole state; none before the first reset or import."""

    __tablename__ = "document_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(32))
