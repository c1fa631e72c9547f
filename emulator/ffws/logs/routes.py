"""Logs (12.2): received faxes, sending attempts, every call; and their counts."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from emulator.catalogue import device
from emulator.ffws.http import CurrentCaller, base_url, get_box
from emulator.ffws.logs import service, wire
from emulator.wire import FFWSError, el
from emulator.wire.response import xml_response


def _log(request: Request, caller, kind: str, render) -> Response:  # noqa: ANN001
    box = get_box(request)
    query = service.LogQuery.parse(request.query_params)
    with box.db.read() as session:
        found = service.records(session, caller, kind, query)
        return xml_response("Success", [render(r, box) for r in found])


@device.route("GET", "/inbound_log", provenance="reconstructed")
def view_inbound_log(request: Request, caller: CurrentCaller) -> Response:
    """Received faxes (limit 50, offset, order=asc|desc); non-admins see the faxes routed to them."""
    base = base_url(request)
    return _log(request, caller, "inbound", lambda r, b: wire.inbound_log_element(r, base, b.zone, b.profile.is_ip))


@device.route("GET", "/outbound_log", provenance="reconstructed")
def view_outbound_log(request: Request, caller: CurrentCaller) -> Response:
    """One record per sending attempt; non-admins see their own."""
    base = base_url(request)
    return _log(request, caller, "outbound", lambda r, b: wire.outbound_log_element(r, base, b.zone, b.profile.is_ip))


@device.route("GET", "/call_log", provenance="reconstructed")
def view_call_log(request: Request, caller: CurrentCaller) -> Response:
    """Every call placed or received, including busy and unanswered ones."""
    return _log(request, caller, "call", lambda r, b: wire.call_element(r, b.zone, b.profile.is_ip))


@device.route("GET", "/log_count/{kind}", provenance="reconstructed")
def view_log_count(kind: str, request: Request, caller: CurrentCaller) -> Response:
    """How many records the inbound, outbound or call log holds for the caller."""
    kind = kind.lower()
    if kind not in service.LOGS:
        raise FFWSError(404, "Not Found")
    with get_box(request).db.read() as session:
        total = service.count(session, caller, kind)
    return xml_response("Success", [el("count", total)])
