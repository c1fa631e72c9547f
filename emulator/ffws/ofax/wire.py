"""``schedule_fax`` in (09 §9.2, liberal as 13-client-contract R5–R11) and ``fax_entry`` out (09 §9.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from emulator.device.firmware import Firmware
from emulator.device.models import Attempt, FaxEntry
from emulator.device.store import entrykey_text, faxkey_text, preview_name
from emulator.ffws.fields import Bool, Field, Int, Text, read_fields
from emulator.ffws.ofax.intake import Blob
from emulator.ffws.users.wire import RECEIPT, RECEIPT_ATTACHMENT
from emulator.wire import Elem, XNode, el
from emulator.wire.errors import invalid
from emulator.wire.times import format_time, parse_time
from emulator.wire.tolerance import Shape, leaves

PARTY_FIELDS: dict[str, Field] = {
    "name": Text(),
    "organization": Text(),
    "phone_number": Text(),
    "fax_number": Text(),
    "email_address": Text(),
}
COVER_FIELDS: dict[str, Field] = {
    "url": Text(max_length=2048),
    "enabled": Bool(),
    "subject": Text(),
    "comments": Text(4000),
}
NUMBER_FIELDS: dict[str, Field] = {
    "max_tries": Int(1, 99),
    "priority": Int(0, 9),
    "try_interval": Int(0, 86400),
    "receipt": RECEIPT,
    "receipt_attachment": RECEIPT_ATTACHMENT,
}

ATTACHMENT_FIELDS = ("location", "name", "content_type", "content_transfer_encoding", "content", "url")
SCHEDULE_FAX = Shape(
    {
        "cover_page": Shape(leaves(*COVER_FIELDS)),
        "sender": Shape(leaves(*PARTY_FIELDS)),
        "recipient": Shape(leaves(*PARTY_FIELDS)),
        "attachment": Shape(leaves(*ATTACHMENT_FIELDS)),
        **leaves(*NUMBER_FIELDS, "schedule_all_at"),
    },
    repeated=frozenset({"recipient", "attachment"}),
)


@dataclass
class AttachmentIn:
    name: str
    location: str
    content_type: str
    encoding: str
    url: str
    blob: Blob | None


@dataclass
class ScheduleFax:
    cover: dict[str, Any] | None  # None: no cover_page element at all
    sender: dict[str, Any]
    sender_unnamed: bool  # a sender element with children but no name element (the FF240.R1 refused one)
    recipients: list[dict[str, Any]]
    attachments: list[AttachmentIn]
    options: dict[str, Any]
    schedule_all_at: datetime | None


def _attachment(node: XNode, position: int) -> AttachmentIn:
    name = (node.value("name") or "").strip() or f"attachment{position}"
    content = node.get("content")
    return AttachmentIn(
        name=name,
        location=(node.value("location") or "inline").strip().lower(),
        content_type=normal_content_type(node.value("content_type") or ""),
        encoding=(node.value("content_transfer_encoding") or "base64").strip().lower(),
        url=(node.value("url") or "").strip(),
        blob=content.ref if content is not None else None,
    )


def normal_content_type(value: str) -> str:
    """``Text/Plain ; charset=UTF-16BE`` → ``text/plain; charset=UTF-16BE``: parameters are kept (a charset decides
    how a text attachment is read)."""
    kind, *params = value.split(";")
    return "; ".join([kind.strip().lower(), *(p.strip() for p in params if p.strip())])


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip()


def read_schedule_fax(node: XNode) -> ScheduleFax:
    cover_node = node.get("cover_page")
    sender_node = node.get("sender")
    when = (node.value("schedule_all_at") or "").strip()
    try:
        schedule_all_at = parse_time(when, "schedule_all_at") if when else None
    except ValueError:
        raise invalid("schedule_all_at", "expected YYYY-MM-DDTHH:MM:SS") from None
    return ScheduleFax(
        cover=read_fields(cover_node, COVER_FIELDS) if cover_node is not None else None,
        sender=read_fields(sender_node, PARTY_FIELDS) if sender_node is not None else {},
        sender_unnamed=sender_node is not None and bool(sender_node.children) and not sender_node.has("name"),
        recipients=[read_fields(r, PARTY_FIELDS) for r in node.all("recipient")],
        attachments=[_attachment(a, i) for i, a in enumerate(node.all("attachment"), start=1)],
        options=read_fields(node, NUMBER_FIELDS),
        schedule_all_at=schedule_all_at,
    )


# -- fax_entry out -------------------------------------------------------------------------------------------------
def cover_page_url(base: str, name: str) -> str:
    return f"{base}/data/cover_pages/{name}"


def fax_url(base: str, fax_id: int) -> str:
    return f"{base}/ofax/{faxkey_text(fax_id)}"


def entry_url(base: str, entry: FaxEntry, separator: str = "/") -> str:
    return f"{fax_url(base, entry.fax_id)}{separator}{entrykey_text(entry.number)}"


def fax_entry_element(
    entry: FaxEntry,
    base: str,
    zone: ZoneInfo,
    firmware: Firmware,
    *,
    listing: bool = False,
    modem_info: Attempt | None = None,
    line_word: str = "modem",
) -> Elem:
    """One entry as the box's firmware writes it; ``listing``: read back by GET (not the schedule answer)."""
    fax = entry.fax
    pages = entry.pages
    if not firmware.pages_count_cover and fax.cover_enabled and pages:
        pages -= 1
    children: list[Elem] = [
        el("fax_entry_url", entry_url(base, entry, firmware.key_separator)),
        el("fax_url", fax_url(base, fax.id)),
        el("state", entry.state),
        el("schedule_message", entry.schedule_message),
        el("created", format_time(fax.created, zone)),
        el("stime", format_time(entry.stime, zone)),
        el("try_number", entry.try_number),
        el("agent", fax.agent),
        el("preview", f"{base}/data/preview/{preview_name(fax.id, entry.number)}"),
        _cover_page(entry, base, firmware),
        _sender(entry, firmware),
        _recipient(entry, firmware),
        el("max_tries", fax.max_tries),
        el("priority", fax.priority),
        el("try_interval", fax.try_interval),
        el("receipt", fax.receipt),
        el("receipt_attachment", fax.receipt_attachment),
        el("pages", pages),
    ]
    if firmware.listing_approval or not listing:
        children += [el("approver", entry.approver), el("approval_time", format_time(entry.approval_time, zone))]
    if modem_info is not None:
        children += modem_info_elements(modem_info, zone, line_word)
    return el("fax_entry", children)


def _cover_page(entry: FaxEntry, base: str, firmware: Firmware) -> Elem:
    fax = entry.fax
    enabled = el("enabled", fax.cover_enabled)
    url = el("url", cover_page_url(base, fax.cover_name) if fax.cover_enabled else "")
    first = [url, enabled] if firmware.cover_page_url_first else [enabled, url]
    return el("cover_page", [*first, el("subject", fax.subject), el("comments", fax.comments)])


def _sender(entry: FaxEntry, firmware: Firmware) -> Elem:
    fax = entry.fax
    children = [
        el("username", fax.owner),
        el("name", fax.sender_name),
        el("organization", fax.sender_organization),
        el("phone_number", fax.sender_phone_number),
        el("fax_number", fax.sender_fax_number),
    ]
    if firmware.sender_email_address:
        children.append(el("email_address", fax.sender_email_address))
    return el("sender", children)


def _recipient(entry: FaxEntry, firmware: Firmware) -> Elem:
    number = entry.recipient_fax_number
    if firmware.recipient_dash_dropped:
        number = number.lstrip("-")
    return el(
        "recipient",
        [
            el("name", entry.recipient_name),
            el("organization", entry.recipient_organization),
            el("fax_number", number),
            el("phone_number", entry.recipient_phone_number),
        ],
    )


def modem_info_elements(attempt: Attempt, zone: ZoneInfo, line_word: str) -> list[Elem]:
    """Details of the last finished try (names beyond init_time and connect_time are the emulator's, Q-FAX-1)."""
    elapsed = int((attempt.end_time - attempt.start_time).total_seconds())
    return [
        el("init_time", format_time(attempt.start_time, zone)),
        el("connect_time", format_time(attempt.connect_time, zone)),
        el("disconnect_time", format_time(attempt.end_time, zone)),
        el("elapsed_time", elapsed),
        el(f"{line_word}_number", attempt.line_number),
        el("baud_rate", attempt.baud_rate or ""),
        el("remote_id", attempt.remote_id),
        el("pages_sent", attempt.pages_sent),
        el("result", attempt.result),
    ]
