"""Logs (12.2): received faxes, sending attempts, every call; and their counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.responses import Response

from emulator.catalogue import device
from emulator.db.work import UnitOfWork
from emulator.ffws.auth import Caller
from emulator.ffws.http import CurrentCaller, Work, base_url, get_box
from emulator.ffws.logs import service, wire
from emulator.wire import Elem, FFWSError, el
from emulator.wire.response import xml_response


def _log(request: Request, caller: Caller, work: UnitOfWork, kind: str, render: Callable[[Any], Elem]) -> Response:
    query = service.LogQuery.parse(request.query_params)
    return xml_response("Success", [render(r) for r in service.records(work.session, caller, kind, query)])


@device.route("GET", "/inbound_log", provenance="reconstructed", params=service.QUERY)
def view_inbound_log(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Received faxes (limit 50, offset, order=asc|desc); non-admins see the faxes routed to them."""
    box, base = get_box(request), base_url(request)
    return _log(
        request, caller, work, "inbound", lambda r: wire.inbound_log_element(r, base, box.zone, box.profile.is_ip)
    )


@device.route("GET", "/outbound_log", provenance="reconstructed", params=service.QUERY)
def view_outbound_log(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """One record per sending attempt; non-admins see their own."""
    box, base = get_box(request), base_url(request)
    return _log(
        request, caller, work, "outbound", lambda r: wire.outbound_log_element(r, base, box.zone, box.profile.is_ip)
    )


@device.route("GET", "/call_log", provenance="reconstructed", params=service.QUERY)
def view_call_log(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Every call placed or received, including busy and unanswered ones."""
    box = get_box(request)
    return _log(request, caller, work, "call", lambda r: wire.call_element(r, box.zone, box.profile.is_ip))


@device.route("GET", "/log_count/{kind}", provenance="reconstructed")
def view_log_count(kind: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """How many records the inbound, outbound or call log holds for the caller."""
    kind = kind.lower()
    if kind not in service.LOGS:
        raise FFWSError(404, "Not Found")
    return xml_response("Success", [el("count", service.count(work.session, caller, kind))])
