"""FaxFinder configuration (12.3–12.4): inbound routes and device settings. Admin-only, except that any user may
read global_contacts_status."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.responses import Response

from emulator.catalogue import ALL, ANALOG, IP, device
from emulator.db.work import UnitOfWork
from emulator.ffws.auth import DATA_CHANGE_DENIED, DATA_VIEW_DENIED, Caller, require_admin
from emulator.ffws.configuration import inbound_routes as routes
from emulator.ffws.configuration import service
from emulator.ffws.configuration.settings import SHAPES, SPECS, element
from emulator.ffws.fields import line_number, read_fields
from emulator.ffws.http import CurrentCaller, Work, XmlBody, base_url, get_box
from emulator.wire import el, parse_xml
from emulator.wire.response import xml_response


def _singleton(name: str, models: tuple[str, ...], readable_by_all: bool = False) -> None:
    """GET and PUT of one settings document."""

    def view(request: Request, caller: CurrentCaller, work: Work) -> Response:
        if not readable_by_all:
            require_admin(caller, DATA_VIEW_DENIED)
        defaults = get_box(request).setting_defaults.get(name)
        return xml_response("Success", [element(name, service.view_setting(work.session, name, defaults))])

    def edit(request: Request, caller: CurrentCaller, work: Work, body: XmlBody) -> Response:
        require_admin(caller, DATA_CHANGE_DENIED)
        box = get_box(request)
        values = read_fields(parse_xml(body, root=name, shape=SHAPES[name]), SPECS[name])
        lines, cover_pages = box.settings.line_count, box.cover_page_names()
        defaults = box.setting_defaults.get(name)
        service.edit_setting(
            work, name, values, box.auth.passwords.hash, lines=lines, cover_pages=cover_pages, defaults=defaults
        )
        return xml_response("Modified")

    title = name.replace("_", " ")
    view.__doc__ = f"View the {title}."
    edit.__doc__ = f"Change the {title} (only the fields sent)."
    view.__name__, edit.__name__ = f"view_{name}", f"edit_{name}"
    device.route("GET", f"/{name}", provenance="reconstructed", models=models)(view)
    device.route("PUT", f"/{name}", provenance="reconstructed", models=models)(edit)


_singleton("t37_settings", ALL)
_singleton("sip_settings", IP)
_singleton("t38_settings", IP)
_singleton("global_contacts_status", ALL, readable_by_all=True)


# -- modem settings (analog models): one record per modem -------------------------------------------------------
def _view_modems(
    request: Request, caller: Caller, work: UnitOfWork, pick: Callable[[list[dict]], list[dict]]
) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    modems = pick(service.view_modems(work.session, get_box(request).settings.line_count))
    first = lambda m: [el("modem_number", m["modem_number"])]  # noqa: E731
    return xml_response("Success", [element("modem_settings", m, first(m)) for m in modems])


@device.route("GET", "/modem_settings", provenance="reconstructed", models=ANALOG)
def view_modem_settings(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Settings of every modem: enabled, country code, answer on, routing, extension digits, station id."""
    return _view_modems(request, caller, work, lambda modems: modems)


@device.route("GET", "/modem_settings/{modem}", provenance="reconstructed", models=ANALOG)
def view_one_modem_settings(modem: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Settings of one modem."""
    require_admin(caller, DATA_VIEW_DENIED)  # before looking at the number: a non-admin learns nothing about the modems
    number = line_number(modem.strip(), get_box(request).settings.line_count, "modem")
    return _view_modems(request, caller, work, lambda modems: [modems[number - 1]])


def _edit_modem(request: Request, caller: Caller, work: UnitOfWork, body: bytes, raw: str | None) -> Response:
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    node = parse_xml(body, root="modem_settings", shape=SHAPES["modem_settings"])
    number = line_number(
        (raw if raw is not None else node.value("modem_number") or "").strip(), box.settings.line_count, "modem"
    )
    values = read_fields(node, SPECS["modem_settings"])
    service.edit_modem(work, number, values, lines=box.settings.line_count)
    return xml_response("Modified")


@device.route("PUT", "/modem_settings", provenance="reconstructed", models=ANALOG)
def edit_modem_settings(request: Request, caller: CurrentCaller, work: Work, body: XmlBody) -> Response:
    """Change the modem named by the body's modem_number (only the fields sent)."""
    return _edit_modem(request, caller, work, body, None)


@device.route("PUT", "/modem_settings/{modem}", provenance="reconstructed", models=ANALOG)
def edit_one_modem_settings(modem: str, request: Request, caller: CurrentCaller, work: Work, body: XmlBody) -> Response:
    """Change one modem's settings (a disabled modem leaves the line pool)."""
    return _edit_modem(request, caller, work, body, modem)


# -- inbound routes ---------------------------------------------------------------------------------------------
@device.route("GET", "/inbound_routes", provenance="reconstructed")
def view_inbound_routes(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Every inbound route with its destinations."""
    require_admin(caller, DATA_VIEW_DENIED)
    base = base_url(request)
    return xml_response("Success", [routes.route_element(r, base) for r in routes.all_routes(work.session)])


@device.route("GET", "/inbound_routes/{route_id}", provenance="reconstructed")
def view_inbound_route(route_id: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """One inbound route."""
    require_admin(caller, DATA_VIEW_DENIED)
    route = routes.get_route(work.session, route_id)
    return xml_response("Success", [routes.route_element(route, base_url(request))])


@device.route("PUT", "/inbound_routes", provenance="reconstructed")
def add_inbound_route(request: Request, caller: CurrentCaller, work: Work, body: XmlBody) -> Response:
    """Create a route (200 Created with the route)."""
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    values, destinations = routes.read_route(parse_xml(body, root="inbound_route", shape=routes.ROUTE))
    route = routes.save_route(work.session, None, values, destinations or [], box.settings.line_count)
    return xml_response("Created", [routes.route_element(route, base_url(request))])


@device.route("PUT", "/inbound_routes/{route_id}", provenance="reconstructed")
def edit_inbound_route(route_id: str, request: Request, caller: CurrentCaller, work: Work, body: XmlBody) -> Response:
    """Change a route (the path's ID wins over any URL in the body); destinations sent replace the old ones."""
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    values, destinations = routes.read_route(parse_xml(body, root="inbound_route", shape=routes.ROUTE))
    service.edit_route(work.session, route_id, values, destinations, lines=box.settings.line_count)
    return xml_response("Modified")


@device.route("DELETE", "/inbound_routes/{route_id}", provenance="reconstructed")
def delete_inbound_route(route_id: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Delete a route."""
    require_admin(caller, DATA_CHANGE_DENIED)
    service.delete_route(work.session, route_id)
    return xml_response("Deleted")
