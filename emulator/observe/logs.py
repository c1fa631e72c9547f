"""Logs people can read: one line per /ffws/v1 exchange and one per step of a fax's life, in text or JSON.

The lines are made from the domain events, so they say what happened after it committed. They never hold a body, a
header or a password: an exchange is its method, path, user, status and duration (the journal has the rest, redacted).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any

from emulator.device.models import FINAL_STATES, PENDING, PREPROCESSING, SENDING
from emulator.device.store import entrykey_text, faxkey_text
from emulator.events import (
    EntryStateChanged,
    EventBus,
    ExchangeRecorded,
    FaxConverted,
    FaxReceived,
    ReceptionEnded,
)

REQUESTS = logging.getLogger("emulator.http")
FAXES = logging.getLogger("emulator.fax")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, and the record's ``fields`` when it has them."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


# Characters that would end a line, or move the cursor of whoever reads it, in a text log: a client chooses the path
# it sends (/ffws/v1/x%0A2026-01-01 ... INFO forged line), a remote ID, a username.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with each control character written as an escape (``\\n``, ``\\x1b``)."""
    return _UNPRINTABLE.sub(lambda match: repr(match.group(0))[1:-1], text)


class TextFormatter(logging.Formatter):
    """One readable line a record: whatever the message holds, it cannot start another line (a traceback, which the
    process writes itself, still can)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return printable(super().formatMessage(record))


def handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing to ``stream`` (standard error) in the chosen format."""
    made = logging.StreamHandler(stream if stream is not None else sys.stderr)
    made.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return made


def configure(level: str, log_format: str) -> None:
    """The process's logging: every logger (uvicorn's too) writes to standard error in the chosen format."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(log_format))
    root.setLevel(level.upper())


def attach(bus: EventBus) -> None:
    bus.subscribe(ExchangeRecorded, log_exchange)
    bus.subscribe((EntryStateChanged, FaxConverted, FaxReceived, ReceptionEnded), log_fax_step)


def log_exchange(event: ExchangeRecorded) -> None:
    if not REQUESTS.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": event.method,
        "path": event.path,
        "user": event.user,
        "status": event.status,
        "duration_ms": event.duration_ms,
    }
    if event.reason:
        fields["reason"] = event.reason
    reason = f" ({event.reason})" if event.reason else ""
    REQUESTS.info(
        "%s %s user=%s status=%s %.1f ms%s",
        event.method, event.path, event.user or "-", event.status, event.duration_ms, reason,
        extra={"fields": fields},
    )  # fmt: skip


def log_fax_step(event: EntryStateChanged | FaxConverted | FaxReceived | ReceptionEnded) -> None:
    if not FAXES.isEnabledFor(logging.INFO):
        return
    described = describe(event)
    if described is not None:
        message, fields = described
        FAXES.info("%s", message, extra={"fields": fields})


def describe(event: Any) -> tuple[str, dict[str, Any]] | None:
    """The line and the fields of one step (None for a move nobody needs to read about)."""
    if isinstance(event, EntryStateChanged):
        return _entry_step(event)
    if isinstance(event, FaxConverted):
        fields = {"fax": faxkey_text(event.fax_id), "step": "converted", "pages": event.pages, "error": event.error}
        fields["seconds"] = round(event.seconds, 3)
        if event.error:
            return f"fax {fields['fax']} could not be converted: {event.error}", fields
        return f"fax {fields['fax']} converted: {event.pages} pages in {event.seconds:.2f} s", fields
    if isinstance(event, FaxReceived):
        fields = {"inbound": event.inbound_id, "step": "arriving", "line": event.line, "remote_id": event.remote_id}
        who = event.remote_id or event.caller_id or "unknown"
        if event.inbound_id is None:
            fields["step"] = "busy"
            return f"inbound call from {who} on line {event.line or '-'}: busy, no free line", fields
        return f"inbound fax {event.inbound_id} arriving on line {event.line} from {who}", fields
    fields = {"inbound": event.inbound_id, "step": "received", "line": event.line, "pages": event.pages}
    fields.update(result=event.result, recipient=event.recipient)
    if event.result == "failure":
        return f"inbound fax {event.inbound_id} failed: no pages received", fields
    return f"inbound fax {event.inbound_id} received: {event.pages} pages for {event.recipient or 'nobody'}", fields


def _entry_step(event: EntryStateChanged) -> tuple[str, dict[str, Any]] | None:
    key = f"{faxkey_text(event.fax_id)}/{entrykey_text(event.number)}"
    fields: dict[str, Any] = {"fax": key, "state": event.state, "previous": event.previous or None}
    fields.update(owner=event.owner, fax_number=event.fax_number, try_number=event.try_number)
    state, previous = event.state, event.previous
    if not previous:
        fields.update(step="scheduled", agent=event.agent)
        return f"fax {key} scheduled by {event.owner} ({event.agent}) to {event.fax_number}", fields
    if state == SENDING:
        fields.update(step="dialling", line=event.line)
        return f"fax {key} dialling {event.fax_number} on line {event.line} (try {event.try_number})", fields
    if previous == SENDING and state == PENDING:
        fields.update(step="retry", reason=event.message)
        return f"fax {key} not sent: {event.message}; next try {event.try_number}", fields
    if state in FINAL_STATES:
        fields.update(step=state, reason=event.message, pages=event.pages)
        if state == "sent":
            return f"fax {key} sent to {event.fax_number}: {event.pages} pages", fields
        return f"fax {key} {state}: {event.message}", fields
    if previous == PREPROCESSING:
        return None  # ready for a line: the conversion's own line said what there is to say
    fields.update(step="rescheduled")
    return f"fax {key} rescheduled ({state})", fields
