"""Preprocessing: attachments become fax pages (once per fax), entries learn their page count, previews are built.

Converting is real work (pypdf, pillow, reportlab) and happens outside any write transaction. The preview of an
entry (cover page first, then the attachments' pages) is rendered the first time it is asked for and then kept,
so draining thousands of faxes costs no PDF rendering nobody looks at.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from emulator import documents
from emulator.db import Database
from emulator.device import models as m
from emulator.device.models import Attachment, Fax, FaxEntry
from emulator.device.store import DocumentStore
from emulator.wire.times import format_time


def pages_of(fax: Fax) -> int:
    """Pages an entry of a converted fax transmits: the attachments' and its cover page (13 P9a)."""
    assert fax.document_pages is not None
    return fax.document_pages + (1 if fax.cover_enabled else 0)


class Preprocessor:
    def __init__(self, store: DocumentStore, cover_pages: Path, zone: ZoneInfo) -> None:
        self.store = store
        self.cover_pages = cover_pages
        self.zone = zone
        self._preview_lock = threading.Lock()

    def prepare(self, db: Database, now: datetime) -> None:
        """Convert the attachments of every fax whose preprocessing ends by ``now`` and is not converted yet; the
        results are saved together, in one short transaction."""
        due = select(FaxEntry.fax_id).where(FaxEntry.state == m.PREPROCESSING, FaxEntry.due_at <= now)
        stmt = (
            select(Fax.id, Attachment.position, Attachment.name, Attachment.content_type)
            .outerjoin(Attachment, Attachment.fax_id == Fax.id)
            .where(Fax.id.in_(due), Fax.document_pages.is_(None), Fax.conversion_error == "")
            .order_by(Fax.id, Attachment.position)
        )
        todo: dict[int, list[tuple[int, str, str]]] = {}
        with db.read() as session:
            for fax_id, position, name, content_type in session.execute(stmt):
                attachments = todo.setdefault(fax_id, [])
                if position is not None:  # a cover-page-only fax has no attachment rows
                    attachments.append((position, name, content_type))
        if not todo:
            return
        results = []
        for fax_id, attachments in todo.items():
            pages, error = self._convert(fax_id, attachments)
            results.append({"id": fax_id, "document_pages": pages, "conversion_error": error})
        with db.transaction() as session:
            session.execute(update(Fax), results)

    def _convert(self, fax_id: int, attachments: list[tuple[int, str, str]]) -> tuple[int | None, str]:
        total = 0
        for position, name, content_type in attachments:
            try:
                total += documents.attachment_to_pdf(
                    content_type,
                    self.store.attachment_raw(fax_id, position),
                    self.store.attachment_pdf(fax_id, position),
                )
            except documents.ConversionError as exc:
                return None, f"Conversion failed: attachment {name}: {exc}"
        return total, ""

    def finish(self, session: Session, entry: FaxEntry, now: datetime) -> None:
        """End of preprocessing: the entry waits for a line, or is dead when a document could not be converted."""
        fax = entry.fax
        if fax.conversion_error or fax.document_pages is None:
            entry.complete(m.DEAD, fax.conversion_error or "Conversion failed", now)
            return
        entry.pages = pages_of(fax)
        entry.state = m.PENDING
        entry.stime = max(entry.stime, now)
        entry.due_at = entry.stime

    # -- previews ---------------------------------------------------------------------------------------------
    def preview(self, entry: FaxEntry) -> Path | None:
        """The entry's fax as it is transmitted (cover first); None until its documents are converted."""
        fax = entry.fax
        if fax.document_pages is None or fax.conversion_error:
            return None
        target = self.store.preview(fax.id, entry.number)
        with self._preview_lock:
            if not target.exists():
                self._render_preview(entry, target)
        return target

    def _render_preview(self, entry: FaxEntry, target: Path) -> None:
        fax = entry.fax
        parts = []
        if fax.cover_enabled:
            cover = self.store.cover(fax.id, entry.number)
            documents.render_cover_page(self.cover_pages / fax.cover_name, self.cover_fields(entry), cover)
            parts.append(cover)
        parts += [self.store.attachment_pdf(fax.id, a.position) for a in fax.attachments]
        documents.merge_pdfs(parts, target)  # written aside and moved into place: never half a preview

    def cover_fields(self, entry: FaxEntry) -> documents.CoverFields:
        fax = entry.fax
        return documents.CoverFields(
            sender_name=fax.sender_name,
            sender_organization=fax.sender_organization,
            sender_phone_number=fax.sender_phone_number,
            sender_fax_number=fax.sender_fax_number,
            sender_email_address=fax.sender_email_address,
            recipient_name=entry.recipient_name,
            recipient_organization=entry.recipient_organization,
            recipient_fax_number=entry.recipient_fax_number,
            recipient_phone_number=entry.recipient_phone_number,
            subject=fax.subject,
            comments=fax.comments,
            pages=entry.pages,
            date=format_time(fax.created, self.zone),
        )
