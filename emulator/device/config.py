"""Device settings (12.4) and inbound routes (12.3): stored in the database, defaults here.

Each settings resource is a singleton JSON document. Modem settings hold one record per modem. What they change is
real: a disabled modem or SIP channel leaves the line pool, the routes decide who receives an inbound fax, and
``global_contacts_status`` decides whether non-admins may write the global phone book.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from emulator.db.base import Base

DEFAULTS: dict[str, dict[str, Any]] = {
    "t37_settings": {
        "enabled": False,
        "mail_server": "",
        "port": 110,
        "username": "",
        "password": "",
        "poll_interval": 60,
        "allowed_senders": "",
        "default_cover_page_name": "",
    },
    "sip_settings": {
        "enabled": True,
        "registrar": "",
        "proxy": "",
        "port": 5060,
        "transport": "udp",
        "username": "",
        "password": "",
        "realm": "",
        "register_interval": 3600,
        "channels": 0,  # 0: every licensed channel (--lines)
    },
    "t38_settings": {
        "enabled": True,
        "max_bit_rate": 14400,
        "ecm": True,
        "udptl_redundancy": 3,
        "jitter_buffer_ms": 60,
    },
    "global_contacts_status": {"non_admin_can_add": False},
}
MODEM_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "country_code": "US",
    "answer_on": 1,
    "routing": "pots_line",
    "max_extension_digits": 4,
    "station_id": "",
}


class DeviceSetting(Base):
    __tablename__ = "device_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class InboundRoute(Base):
    __tablename__ = "inbound_routes"
    # IDs are never reused: a deleted contact's URL must not start naming another one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    line_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    extension: Mapped[str] = mapped_column(String(15), default="")
    name: Mapped[str] = mapped_column(String(255), default="")
    destinations: Mapped[list[RouteDestination]] = relationship(
        order_by="RouteDestination.position", cascade="all, delete-orphan", lazy="selectin"
    )


class RouteDestination(Base):
    __tablename__ = "inbound_route_destinations"

    route_id: Mapped[int] = mapped_column(ForeignKey("inbound_routes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255), default="")


# The settings that hold a password; it is stored as an Argon2 hash (write-only: the box never gives it back).
SECRET_SETTINGS = ("t37_settings", "sip_settings")


def hash_plain_secret(stored: str, hash_password: Callable[[str], str]) -> str:
    """A stored settings document (its JSON text) with its password hashed, if it holds one in plain text (as the
    snapshots of earlier versions do)."""
    try:
        value = json.loads(stored)
    except ValueError:
        return stored
    password = value.get("password") if isinstance(value, dict) else None
    if not isinstance(password, str) or not password or password.startswith("$argon2"):
        return stored
    return json.dumps({**value, "password": hash_password(password)}, sort_keys=True)


def read_setting(session: Session, name: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """A settings document: what was stored, else ``defaults`` (the box's own, from its start-up settings), else
    the device's."""
    row = session.get(DeviceSetting, name)
    stored = json.loads(row.value) if row else {}
    return {**DEFAULTS[name], **(defaults or {}), **stored}


def write_setting(session: Session, name: str, value: dict[str, Any]) -> None:
    row = session.get(DeviceSetting, name)
    text = json.dumps(value, sort_keys=True)
    if row is None:
        session.add(DeviceSetting(name=name, value=text))
    else:
        row.value = text


def read_modems(session: Session, count: int) -> list[dict[str, Any]]:
    row = session.get(DeviceSetting, "modem_settings")
    stored = json.loads(row.value) if row else {}
    return [{"modem_number": n, **MODEM_DEFAULTS, **stored.get(str(n), {})} for n in range(1, count + 1)]


def write_modems(session: Session, modems: list[dict[str, Any]]) -> None:
    write_setting(
        session,
        "modem_settings",
        {str(m["modem_number"]): {k: v for k, v in m.items() if k != "modem_number"} for m in modems},
    )


def enabled_lines(session: Session, count: int, is_ip: bool) -> list[int]:
    """The lines the box may use: enabled modems, or the SIP channels in service."""
    if is_ip:
        sip = read_setting(session, "sip_settings")
        if not sip["enabled"]:
            return []
        channels = sip["channels"] or count
        return list(range(1, min(channels, count) + 1))
    return [m["modem_number"] for m in read_modems(session, count) if m["enabled"]]


def global_list_open(session: Session) -> bool:
    """May non-admin users write the global phone book? (device setting global_contacts_status)."""
    return bool(read_setting(session, "global_contacts_status")["non_admin_can_add"])
