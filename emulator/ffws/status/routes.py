"""Fax status (05-status): the summary, the lines, and what is being received and sent right now."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from emulator.catalogue import ANALOG, IP, device
from emulator.device.lines import LineState
from emulator.ffws.fields import count_param, line_number
from emulator.ffws.http import CurrentCaller, Work, base_url, get_box
from emulator.ffws.ofax import service as ofax
from emulator.ffws.ofax.wire import fax_entry_element
from emulator.ffws.status import wire
from emulator.wire import Elem, FFWSError, el
from emulator.wire.errors import invalid
from emulator.wire.response import xml_response

NO_OUTBOUND = "No current outbound faxes."
DEFAULT_LIMIT = 10  # pending_limit and sending_limit


def _sections(request: Request, session: Session) -> dict[str, Elem]:
    box = get_box(request)
    lines = box.line_states(session)
    first = box.profile.line_word
    return {
        first: wire.counts_element(first, lines),
        "system": wire.system_element(box.clock.now(), box.started_at, box.zone),
        "printer": wire.printer_element(),
        "share": wire.share_element(),
    }


@device.route("GET", "/status")
def view_status(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Summary: line counts, system, printer and network share."""
    return xml_response("Success", [el("status", list(_sections(request, work.session).values()))])


@device.route("GET", "/status/{section}")
def view_status_section(section: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """One section of the summary: MODEM (analog) or CHANNEL (FF240-IP), SYSTEM, PRINTER, SHARE (any case)."""
    sections = _sections(request, work.session)
    name = section.lower()
    if name in ("modem", "channel") and name not in sections:
        raise FFWSError(404, "Not Found")
    if name not in sections:
        raise invalid("section", "must be one of " + ", ".join(s.upper() for s in sections))
    return xml_response("Success", [el("status", [sections[name]])])


def _line_number(raw: str | None, count: int, word: str) -> int | None:
    return None if raw is None else line_number(raw, count, word)


def _lines(request: Request, session: Session, raw: str | None, word: str) -> list[LineState]:
    box = get_box(request)
    number = _line_number(raw, box.settings.line_count, word)
    return [line for line in box.line_states(session) if number is None or line.number == number]


def _modems(request: Request, session: Session, modem: str | None) -> Response:
    zone = get_box(request).zone
    lines = _lines(request, session, modem, "modem")
    return xml_response("Success", [wire.modem_status_element(line, zone) for line in lines])


def _channels(request: Request, session: Session, channel: str | None) -> Response:
    lines = _lines(request, session, channel, "channel")
    return xml_response("Success", [wire.channel_status_element(line) for line in lines])


@device.route("GET", "/modem_status", models=ANALOG)
def view_modem_status(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Every modem: state, page, resolution, baud rate, connect and elapsed time, number, remote id."""
    return _modems(request, work.session, None)


@device.route("GET", "/modem_status/{modem}", models=ANALOG)
def view_one_modem_status(modem: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """One modem (1-24)."""
    return _modems(request, work.session, modem)


@device.route("GET", "/channel_status", models=IP)
def view_channel_status(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Every SIP channel: state, pages, baud rate, number, remote id, modulation."""
    return _channels(request, work.session, None)


@device.route("GET", "/channel_status/{channel}", models=IP)
def view_one_channel_status(channel: str, request: Request, caller: CurrentCaller, work: Work) -> Response:
    """One SIP channel."""
    return _channels(request, work.session, channel)


@device.route("GET", "/inbound_status")
def view_inbound_status(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Faxes being received right now (none: just Success)."""
    box = get_box(request)
    now = box.clock.now()
    entries = [
        wire.inbound_entry_element(fax, box.inbound.pages_so_far(fax, now), box.profile.is_ip, box.zone)
        for fax in box.inbound.receiving(work.session)
    ]
    return xml_response("Success", entries)


def _limit(request: Request, name: str) -> int:
    return count_param(request.query_params, name, DEFAULT_LIMIT) or 0


@device.route("GET", "/outbound_status", params=("class", "pending_limit", "sending_limit"))
def view_outbound_status(request: Request, caller: CurrentCaller, work: Work) -> Response:
    """Faxes pending and sending (class, pending_limit, sending_limit); 404 when there are none."""
    klass = request.query_params.get("class") or None
    if klass not in (None, "pending", "sending"):
        raise invalid("class", "must be pending or sending")
    limits = {"pending": _limit(request, "pending_limit"), "sending": _limit(request, "sending_limit")}
    entries = []
    for kind in ("sending", "pending"):
        if klass in (None, kind):
            entries += ofax.first_entries(work.session, caller, kind, limits[kind])
    if not entries:
        raise FFWSError(404, NO_OUTBOUND)
    box = get_box(request)
    base = base_url(request)
    return xml_response("Success", [fax_entry_element(e, base, box.zone, box.firmware, listing=True) for e in entries])
