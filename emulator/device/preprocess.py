"""Preprocessing: attachments become fax pages (once per fax), entries learn their page count, previews are built.

Converting is real work (pypdf, pillow, reportlab) and happens outside any write transaction, in a worker process
and within the box's budgets (emulator.documents.worker): pages per attachment and per fax, pixels, TIFF frames, CPU
seconds and memory. A document over one ends its fax ``dead`` with the reason. The preview of an entry (cover page
first, then the attachments' pages) is rendered the first time it is asked for and then kept, so draining thousands
of faxes costs no PDF rendering nobody looks at.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from emulator import documents
from emulator.db.work import Works
from emulator.device import models as m
from emulator.device.models import Attachment, Fax, FaxEntry
from emulator.device.previews import Previews
from emulator.device.quota import CONVERSION_NO_STORAGE, DiskQuota, disk_full
from emulator.device.store import DocumentStore
from emulator.documents import worker
from emulator.documents.limits import DEFAULT_LIMITS, Limits, TooManyPages
from emulator.events import FaxConverted
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


# Previews that failed to render, remembered so that asking again costs nothing: at most this many.
FAILED_PREVIEWS_KEPT = 256


class Preprocessor:
    def __init__(
        self,
        store: DocumentStore,
        cover_pages: Path,
        zone: ZoneInfo,
        limits: Limits = DEFAULT_LIMITS,
        quota: DiskQuota | None = None,
    ) -> None:
        self.store = store
        self.quota = quota if quota is not None else DiskQuota(store.root, 0)
        self.previews = Previews(store, self.quota)
        self.cover_pages = cover_pages
        self.zone = zone
        self.limits = limits
        self._preview_lock = threading.Lock()
        self._failed_previews: dict[Path, tuple[tuple, str]] = {}  # preview -> (its sources as they were, reason)
        self._convert_lock = threading.Lock()  # one conversion batch at a time (the runner's or an advance's)

    def convert_due(self, works: Works, now: datetime) -> int:
        """Convert the attachments of every fax whose preprocessing ends by ``now`` and is not converted yet.

        Each fax is converted outside the queue's lock, into files of its own, and its result applied in a short
        transaction of its own under it (a fax converted early does not wait for a long one after it), only if no
        reset or import replaced the state meanwhile. A failure of one fax (a bad document, a budget passed, or
        anything unexpected) is that fax's conversion error, never the queue's. Returns how many faxes were
        converted."""
        with self._convert_lock:
            epoch = works.epoch
            converted = 0
            for fax_id, (cover, attachments) in self._unconverted(works, now).items():
                if works.epoch != epoch:  # the rest is gone too: a reset or import came
                    break
                started = time.perf_counter()  # how long conversions take is reported (metrics), never acted on
                result = self._convert(fax_id, attachments, cover)
                converted += self._apply(works, epoch, result, time.perf_counter() - started)
            return converted

    def _apply(self, works: Works, epoch: int, result: Conversion, seconds: float) -> int:
        with works() as work:
            session = work.session  # the queue's lock: no reset or import can come between check and write
            still = session.scalar(select(Fax.id).where(Fax.id == result.fax_id, Fax.document_pages.is_(None)))
            if works.epoch != epoch or still is None:  # replaced, or converted meanwhile: not to be applied
                result.discard()
                return 0
            outputs = [written for written, _place in result.outputs]
            result.error = self.quota.admit_conversion(work, result.fax_id, outputs, result.error)
            result.install()
            session.execute(update(Fax), [result.row()])
            work.emit(FaxConverted(result.fax_id, None if result.error else result.pages, result.error, seconds))
        return 1

    @staticmethod
    def _unconverted(works: Works, now: datetime) -> dict[int, tuple[bool, list[tuple[int, str, str]]]]:
        """{fax: (whether it has a cover page, its attachments (position, name, content type) in order)}"""
        due = select(FaxEntry.fax_id).where(FaxEntry.state == m.PREPROCESSING, FaxEntry.due_at <= now)
        stmt = (
            select(Fax.id, Fax.cover_enabled, Attachment.position, Attachment.name, Attachment.content_type)
            .outerjoin(Attachment, Attachment.fax_id == Fax.id)
            .where(Fax.id.in_(due), Fax.document_pages.is_(None), Fax.conversion_error == "")
            .order_by(Fax.id, Attachment.position)
        )
        todo: dict[int, tuple[bool, list[tuple[int, str, str]]]] = {}
        with works(write=False) as work:
            for fax_id, cover, position, name, content_type in work.session.execute(stmt):
                _, attachments = todo.setdefault(fax_id, (cover, []))
                if position is not None:  # a cover-page-only fax has no attachment rows
                    attachments.append((position, name, content_type))
        return todo

    def _convert(self, fax_id: int, attachments: list[tuple[int, str, str]], cover: bool = False) -> Conversion:
        """Each attachment in turn, each within the pages the attachment and the fax (its cover page counted) have
        left; the first that fails is the fax's conversion error."""
        result = Conversion(fax_id)
        for position, name, content_type in attachments:
            output = self.store.incoming_file()
            result.outputs.append((output, self.store.attachment_pdf(fax_id, position)))
            fax_left = self.limits.fax_pages - int(cover) - result.pages
            limits = self.limits.for_pages(max(0, min(self.limits.max_pages, fax_left)))
            try:
                result.pages += self._convert_attachment(
                    content_type, self.store.attachment_raw(fax_id, position), output, limits
                )
            except TooManyPages as exc:
                reason = str(exc)
                if fax_left < self.limits.max_pages:
                    reason = f"the fax would have more than {self.limits.fax_pages} pages"
                    reason += " (its cover page included)" if cover else ""
                result.error = f"Conversion failed: attachment {name}: {reason}"
            except documents.ConversionError as exc:
                result.error = f"Conversion failed: attachment {name}: {exc}"
            except Exception as exc:  # a full disk, a bug or a vanished file costs this fax only, never the queue
                if disk_full(exc):
                    log.warning("converting fax %s: the disk is full", fax_id)
                    result.error = CONVERSION_NO_STORAGE
                else:
                    log.exception("converting fax %s failed", fax_id)
                    result.error = f"Conversion failed: attachment {name}: internal error"
            if result.error:
                break
        return result

    @staticmethod
    def _convert_attachment(content_type: str, raw: Path, output: Path, limits: Limits) -> int:
        return worker.run("convert_attachment", (content_type, raw, output), limits)

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
        """The entry's fax as it is transmitted (cover first); None until its documents are converted. A preview
        that cannot be rendered within the budgets raises ConversionError, again at once when asked again."""
        fax = entry.fax
        if fax.document_pages is None or fax.conversion_error:
            return None
        return self.previews.get(entry, self._preview_lock, self._render_preview)  # within the disk quota

    def _render_preview(self, entry: FaxEntry, target: Path) -> None:
        fax = entry.fax
        parts = [self.store.attachment_pdf(fax.id, a.position) for a in fax.attachments]
        sources = _signature(parts)
        failed = self._failed_previews.get(target)
        if failed is not None and failed[0] == sources:
            raise documents.ConversionError(failed[1])
        cover = None
        if fax.cover_enabled:
            cover = (
                self.cover_pages / fax.cover_name,
                self.cover_fields(entry),
                self.store.cover(fax.id, entry.number),
            )
        try:
            # Written aside and moved into place: never half a preview.
            worker.run("render_preview", (cover, parts, target), self.limits)
        except documents.ConversionError as exc:
            if exc.permanent:  # (not a deadline passed on a busy machine, say: that may go better next time)
                if len(self._failed_previews) >= FAILED_PREVIEWS_KEPT:
                    self._failed_previews.pop(next(iter(self._failed_previews)))
                self._failed_previews[target] = (sources, str(exc))
            raise

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
            date=format_time(fax.created, self.zone, "T"),  # a document, not an answer: the same in every context
        )


def _signature(paths: list[Path]) -> tuple:
    """Which files these are (after a reset, the same names are other files)."""
    signature = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            signature.append(None)
        else:
            signature.append((info.st_ino, info.st_mtime_ns, info.st_size))
    return tuple(signature)
