"""What each mail of the queue says and carries: a receipt with the fax as transmitted (PDF or TIFF), a received
fax's mails with its pages split by the Email Size Limit, in PDF or TIFF (made in conversion workers, within the
box's budgets), and a modem log when its reception failed part-way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from emulator.device.models import FaxEntry
from emulator.device.preprocess import Preprocessor
from emulator.device.store import DocumentStore
from emulator.documents import ConversionError, worker
from emulator.documents.limits import Limits
from emulator.mail.models import INBOUND
from emulator.mail.options import MailOptions
from emulator.mail.templates import Templates

if TYPE_CHECKING:
    from emulator.mail.compose import Attachment, Draft, Written

FAX_FILES = "emulator.mail.documents:fax_files"
BASE64_BYTES, BASE64_LINE = 57, 78  # the email package's base64: 57 bytes a line of 76 characters and CRLF
MAX_PARTS = 9999  # (more than a fax's pages: the longest part number a subject or a Message-ID may hold)
SPLIT_MARGIN = 2 * BASE64_LINE  # what the estimate cannot know: a longer part number or file name, the last line


@dataclass
class Job:
    """What composing one mail needs, read in one short read."""

    mail_id: int
    kind: str
    created: datetime
    facts: dict[str, Any]
    recipient: tuple[str, str]  # (name, address)
    sender: tuple[str, str]
    options: MailOptions
    entry: FaxEntry | None = None  # a receipt's entry, loaded
    document: Path | None = None  # a received fax's pages


class Contents:
    def __init__(
        self,
        store: DocumentStore,
        preprocessor: Preprocessor,
        templates: Templates,
        zone: ZoneInfo,
        lines: int,
        limits: Limits,
    ) -> None:
        self.store, self.preprocessor, self.templates = store, preprocessor, templates
        self.zone, self.lines, self.limits = zone, lines, limits

    def write(self, job: Job) -> list[Written]:
        from emulator.mail import compose  # (the email package is loaded once there is a mail to write)

        drafts = self._inbound(job) if job.kind == INBOUND else [self._receipt(job)]
        stamp = f"{job.mail_id}.{{}}" if len(drafts) > 1 else f"{job.mail_id}"
        return [
            compose.write_message(stamp.format(number), job.created, self.zone, job.sender, job.recipient, draft)
            for number, draft in enumerate(drafts, start=1)
        ]

    def _receipt(self, job: Job) -> Draft:
        from emulator.mail import compose

        facts, wanted = job.facts, job.facts.get("receipt_attachment", "none")
        attached, note = None, ""
        if wanted != "none":
            fmt = "pdf" if wanted == "pdf" else "tiff"
            try:
                attached = self._preview(job.entry, fmt, f"{facts['faxkey']}-{facts['entrykey']}")
                note = f"The fax as transmitted is attached ({attached.filename})."
            except ConversionError as exc:
                note = f"The fax could not be attached: {exc}."
        return compose.receipt_draft(self.templates, facts, attached, note)

    def _preview(self, entry: FaxEntry | None, fmt: str, name: str) -> Attachment:
        from emulator.mail.compose import Attachment

        path = self.preprocessor.preview(entry) if entry is not None else None
        if path is None:
            raise ConversionError("its documents were never converted")
        if fmt == "pdf":
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # a cached preview, evicted meanwhile: rendered again
                data = self.preprocessor.preview(entry).read_bytes()  # type: ignore[union-attr]
            return Attachment(f"{name}.pdf", "application/pdf", data)
        [(data, _first, _last)] = self._files(path, "tiff", 0)
        return Attachment(f"{name}.tif", "image/tiff", data)

    def _inbound(self, job: Job) -> list[Draft]:
        from emulator.mail import compose

        facts, options = job.facts, job.options
        log_file = compose.modem_log(self.templates, facts, self.lines) if facts["result"] == "partial" else None
        stem, note = f"fax{facts['inbound_id']}_{facts['end_stamp']}", ""

        def drafts(files: list[Attachment], note: str = "") -> list[Draft]:
            name = job.recipient[0] or job.recipient[1]
            details = options.email_fax_details
            return compose.inbound_drafts(self.templates, facts, name, files, details=details, note=note,
                                          modem_log=log_file)  # fmt: skip

        if job.document is None:
            return drafts([], "The fax's pages are no longer stored.")
        formats = [options.fax_output_format] + (["pdf"] if options.fax_output_format == "tiff" else [])
        for fmt in formats:
            budget = self._file_budget(job, drafts, stem, fmt)
            try:
                found = self._files(job.document, fmt, budget)
            except ConversionError as exc:
                note = f"The fax could not be written as {fmt.upper()}: {exc}."
                continue
            return drafts([self._fax_file(stem, fmt, n, len(found), data) for n, (data, _f, _l) in enumerate(found, 1)])
        return drafts([], note)

    def _file_budget(self, job: Job, drafts: Callable[[list[Attachment]], list[Draft]], stem: str, fmt: str) -> int:
        """Bytes of the fax's file one mail may carry for the whole mail (headers, text, modem log, the file in
        base64) to stay within the Email Size Limit, as a server's maximum message size counts it; 0: no limit."""
        from emulator.mail import compose

        limit = job.options.size_limit_bytes
        if not limit:
            return 0
        empty = drafts([self._fax_file(stem, fmt, n, 2, b"") for n in (1, 2)])[0]  # (the first part: the modem log)
        ident = f"{job.mail_id}.{MAX_PARTS}"
        bare = compose.write_message(ident, job.created, self.zone, job.sender, job.recipient, empty)
        room = limit - len(bare.data) - SPLIT_MARGIN
        return max(1, room // BASE64_LINE * BASE64_BYTES)  # (1: every page alone)

    @staticmethod
    def _fax_file(stem: str, fmt: str, number: int, count: int, data: bytes) -> Attachment:
        from emulator.mail.compose import Attachment

        suffix = f"_part{number}" if count > 1 else ""
        if fmt == "tiff":
            return Attachment(f"{stem}{suffix}.tif", "image/tiff", data)
        return Attachment(f"{stem}{suffix}.pdf", "application/pdf", data)

    def _files(self, source: Path, fmt: str, limit: int) -> list[tuple[bytes, int, int]]:
        """The fax ``source`` as ``fmt`` files within ``limit`` bytes each, made in a conversion worker."""
        prefix = self.store.incoming_file()
        made: list[tuple[Path, int, int]] = []
        try:
            made = worker.run(FAX_FILES, (source, fmt, limit, prefix), self.limits)
            return [(path.read_bytes(), first, last) for path, first, last in made]
        finally:
            prefix.unlink(missing_ok=True)
            for path in prefix.parent.glob(prefix.name + "-*"):
                path.unlink(missing_ok=True)
