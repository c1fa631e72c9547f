"""Log records (12.2): inbound_log_entry, outbound_log_entry, call — the line is ``channel`` on the FF240-IP and
``line_number`` on the analog models."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from emulator.device.inbound import RESULT_MESSAGES, InboundFax
from emulator.device.models import Attempt, Call
from emulator.device.outcomes import BAUD_RATE
from emulator.ffws.ofax.wire import entry_url
from emulator.wire import Elem, el
from emulator.wire.times import format_time


def line_element(number: int, is_ip: bool) -> Elem:
    """The line a fax or call used: ``channel`` on the FF240-IP, ``line_number`` on the analog models."""
    return el("channel" if is_ip else "line_number", number)


def _duration(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds())


def inbound_log_element(fax: InboundFax, base: str, zone: ZoneInfo, is_ip: bool) -> Elem:
    received = fax.result != "failure"
    return el(
        "inbound_log_entry",
        [
            el("id", fax.id),
            el("start_time", format_time(fax.start_time, zone)),
            el("end_time", format_time(fax.end_time, zone)),
            line_element(fax.line_number, is_ip),
            el("remote_id", fax.remote_id),
            el("caller_id", fax.caller_id),
            el("extension", fax.extension),
            el("recipient", fax.recipient),
            el("pages", fax.pages),
            el("duration", _duration(fax.start_time, fax.end_time)),
            el("baud_rate", BAUD_RATE if received else ""),
            el("resolution", "fine" if received else ""),
            el("ecm", "on" if received else ""),
            el("result", fax.result),
            el("result_message", RESULT_MESSAGES[fax.result]),
            el("fax_url", f"{base}/data/inbound/{fax.id}.pdf" if fax.has_document else ""),
        ],
    )


def outbound_log_element(attempt: Attempt, base: str, zone: ZoneInfo, is_ip: bool) -> Elem:
    entry = attempt.entry
    return el(
        "outbound_log_entry",
        [
            el("id", attempt.id),
            el("fax_entry_url", entry_url(base, entry)),
            el("username", attempt.owner),
            el("recipient_name", entry.recipient_name),
            el("fax_number", attempt.fax_number),
            el("start_time", format_time(attempt.start_time, zone)),
            el("end_time", format_time(attempt.end_time, zone)),
            line_element(attempt.line_number, is_ip),
            el("try_number", attempt.try_number),
            el("pages", attempt.pages_sent),
            el("duration", _duration(attempt.start_time, attempt.end_time)),
            el("baud_rate", attempt.baud_rate or ""),
            el("remote_id", attempt.remote_id),
            el("result", attempt.result),
            el("result_message", attempt.result_message),
        ],
    )


def call_element(call: Call, zone: ZoneInfo, is_ip: bool) -> Elem:
    return el(
        "call",
        [
            el("id", call.id),
            el("direction", call.direction),
            el("start_time", format_time(call.start_time, zone)),
            el("end_time", format_time(call.end_time, zone)),
            line_element(call.line_number, is_ip),
            el("number", call.number),
            el("remote_id", call.remote_id),
            el("duration", _duration(call.start_time, call.end_time)),
            el("result", call.result),
        ],
    )
