from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from emulator.db.base import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(255), default="")
    email_address: Mapped[str] = mapped_column(String(255), default="")
    phone_number: Mapped[str] = mapped_column(String(255), default="")
    fax_number: Mapped[str] = mapped_column(String(255), default="")
    organization: Mapped[str] = mapped_column(String(255), default="")
    default_cover_page_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    default_cover_page_name: Mapped[str] = mapped_column(String(255), default="")
    priority: Mapped[int] = mapped_column(Integer, default=3)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    interval: Mapped[int] = mapped_column(Integer, default=300)
    receipt: Mapped[str] = mapped_column(String(16), default="never")
    receipt_attachment: Mapped[str] = mapped_column(String(16), default="none")
