"""The faxes of one mail of fax by e-mail: one per address, each exactly as POST /ffws/v1/ofax would make it, all in
one unit of work. Each document is written once, however many addresses share it: every fax stores its own name for
the same file (a hard link), so that a mail to hundreds of addresses takes the room of one before the quota is
checked, as each fax claims its own."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any

from emulator.device.config import read_setting
from emulator.device.quota import disk_full
from emulator.ffws.auth import Caller
from emulator.ffws.ofax import service
from emulator.ffws.ofax.intake import Blob, Blobs
from emulator.ffws.ofax.wire import AttachmentIn, ScheduleFax, normal_content_type
from emulator.ffws.users.models import User
from emulator.mail.letter import TEXT_PAGE_TYPE, Document, Letter
from emulator.mail.replies import Refused
from emulator.mail.t37 import FaxAddress
from emulator.wire import FFWSError

if TYPE_CHECKING:
    from emulator.box import Box

AGENT = "T.37"  # the guide knows FFWS and WebClient; how the box names fax by e-mail is not attested
MAX_COMMENTS = 4000  # as <cover_page><comments> (ofax)


class Faxes:
    def __init__(self, box: Box) -> None:
        self.box = box

    def schedule(self, user: User, letter: Letter, addresses: list[FaxAddress]) -> dict[str, str]:
        """{address: FAXKEY}, all scheduled in one unit of work, or Refused and none."""
        box = self.box
        intake = box.intake()
        blobs = Blobs(box.store.incoming_file)
        try:
            if letter.comments and len(letter.comments) > MAX_COMMENTS and any(a.inline_comments for a in addresses):
                raise Refused(554, f"5.6.0 the text (cover page comments) is longer than {MAX_COMMENTS} characters")
            with box.work(write=False) as look:
                default_cover = read_setting(look.session, "t37_settings")["default_cover_page_name"]
            # Written before the queue's lock is taken, as POST /ofax decodes its documents.
            shared = [(document, _written(blobs, document)) for document in letter.documents]
            page = None
            if letter.comments and not all(a.inline_comments for a in addresses):
                text = Document.of("message.txt", TEXT_PAGE_TYPE, letter.comments.encode())
                page = (text, _written(blobs, text))
            requests = [self._request(user, letter, a, blobs, shared, page, default_cover) for a in addresses]
            for request in requests:
                service.check_request(request, intake)
                service.check_contents(request)
            caller = Caller(id=user.id, username=user.username, is_admin=user.is_admin)
            keys = {}
            with box.work() as work:
                for address, request in zip(addresses, requests, strict=True):
                    entries = service.schedule_fax(work, caller, request, intake, box.clock.now, agent=AGENT)
                    keys[address.address] = f"{entries[0].fax_id:08X}"
            return keys
        except FFWSError as exc:
            if exc.message == service.NOT_ENOUGH_STORAGE:
                raise Refused(452, f"4.3.1 {exc.message}") from None
            raise Refused(554, f"5.6.0 {exc.message}") from None
        except OSError as exc:
            if disk_full(exc):
                raise Refused(452, f"4.3.1 {service.NOT_ENOUGH_STORAGE}") from None
            raise
        finally:
            blobs.discard()

    def _request(
        self,
        user: User,
        letter: Letter,
        address: FaxAddress,
        blobs: Blobs,
        shared: list[tuple[Document, Blob]],
        page: tuple[Document, Blob] | None,
        default_cover: str,
    ) -> ScheduleFax:
        documents = list(shared)
        comments = letter.comments
        if not address.inline_comments and page is not None:
            documents.insert(0, page)
            comments = ""
        enabled = address.cover_enabled
        if enabled is None:  # naming a cover page asks for one
            enabled = address.cover_name is not None or user.default_cover_page_enabled
        name = address.cover_name or default_cover or user.default_cover_page_name or "default.pdf"
        recipient = {"fax_number": address.fax_number, "name": address.attn, "organization": address.org}
        options: dict[str, Any] = {}
        if address.priority is not None:
            options["priority"] = address.priority
        if address.receipt is not None:
            options["receipt"] = address.receipt
        attachments = [
            AttachmentIn(d.name, "inline", normal_content_type(d.content_type), "base64", "", _linked(blobs, blob))
            for d, blob in documents
        ]
        return ScheduleFax(
            cover={"enabled": enabled, "url": name, "subject": letter.subject[:255], "comments": comments},
            sender={},
            sender_unnamed=False,
            recipients=[{**recipient, "subaddress": address.subaddress}],
            attachments=attachments,
            options=options,
            schedule_all_at=None,
        )


def _written(blobs: Blobs, document: Document) -> Blob:
    blob = blobs.create()
    blob.path.write_bytes(document.data)
    blob.size, blob.sha256 = len(document.data), document.sha256
    return blob


def _linked(blobs: Blobs, source: Blob) -> Blob:
    """Another name for ``source``'s file, for one fax to take as its own (scheduling moves it into the fax's
    folder); a copy only where the file system has no hard links."""
    blob = blobs.create()
    blob.path.unlink()
    try:
        os.link(source.path, blob.path)
    except OSError:
        shutil.copyfile(source.path, blob.path)
    blob.size, blob.sha256 = source.size, source.sha256
    return blob
