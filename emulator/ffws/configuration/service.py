"""The rules of the box's configuration: what a change may be, and writing it (12.3–12.4)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.orm import Session

from emulator.device import config
from emulator.ffws.configuration import inbound_routes as routes
from emulator.ffws.configuration.settings import check


def edit_setting(
    session: Session, name: str, values: dict[str, Any], *, lines: int, cover_pages: Collection[str]
) -> None:
    """Change the fields sent of one settings document; an invalid result is refused before anything is written."""
    if values.get("password") == "":
        del values["password"]  # it is returned empty: writing back what was read must not erase it
    merged = {**config.read_setting(session, name), **values}
    check(name, merged, lines=lines, cover_pages=cover_pages)
    config.write_setting(session, name, merged)


def edit_modem(session: Session, number: int, values: dict[str, Any], *, lines: int) -> None:
    """Change the fields sent of one modem's settings (a disabled modem leaves the line pool)."""
    modems = config.read_modems(session, lines)
    modems[number - 1] = {**modems[number - 1], **values}
    check("modem_settings", modems[number - 1], lines=lines, cover_pages=())
    config.write_modems(session, modems)


def delete_route(session: Session, raw_id: str) -> None:
    session.delete(routes.get_route(session, raw_id))
