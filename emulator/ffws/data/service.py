"""Which document a data URL names, and whether the caller may have it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from emulator.device.inbound import InboundFax
from emulator.device.models import Fax, FaxEntry
from emulator.device.preprocess import Preprocessor, pages_of
from emulator.documents import ConversionError
from emulator.ffws.auth import FAX_DENIED, Caller, may_act_on
from emulator.ffws.fields import parse_id
from emulator.ffws.ofax.service import parse_key
from emulator.wire import FFWSError


def _stem(name: str) -> str:
    """``0000001B-0000.pdf`` → ``0000001B-0000``; empty for a name that is not a PDF."""
    return name[:-4] if name.lower().endswith(".pdf") else ""


def preview_entry(session: Session, caller: Caller, name: str) -> FaxEntry:
    """The entry of ``FAXKEY-ENTRYKEY.pdf``: 404 when there is none, 403 when it is another user's."""
    faxkey, _, entrykey = _stem(name).partition("-")
    fax_id, number = parse_key(faxkey, 8), parse_key(entrykey, 4)
    fax = session.get(Fax, fax_id) if fax_id is not None else None
    entry = next((e for e in fax.entries if e.number == number), None) if fax else None
    if entry is None:
        raise FFWSError(404, "Preview not found.")
    if not may_act_on(caller, entry.fax.owner):
        raise FFWSError(403, FAX_DENIED)
    return entry


def received_fax(session: Session, caller: Caller, name: str) -> InboundFax:
    """The received fax of ``ID.pdf``: an admin, or a user it was routed to, may have it."""
    fax_id = parse_id(_stem(name))
    fax = session.get(InboundFax, fax_id) if fax_id is not None else None
    if fax is None or not fax.finished or not fax.has_document:
        raise FFWSError(404, "Received fax not found.")
    if not (caller.is_admin or caller.username in fax.recipient.split(",")):
        raise FFWSError(403, FAX_DENIED)
    return fax



def preview_path(preprocessor: Preprocessor, session: Session, caller: Caller, name: str) -> Path:
    """The preview of ``FAXKEY-ENTRYKEY.pdf`` for this caller, rendered if it was not yet (404 when it cannot be)."""
    return preview_of(preprocessor, session, caller, name)[0]


def preview_of(preprocessor: Preprocessor, session: Session, caller: Caller, name: str) -> tuple[Path, int]:
    """The preview of ``FAXKEY-ENTRYKEY.pdf`` for this caller and how many pages it has (its cover page and its
    fax's converted pages)."""
    entry = preview_entry(session, caller, name)
    try:
        path = preprocessor.preview(entry)
    except ConversionError as exc:  # over a budget of the box (too many CPU seconds, too much memory)
        raise FFWSError(404, f"Preview not available: {exc}.") from None
    if path is None:
        raise FFWSError(404, "Preview not available: the fax has not been converted.")
    return path, pages_of(entry.fax)
