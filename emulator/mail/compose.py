"""Writing mails: what each says (the templates), what it carries (the fax, a modem log), and the message itself
(RFC 5322, built with the standard library's ``email`` package).

A message is the same bytes for the same queue: its Date is the emulated time it was queued, its Message-ID and
MIME boundaries come from its number (and its Message-ID from a hash of its content too), never from the wall clock or
a random source."""

from __future__ import annotations

import email.policy
import hashlib
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any
from zoneinfo import ZoneInfo

from emulator.mail.templates import Templates

DOMAIN = "faxfinder"  # the box's host name (about/hostname): the right side of its Message-IDs
SMTP = email.policy.SMTP


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Draft:
    """One mail before it is a message: subject, text and attachments."""

    subject: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Written:
    """A message as stored and as listed."""

    data: bytes
    headers: list[tuple[str, str]]
    text: str
    attachments: list[dict[str, Any]]


RESULT_TEMPLATES = {"sent": "receipt_sent", "aborted": "receipt_aborted"}  # failed and dead: receipt_failed


def receipt_draft(templates: Templates, facts: dict[str, Any], attached: Attachment | None, note: str) -> Draft:
    name = RESULT_TEMPLATES.get(facts["state"], "receipt_failed")
    subject, text = templates[name].render({**facts, "attachment_note": note})
    return Draft(subject, text, [attached] if attached is not None else [])


def inbound_drafts(
    templates: Templates,
    facts: dict[str, Any],
    recipient_name: str,
    files: list[Attachment],
    *,
    details: bool,
    note: str = "",
    modem_log: Attachment | None = None,
) -> list[Draft]:
    """One draft per file of the fax (it was split by the size limit), or one without it (``note`` says why)."""
    values = {
        **facts,
        "remote_id": facts["remote_id"] or facts["caller_id"] or "Unknown",
        "recipient_name": recipient_name or "Unknown",
        "page_word": "page" if facts["pages"] == 1 else "pages",
    }
    values["details"] = templates["inbound_details"].body.safe_substitute(_text(values)) if details else ""
    drafts = []
    for number, attached in enumerate(files or [None], start=1):
        part_note = f" (part {number} of {len(files)})" if len(files) > 1 else ""
        subject, text = templates["inbound"].render({**values, "part_note": part_note, "attachment_note": note})
        carried = [attached] if attached is not None else []
        if modem_log is not None and number == 1:
            carried.append(modem_log)
        drafts.append(Draft(subject, text, carried))
    return drafts


def modem_log(templates: Templates, facts: dict[str, Any], lines: int) -> Attachment:
    """The log of a reception that failed part-way, named as the box names it (modem0modem1_DATE-TIME.txt)."""
    page_lines = "".join(
        f"{when} {facts['line_word']}{facts['line']}: page {n} received\n"
        for n, when in enumerate(facts["page_times"], start=1)
    )
    text = templates["modem_log"].body.safe_substitute(_text({**facts, "page_lines": page_lines}))
    name = "".join(f"modem{n}" for n in range(lines)) + f"_{facts['end_stamp']}.txt"
    return Attachment(name, "text/plain", text.encode("utf-8"))


def _text(values: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in values.items()}


def write_message(
    ident: str,
    created: datetime,
    zone: ZoneInfo,
    sender: tuple[str, str],
    to: tuple[str, str],
    draft: Draft,
) -> Written:
    """A message From the administrator To the recipient (no To when there is no address). ``ident`` (the mail's
    number, and part) makes its Message-ID and MIME boundaries."""
    listed = [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "size": len(a.data),
            "sha256": hashlib.sha256(a.data).hexdigest(),
        }
        for a in draft.attachments
    ]
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr(sender)
    if to[1]:
        message["To"] = formataddr(to)
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(created.replace(tzinfo=UTC).astimezone(zone))
    message["Message-ID"] = f"<{created:%Y%m%d%H%M%S}.{ident}.{_digest(sender, to, draft, listed)}@{DOMAIN}>"
    message.set_content(draft.text)
    for attached in draft.attachments:
        maintype, _, subtype = attached.content_type.partition("/")
        message.add_attachment(attached.data, maintype=maintype, subtype=subtype, filename=attached.filename)
    for part in message.iter_parts():
        del part["MIME-Version"]  # (the email package repeats it in parts; only the message needs it)
    _fix_boundaries(message, ident)
    data = message.as_bytes(policy=SMTP)
    headers = [(name, str(value)) for name, value in message.items()]
    return Written(data, headers, draft.text, listed)


def _digest(sender: tuple[str, str], to: tuple[str, str], draft: Draft, listed: list[dict[str, Any]]) -> str:
    """A hash of what the mail says: after a reset the numbers and the manual clock start over, and a mail of other
    content must not repeat a Message-ID a server has seen (the same content may: it is the same message)."""
    digest = hashlib.sha256()
    for value in (*sender, *to, draft.subject, draft.text):
        digest.update(value.encode("utf-8", "surrogatepass") + b"\0")
    for attached in listed:
        digest.update(f"{attached['filename']}\0{attached['sha256']}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def _fix_boundaries(message: EmailMessage, ident: str) -> None:
    """Boundaries of its own number (the email package draws them at random), checked against the content."""
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        boundary = f"=_faxfinder_{ident}_{number}"
        while boundary in part.as_string(policy=SMTP):
            boundary += "_"
        part.set_boundary(boundary)


def content_type_of(filename: str, declared: str) -> str:
    """A part's type, by its name when it says only application/octet-stream (as many mail programs do)."""
    if declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or declared
