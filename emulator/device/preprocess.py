"""Preprocessing: attachments become fax pages (once per fax), entries learn their page count, previews are built.

Converting is real work (pypdf, pillow, reportlab) and happens outside any write transaction. The preview of an
entry (cover page first, then the attachments' pages) is rendered the first time it is asked for and then kept,
so draining thousands of faxes costs no PDF rendering nobody looks at.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from emulator import documents
from emulator.db.work import Works
from emulator.device import models as m
from emulator.device.models import Attachment, Fax, FaxEntry
from emulator.device.store import DocumentStore
from emulator.wire.times import format_time

log = logging.getLogger("emulator.queue")


def pages_of(fax: Fax) -> int:
    """Pages an entry of a converted fax transmits: the attachments' and its cover page (13 P9a)."""
    assert fax.document_pages is not None
    return fax.document_pages + (1 if fax.cover_enabled else 0)


@dataclass
class Conversion:
    """One fax's converted attachments, written aside until the queue applies them."""

    fax_id: int
    pages: int = 0
    error: str = ""
    outputs: list[tuple[Path, Path]] = field(default_factory=list)  # (written aside, its place in the store)

    def row(self) -> dict:
        if self.error:
            return {"id": self.fax_id, "document_pages": None, "conversion_error": self.error}
        return {"id": self.fax_id, "document_pages": self.pages, "conversion_error": ""}

    def install(self) -> None:
        """Move the converted pages into the fax's folder (nothing for a fax whose conversion failed)."""
        for written, place in self.outputs:
            if self.error or not place.parent.is_dir():
                written.unlink(missing_ok=True)
            else:
                written.replace(place)

    def discard(self) -> None:
        for written, _place in self.outputs:
            written.unlink(missing_ok=True)


class Preprocessor:
    def __init__(self, store: DocumentStore, cover_pages: Path, zone: ZoneInfo) -> None:
        self.store = store
        self.cover_pages = cover_pages
        self.zone = zone
        self._preview_lock = threading.Lock()
        self._convert_lock = threading.Lock()  # one conversion batch at a time (the runner's or an advance's)

    def convert_due(self, works: Works, now: datetime) -> int:
        """Convert the attachments of every fax whose preprocessing ends by ``now`` and is not converted yet.

        The conversion runs outside the queue's lock, into files of its own; the results are applied together in
        one short transaction under it, and only if no reset or import replaced the state meanwhile. A failure
        of one fax (a bad document, or anything unexpected) is that fax's conversion error, never the queue's.
        Returns how many faxes were converted."""
        with self._convert_lock:
            epoch = works.epoch
            todo = self._unconverted(works, now)
            if not todo:
                return 0
            results = [self._convert(fax_id, attachments) for fax_id, attachments in todo.items()]
            with works() as work:
                session = work.session  # the queue's lock: no reset or import can come between check and write
                if works.epoch != epoch:  # the faxes converted are gone: a reset or import came between
                    for result in results:
                        result.discard()
                    return 0
                still = set(session.scalars(select(Fax.id).where(Fax.id.in_(todo), Fax.document_pages.is_(None))))
                rows = []
                for result in results:
                    if result.fax_id in still:
                        result.install()
                        rows.append(result.row())
                    else:
                        result.discard()
                if rows:
                    session.execute(update(Fax), rows)
            return len(rows)

    @staticmethod
    def _unconverted(works: Works, now: datetime) -> dict[int, list[tuple[int, str, str]]]:
        due = select(FaxEntry.fax_id).where(FaxEntry.state == m.PREPROCESSING, FaxEntry.due_at <= now)
        stmt = (
            select(Fax.id, Attachment.position, Attachment.name, Attachment.content_type)
            .outerjoin(Attachment, Attachment.fax_id == Fax.id)
            .where(Fax.id.in_(due), Fax.document_pages.is_(None), Fax.conversion_error == "")
            .order_by(Fax.id, Attachment.position)
        )
        todo: dict[int, list[tuple[int, str, str]]] = {}
        with works(write=False) as work:
            for fax_id, position, name, content_type in work.session.execute(stmt):
                attachments = todo.setdefault(fax_id, [])
                if position is not None:  # a cover-page-only fax has no attachment rows
                    attachments.append((position, name, content_type))
        return todo

    def _convert(self, fax_id: int, attachments: list[tuple[int, str, str]]) -> Conversion:
        result = Conversion(fax_id)
        for position, name, content_type in attachments:
            output = self.store.incoming_file()
            result.outputs.append((output, self.store.attachment_pdf(fax_id, position)))
            try:
                result.pages += documents.attachment_to_pdf(
                    content_type, self.store.attachment_raw(fax_id, position), output
                )
            except documents.ConversionError as exc:
                result.error = f"Conversion failed: attachment {name}: {exc}"
            except Exception:  # a bug or a vanished file must cost this fax only, never stall the queue
                log.exception("converting fax %s failed", fax_id)
                result.error = f"Conversion failed: attachment {name}: internal error"
            if result.error:
                break
        return result

    @staticmethod
    def finish(entry: FaxEntry, now: datetime) -> bool:
        """End of preprocessing: the entry waits for a line, or is dead when a document could not be converted.
        False (nothing done) while its fax's documents are not converted yet."""
        fax = entry.fax
        if fax.conversion_error:
            entry.complete(m.DEAD, fax.conversion_error, now)
            return True
        if fax.document_pages is None:
            return False
        entry.pages = pages_of(fax)
        entry.state = m.PENDING
        entry.stime = max(entry.stime, now)
        entry.due_at = entry.stime
        return True

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
