"""Inbound Routing, Fax and System Configuration (administrators only), through the configuration service."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.ffws.about.routes import BUILD_DATE, FIRMWARE_VERSION
from emulator.ffws.auth import DATA_CHANGE_DENIED, DATA_VIEW_DENIED, Caller, require_admin
from emulator.ffws.configuration import inbound_routes as routes
from emulator.ffws.configuration import service as configuration
from emulator.ffws.configuration.settings import SPECS
from emulator.ffws.http import Work, get_box
from emulator.ui.forms import read_form, widget
from emulator.ui.render import page
from emulator.ui.routing import Answer, back_to, log, router
from emulator.ui.session import Form, UiCaller
from emulator.wire import FFWSError


def _fields(name: str) -> dict[str, dict[str, Any]]:
    return {key: widget(field) for key, field in SPECS[name].items()}


# -- Inbound Routing ---------------------------------------------------------------------------------------------
def _routing(request: Request, work: UnitOfWork, status: int = 200, error: str = "") -> Response:
    box = get_box(request)
    return page(
        request, "routing.html", status=status, error=error, routes=routes.all_routes(work.session),
        types=routes.ROUTE_TYPES, destination_types=routes.DESTINATION_TYPES, lines=box.settings.line_count,
    )  # fmt: skip


@router.get("/inbound-routing")
def inbound_routing(request: Request, caller: UiCaller, work: Work) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    return _routing(request, work)


def _destinations(text: str) -> list[dict[str, str]]:
    """One destination a line: ``user:admin``, ``email:ops@example.com``, ``printer:NAME``, ``share:PATH``,
    ``trash``."""
    found = []
    for line in text.splitlines():
        if line.strip():
            kind, _, value = line.strip().partition(":")
            found.append({"type": routes.DESTINATION_FIELDS["type"].read("destination type", kind), "value": value})
    return found


@router.post("/inbound-routing")
def add_route(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    try:
        values = read_form(form, routes.ROUTE_FIELDS)
        destinations = _destinations(str(form.get("destinations") or ""))
        route = routes.save_route(work.session, None, values, destinations, box.settings.line_count)
    except FFWSError as exc:
        if exc.status != 400:
            raise
        raise Answer(_routing(request, work, 400, exc.message)) from None
    log.info("web: %s added inbound route %s", caller.username, route.id)
    return back_to(request, "/inbound-routing", f"Route {route.id} added.")


def _route_page(request: Request, route: routes.InboundRoute, status: int = 200, error: str = "") -> Response:
    destinations = "\n".join(f"{d.type}:{d.value}" if d.value else d.type for d in route.destinations)
    return page(
        request, "route.html", status=status, error=error, route=route, destinations=destinations,
        types=routes.ROUTE_TYPES, lines=get_box(request).settings.line_count,
    )  # fmt: skip


# A route's own pages are one level below its ID, as a user's are below its name.
@router.get("/inbound-routing/{route_id}/edit")
def route_page(route_id: str, request: Request, caller: UiCaller, work: Work) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    return _route_page(request, routes.get_route(work.session, route_id))


@router.post("/inbound-routing/{route_id}/edit")
def edit_route(route_id: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    """As PUT /inbound_routes/{id}: the fields sent change, the destinations listed replace the old ones."""
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    try:
        values = read_form(form, routes.ROUTE_FIELDS)
        destinations = _destinations(str(form.get("destinations") or ""))
        configuration.edit_route(work.session, route_id, values, destinations, lines=box.settings.line_count)
    except FFWSError as exc:
        if exc.status != 400:
            raise
        route = routes.get_route(work.session, route_id)
        raise Answer(_route_page(request, route, 400, exc.message)) from None
    log.info("web: %s saved inbound route %s", caller.username, route_id)
    return back_to(request, "/inbound-routing", f"Route {route_id} saved.")


@router.post("/inbound-routing/{route_id}/delete")
def delete_route(route_id: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    require_admin(caller, DATA_CHANGE_DENIED)
    configuration.delete_route(work.session, route_id)
    log.info("web: %s deleted inbound route %s", caller.username, route_id)
    return back_to(request, "/inbound-routing", f"Route {route_id} deleted.")


# -- Fax and System Configuration ----------------------------------------------------------------------------
FAX_SETTINGS = ("sip_settings", "t38_settings")
SYSTEM_SETTINGS = ("t37_settings", "global_contacts_status")


def _settings(session: Session, names: tuple[str, ...], defaults: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings documents ``names`` as shown (``defaults``: the box's own for the fields never set)."""
    shown = []
    for name in names:
        value = configuration.view_setting(session, name, defaults.get(name))
        shown.append(
            {"name": name, "title": name.replace("_", " ").capitalize(), "value": value, "fields": _fields(name)}
        )
    return shown


@router.get("/fax-configuration")
def fax_configuration(request: Request, caller: UiCaller, work: Work) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    box = get_box(request)
    session = work.session
    if box.profile.is_ip:
        return page(
            request,
            "configuration.html",
            title="Fax Configuration",
            settings=_settings(session, FAX_SETTINGS, box.setting_defaults),
            action="fax-configuration",
            modems=None,
        )
    modems = configuration.view_modems(session, box.settings.line_count)
    return page(
        request,
        "configuration.html",
        title="Fax Configuration",
        settings=[],
        modems=modems,
        modem_fields=_fields("modem_settings"),
        action="fax-configuration",
    )


@router.get("/system")
def system_configuration(request: Request, caller: UiCaller, work: Work) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    box = get_box(request)
    about = {
        "Model": box.settings.model, "Firmware version": FIRMWARE_VERSION, "Build date": BUILD_DATE,
        "Lines": box.settings.line_count, "Firmware profile (emulator)": box.firmware.name,
    }  # fmt: skip
    settings = _settings(work.session, SYSTEM_SETTINGS, box.setting_defaults)
    return page(
        request,
        "configuration.html",
        title="System Configuration",
        settings=settings,
        about=about,
        action="system",
        modems=None,
    )


def _save_setting(request: Request, caller: Caller, work: UnitOfWork, name: str, form: FormData) -> None:
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    values = read_form(form, SPECS[name])
    lines, cover_pages = box.settings.line_count, box.cover_page_names()
    defaults = box.setting_defaults.get(name)
    configuration.edit_setting(
        work, name, values, box.auth.passwords.hash, lines=lines, cover_pages=cover_pages, defaults=defaults
    )


def _settings_error(request: Request, where: str, exc: FFWSError) -> Exception:
    if exc.status != 400:
        return exc
    return Answer(page(request, "refused.html", 400, status_code=400, message=exc.message, back=where))


@router.post("/fax-configuration/modem/{number}")
def save_modem(number: int, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    if not 1 <= number <= box.settings.line_count or box.profile.is_ip:
        raise FFWSError(404, "Not Found")
    try:
        values = read_form(form, SPECS["modem_settings"])
        configuration.edit_modem(work, number, values, lines=box.settings.line_count)
    except FFWSError as exc:
        raise _settings_error(request, "/fax-configuration", exc) from None
    log.info("web: %s saved the settings of modem %s", caller.username, number)
    return back_to(request, "/fax-configuration", f"Modem {number} saved.")


def _save_named(
    request: Request, caller: Caller, work: UnitOfWork, form: FormData, name: str, allowed: tuple[str, ...], where: str
) -> Response:
    if name not in allowed or name not in SPECS:
        raise FFWSError(404, "Not Found")
    if name in FAX_SETTINGS and not get_box(request).profile.is_ip:
        raise FFWSError(404, "Not Found")
    try:
        _save_setting(request, caller, work, name, form)
    except FFWSError as exc:
        raise _settings_error(request, where, exc) from None
    log.info("web: %s saved %s", caller.username, name)
    return back_to(request, where, f"{name.replace('_', ' ').capitalize()} saved.")


@router.post("/fax-configuration/{name}")
def save_fax_setting(name: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    return _save_named(request, caller, work, form, name, FAX_SETTINGS, "/fax-configuration")


@router.post("/system/{name}")
def save_system_setting(name: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    return _save_named(request, caller, work, form, name, SYSTEM_SETTINGS, "/system")
