"""Status elements (05-status, 09 §9.8), in the device's order and spelling (``elasped_time``, sic)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from emulator.device.inbound import InboundFax
from emulator.device.lines import LineState
from emulator.ffws.logs.wire import line_element
from emulator.wire import Elem, el
from emulator.wire.times import format_time

WIDTH = 1728  # pixels of a fax line
RESOLUTION = "fine"


def uptime_text(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days} days, {hours:02d}:{minutes:02d}:{secs:02d}"


def counts_element(tag: str, lines: list[LineState]) -> Elem:
    inbound = sum(1 for line in lines if line.direction == "inbound")
    outbound = sum(1 for line in lines if line.direction == "outbound")
    idle = sum(1 for line in lines if not line.busy and line.state.startswith("Waiting"))
    return el(tag, [el("number_inbound", inbound), el("number_outbound", outbound), el("number_idle", idle)])


def system_element(now: datetime, started: datetime, zone: ZoneInfo) -> Elem:
    return el(
        "system",
        [
            el("uptime", uptime_text(int((now - started).total_seconds()))),
            el("current_time", format_time(now, zone)),
            el("time_server", ""),
        ],
    )


def printer_element() -> Elem:
    return el("printer", [el("name", ""), el("status", ""), el("jobs", "")])


def share_element() -> Elem:
    return el("network_share", [el("share", ""), el("status", "")])


def modem_status_element(line: LineState, zone: ZoneInfo) -> Elem:
    connected = line.connect_time is not None
    return el(
        "modem_status",
        [
            el("modem_number", line.number),
            el("state", line.state),
            el("page", line.page),
            el("vertical_resolution", RESOLUTION if connected else ""),
            el("baud_rate", line.baud_rate or ""),
            el("width", WIDTH if connected else ""),
            el("height", "letter" if connected else ""),
            el("connect_time", format_time(line.connect_time, zone)),
            el("elasped_time", line.elapsed if line.elapsed is not None else ""),
            el("fax_number", line.fax_number),
            el("remote_id", line.remote_id),
        ],
    )


def channel_status_element(line: LineState) -> Elem:
    connected = line.connect_time is not None
    return el(
        "channel_status",
        [
            el("channel_number", line.number),
            el("state", line.state),
            el("pages_sent_recd", line.pages_done),
            el("baud_rate", line.baud_rate or ""),
            el("fax_number", line.fax_number),
            el("ecm", "on" if connected else ""),
            el("line_encoding", "MMR" if connected else ""),
            el("resolution", RESOLUTION if connected else ""),
            el("remote_id", line.remote_id),
            el("modulation", "V.17" if connected else ""),
        ],
    )


def inbound_entry_element(fax: InboundFax, page: int, is_ip: bool, zone: ZoneInfo) -> Elem:
    line = line_element(fax.line_number, is_ip)
    count = el("pages_recd", max(page - 1, 0)) if is_ip else el("current_page", page)
    return el(
        "inbound_entry",
        [
            el("state", "Receiving"),
            el("start_time", format_time(fax.start_time, zone)),
            line,
            el("extension", fax.extension),
            el("recipient", fax.recipient),
            el("remote_id", fax.remote_id),
            count,
        ],
    )
