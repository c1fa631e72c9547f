"""The rules of the box's configuration: what a change may be, and writing it (12.3–12.4)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy.orm import Session

from emulator.db.work import UnitOfWork
from emulator.device import config
from emulator.device.config import RouteDestination
from emulator.events import LineChanged
from emulator.ffws.configuration import inbound_routes as routes
from emulator.ffws.configuration.settings import WRITE_ONLY, check

# The settings documents the line pool is made from (config.enabled_lines); modem settings are the other source.
LINE_SETTINGS = frozenset({"sip_settings"})


def view_setting(session: Session, name: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """A settings document as it is shown (``defaults``: the box's own for the fields never set; its write-only
    fields, a password, empty)."""
    value = config.read_setting(session, name, defaults)
    return {key: ("" if key in WRITE_ONLY else field) for key, field in value.items()}


def view_modems(session: Session, lines: int) -> list[dict[str, Any]]:
    """Every modem's settings, modem 1 first."""
    return config.read_modems(session, lines)


def edit_setting(
    work: UnitOfWork,
    name: str,
    values: dict[str, Any],
    hash_password: Callable[[str], str],
    *,
    lines: int,
    cover_pages: Collection[str],
    defaults: dict[str, Any] | None = None,
) -> None:
    """Change the fields sent of one settings document (``defaults``: the box's own for the fields never set); an
    invalid result is refused before anything is written.

    A password (SIP, T.37) is write-only and nothing in the emulator uses it, so only its Argon2 hash is stored: an
    export or a copy of the database does not show it. It is hashed before the transaction opens, as a user's is."""
    if values.get("password") == "":
        del values["password"]  # it is returned empty: writing back what was read must not erase it
    if "password" in values:
        values["password"] = hash_password(values["password"])
    session = work.session
    merged = {**config.read_setting(session, name, defaults), **values}
    check(name, merged, lines=lines, cover_pages=cover_pages)
    config.write_setting(session, name, merged)
    if name in LINE_SETTINGS:
        work.emit(LineChanged())  # SIP on or off, or another number of channels: possibly every line


def edit_modem(work: UnitOfWork, number: int, values: dict[str, Any], *, lines: int) -> None:
    """Change the fields sent of one modem's settings (a disabled modem leaves the line pool)."""
    session = work.session
    modems = config.read_modems(session, lines)
    modems[number - 1] = {**modems[number - 1], **values}
    check("modem_settings", modems[number - 1], lines=lines, cover_pages=())
    config.write_modems(session, modems)
    work.emit(LineChanged(number))


def edit_route(
    session: Session,
    raw_id: str,
    values: dict[str, Any],
    destinations: list[dict[str, Any]] | None,
    *,
    lines: int,
) -> None:
    """Change a route (the path's ID wins over any URL in the body); destinations sent replace the old ones."""
    routes.save_route(session, routes.get_route(session, raw_id), values, destinations, lines)


def delete_route(session: Session, raw_id: str) -> None:
    session.delete(routes.get_route(session, raw_id))


def forget_users(session: Session, usernames: list[str]) -> int:
    """Users are being deleted: the route destinations that deliver to them go (a route left with none delivers to
    nobody, as an empty route does). Returns how many went."""
    gone = set(usernames)
    removed = 0
    for route in routes.all_routes(session):
        kept = [(d.type, d.value) for d in route.destinations if not (d.type == "user" and d.value in gone)]
        if len(kept) != len(route.destinations):
            removed += len(route.destinations) - len(kept)
            route.destinations.clear()
            session.flush()  # (the positions of those kept are taken again, from 0)
            route.destinations = [RouteDestination(position=i, type=t, value=v) for i, (t, v) in enumerate(kept)]
    session.flush()
    return removed
