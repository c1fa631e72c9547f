"""What workers that serve one box share beyond its state: the clock, the faults, the request journal, and the
versions that tell a worker its copies are stale. Not part of the box's state: a reset or an import sets them as
they should be, it does not wipe them, and a snapshot does not carry them (14-emulator-decisions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emulator.db import Base


class ClusterState(Base):
    """One row: versions bumped by whatever changes a shared thing, and the clock every worker reads."""

    __tablename__ = "cluster_state"
    __table_args__ = {"info": {"shared": True}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clock_version: Mapped[int] = mapped_column(Integer, default=0)
    faults_version: Mapped[int] = mapped_column(Integer, default=0)
    credentials_version: Mapped[int] = mapped_column(Integer, default=0)
    state_version: Mapped[int] = mapped_column(Integer, default=0)  # a reset or an import replaced the state
    random_draws: Mapped[int] = mapped_column(Integer, default=0)  # draws of the box's one random source (a reset: 0)
    manual: Mapped[bool] = mapped_column(Boolean)
    time_scale: Mapped[float] = mapped_column(Float)
    anchor_emulated: Mapped[datetime] = mapped_column(DateTime)  # emulated time at anchor_wall
    anchor_wall: Mapped[float] = mapped_column(Float)  # wall time (Unix seconds) of the anchor
    web_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the pages' cookie key (hex)


class ClusterFault(Base):
    __tablename__ = "cluster_faults"
    __table_args__ = {"info": {"shared": True}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    delay_ms: Mapped[int] = mapped_column(Integer)
    drop_connection: Mapped[bool] = mapped_column(Boolean)
    fax_number: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))
    times: Mapped[int | None] = mapped_column(Integer, nullable=True)
    probability: Mapped[float] = mapped_column(Float)
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    draws: Mapped[int] = mapped_column(Integer, default=0)  # the random draws made for it (its seed's next one)


class JournalEntry(Base):
    __tablename__ = "cluster_journal"
    __table_args__ = {"info": {"shared": True}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry: Mapped[str] = mapped_column(Text)  # the entry's fields but its bodies, as JSON
    request_body: Mapped[bytes] = mapped_column(LargeBinary)
    response_body: Mapped[bytes] = mapped_column(LargeBinary)


class WebLogout(Base):
    """A web session ended by logging out, until its cookie would have expired anyway (wall time, Unix seconds)."""

    __tablename__ = "cluster_web_logouts"
    __table_args__ = {"info": {"shared": True}}

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[float] = mapped_column(Float)
