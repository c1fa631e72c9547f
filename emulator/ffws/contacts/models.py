from __future__ import annotations

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from emulator.db.base import Base

GLOBAL_OWNER = "global_contact_list"


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # A phone book listed in the order asked for (ORDER BY field, id) reads its index and stops at the limit.
        Index("ix_contacts_owner_name", "owner", "name"),
        Index("ix_contacts_owner_fax_number", "owner", "fax_number"),
        Index("ix_contacts_owner_phone_number", "owner", "phone_number"),
        Index("ix_contacts_owner_organization", "owner", "organization"),
        # IDs are never reused: a deleted contact's URL must not start naming another one.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A username, or "global_contact_list" for the shared phone book.
    owner: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    fax_number: Mapped[str] = mapped_column(String(255), default="")
    phone_number: Mapped[str] = mapped_column(String(255), default="")
    organization: Mapped[str] = mapped_column(String(255), default="")
