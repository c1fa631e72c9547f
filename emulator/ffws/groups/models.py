from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emulator.db.base import Base


class ContactGroup(Base):
    __tablename__ = "contact_groups"
    __table_args__ = (
        # Listed by name or description (ORDER BY field, id): read in index order up to the limit.
        Index("ix_contact_groups_owner_name", "owner", "name"),
        Index("ix_contact_groups_owner_description", "owner", "description"),
        # IDs are never reused: a deleted contact's URL must not start naming another one.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    members: Mapped[list[GroupMember]] = relationship(
        order_by="GroupMember.position", cascade="all, delete-orphan", lazy="selectin"
    )


class GroupMember(Base):
    """A contact in a group, in the order the client listed it. Deleting the contact removes the membership."""

    __tablename__ = "contact_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    contact_owner: Mapped[str] = mapped_column(String(64))
