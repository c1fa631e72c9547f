"""Fax by e-mail: a mail to FAX=… addresses from a user's e-mail address becomes one fax per address, exactly as
``POST /ffws/v1/ofax`` would make it (the same checks, limits, queue and journal), with the agent ``T.37``.

The first inline text part is the cover page's comments (INLINE-COMMENTS=false: a text page instead), the Subject is
the cover page's subject, and every attachment (PDF, TIFF, PNG, JPEG, text) is a document of the fax, in order. All
the addresses of one mail are scheduled in one transaction: all or none."""

from __future__ import annotations

import email
import email.policy
import hashlib
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from emulator.device.config import read_setting
from emulator.ffws.auth import Caller
from emulator.ffws.ofax import service
from emulator.ffws.ofax.intake import Blob, Blobs
from emulator.ffws.ofax.wire import AttachmentIn, ScheduleFax, normal_content_type
from emulator.ffws.users.models import User
from emulator.journal import KEEP_BODY
from emulator.mail.compose import content_type_of
from emulator.mail.t37 import AddressError, FaxAddress, parse_fax_address
from emulator.wire import FFWSError

if TYPE_CHECKING:
    from emulator.box import Box

AGENT = "T.37"  # the guide knows FFWS and WebClient; how the box names fax by e-mail is not attested
MAX_COMMENTS = 4000  # as <cover_page><comments> (ofax)


class Refused(Exception):
    """An SMTP answer other than success: ``code`` and its text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text

    @property
    def reply(self) -> str:
        return f"{self.code} {self.text}"


@dataclass
class Letter:
    """What a mail says, once read: who sent it, its comments or text page, its documents."""

    sender: str
    subject: str
    comments: str
    text_page: str  # (INLINE-COMMENTS=false)
    documents: list[tuple[str, str, bytes]]  # (name, content type, bytes)
    warnings: list[str] = field(default_factory=list)


def read_letter(content: bytes, envelope_sender: str) -> Letter:
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    senders = getaddresses([str(message.get("From", ""))])
    sender = (senders[0][1] if senders and senders[0][1] else envelope_sender).strip()
    letter = Letter(sender, str(message.get("Subject", "")).strip(), "", "", [])
    inline: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        name = part.get_filename()
        attached = part.get_content_disposition() == "attachment" or name is not None
        if kind == "text/plain" and not attached:
            inline.append(part.get_content())
        elif kind == "text/html" and not attached:
            letter.warnings.append("an HTML text part was ignored (only text/plain becomes comments)")
        else:
            data = part.get_payload(decode=True) or b""
            kind = content_type_of(name or "", kind)
            if kind.startswith("text/"):
                charset = part.get_content_charset()
                kind = f"{kind}; charset={charset}" if charset else kind
            letter.documents.append((name or f"attachment{len(letter.documents) + 1}", kind, data))
    texts = [text for text in inline if text.strip()]
    if texts:
        letter.comments = texts[0].strip()
        for extra in texts[1:]:  # further inline text parts are pages, as attachments would be
            letter.documents.append((f"message{len(letter.documents) + 1}.txt", "text/plain; charset=utf-8",
                                     extra.encode()))  # fmt: skip
    return letter


class MailIntake:
    def __init__(self, box: Box) -> None:
        self.box = box

    def check_address(self, address: str) -> FaxAddress:
        """An address of a RCPT: its options must be ones the box takes (Refused otherwise)."""
        try:
            parsed = parse_fax_address(address)
        except AddressError as exc:
            raise Refused(553, f"5.1.3 {exc}") from None
        if parsed.cover_name is not None:
            parsed.cover_name = self._cover_name(parsed.cover_name)
        if parsed.ignored and self.box.settings.strict:  # what the box would ignore is refused under --strict
            raise Refused(553, f"5.1.3 unknown option {parsed.ignored[0]} (--strict)")
        return parsed

    def _cover_name(self, name: str) -> str:
        names = set(self.box.cover_page_names())
        for candidate in (name, f"{name}.pdf"):
            if candidate in names:
                return candidate
        raise Refused(553, f"5.1.3 COVER-PAGE-NAME={name}: no cover page of that name on this box")

    def receive(self, envelope_sender: str, recipients: list[str], content: bytes) -> str:
        """The SMTP answer to a whole mail (DATA); every address gets its journal entry."""
        started = time.perf_counter()
        letter = read_letter(content, envelope_sender)
        addresses = [self.check_address(address) for address in recipients]
        user, reply, error, keys = None, "", None, {}
        try:
            if letter.warnings and self.box.settings.strict:
                raise Refused(554, f"5.6.0 {letter.warnings[0]} (--strict)")
            user = self._user(letter.sender)
            keys = self._schedule(user, letter, addresses)
            shown = ", ".join(keys.values())
            reply = f"250 2.0.0 Ok: {'fax' if len(keys) == 1 else 'faxes'} {shown} scheduled"
        except Refused as exc:
            reply, error = exc.reply, exc.text
        self._journal(letter, addresses, content, user, reply, error, keys, started)
        return reply

    def _user(self, address: str) -> User:
        """The user whose address sent the mail; the T.37 settings' allowed_senders, when set, must name it too."""
        with self.box.work(write=False) as look:
            stmt = select(User).where(func.lower(User.email_address) == address.lower(), User.email_address != "")
            user = look.session.scalars(stmt.order_by(User.id)).first()
            if user is not None:
                look.session.expunge(user)  # (a read unit ends with a rollback, which expires what it holds)
            allowed = read_setting(look.session, "t37_settings")["allowed_senders"]
        if user is None or not address:
            who = address or "an unknown sender"
            raise Refused(550, f"5.7.1 {who} is not the e-mail address of a user of this box")
        if not sender_allowed(address, allowed):
            raise Refused(550, f"5.7.1 {address} is not among the T.37 settings' allowed senders")
        return user

    # -- scheduling -----------------------------------------------------------------------------------------------
    def _schedule(self, user: User, letter: Letter, addresses: list[FaxAddress]) -> dict[str, str]:
        """{address: FAXKEY}, all scheduled in one unit of work, or Refused and none."""
        box = self.box
        intake = box.intake()
        caller = Caller(id=user.id, username=user.username, is_admin=user.is_admin)
        blobs = Blobs(box.store.incoming_file)
        try:
            with box.work(write=False) as look:
                default_cover = read_setting(look.session, "t37_settings")["default_cover_page_name"]
            # The documents are written out before the queue's lock is taken, as POST /ofax decodes them.
            requests = [self._request(user, letter, a, blobs, default_cover) for a in addresses]
            for request in requests:
                service.check_request(request, intake)
                service.check_contents(request)
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
        finally:
            blobs.discard()

    def _request(
        self, user: User, letter: Letter, address: FaxAddress, blobs: Blobs, default_cover: str
    ) -> ScheduleFax:
        documents = list(letter.documents)
        comments = letter.comments
        if not address.inline_comments and comments:
            documents.insert(0, ("message.txt", "text/plain; charset=utf-8", comments.encode()))
            comments = ""
        if len(comments) > MAX_COMMENTS:
            raise Refused(554, f"5.6.0 the text (cover page comments) is longer than {MAX_COMMENTS} characters")
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
        return ScheduleFax(
            cover={"enabled": enabled, "url": name, "subject": letter.subject[:255], "comments": comments},
            sender={},
            sender_unnamed=False,
            recipients=[{**recipient, "subaddress": address.subaddress}],
            attachments=[_attachment(blobs, *document) for document in documents],
            options=options,
            schedule_all_at=None,
        )

    # -- the journal ----------------------------------------------------------------------------------------------
    def _journal(
        self,
        letter: Letter,
        addresses: list[FaxAddress],
        content: bytes,
        user: User | None,
        reply: str,
        error: str | None,
        keys: dict[str, str],
        started: float,
    ) -> None:
        shown = _shown(content)
        attachments = [
            {"name": name, "content_type": kind, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, kind, data in letter.documents
        ]
        for address in addresses:
            self.box.journal.record(
                {
                    "time": self.box.clock.now(),
                    "method": "SMTP",
                    "path": address.address,
                    "query": "",
                    "status": int(reply[:3]),
                    "user": user.username if user is not None else None,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "request_size": len(content),
                    "request_body": shown[:KEEP_BODY],
                    "request_truncated": len(shown) > KEEP_BODY,
                    "response_body": reply.encode(),
                    "reason": error,
                    "attachments": attachments,
                    "mail_from": letter.sender,
                    "options": address.as_json(),
                    "fax": keys.get(address.address),
                    "warnings": letter.warnings + [f"ignored option {option}" for option in address.ignored],
                }
            )


def sender_allowed(address: str, allowed: str) -> bool:
    """``allowed``: addresses and domains (``example.com`` or ``@example.com``), separated by commas, semicolons or
    spaces; empty: every user may send."""
    rules = [rule.strip().lower() for rule in allowed.replace(";", ",").replace(" ", ",").split(",") if rule.strip()]
    if not rules:
        return True
    address = address.lower()
    domain = address.rpartition("@")[2]
    return any(address == rule or domain == rule.lstrip("@") for rule in rules)


def _attachment(blobs: Blobs, name: str, content_type: str, data: bytes) -> AttachmentIn:
    blob: Blob = blobs.create()
    blob.path.write_bytes(data)
    blob.size, blob.sha256 = len(data), hashlib.sha256(data).hexdigest()
    return AttachmentIn(name, "inline", normal_content_type(content_type), "base64", "", blob)


def _shown(content: bytes) -> bytes:
    """The mail as the journal keeps it: its headers and text, each other part by its size and SHA-256."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    head, _, _ = content.partition(b"\r\n\r\n") if b"\r\n\r\n" in content else content.partition(b"\n\n")
    lines = [head.decode("utf-8", "replace"), ""]
    for part in message.walk():
        if part.is_multipart():
            continue
        kind, name = part.get_content_type(), part.get_filename()
        if kind == "text/plain" and name is None and part.get_content_disposition() != "attachment":
            lines += [f"--- {kind}", str(part.get_content())]
        else:
            data = part.get_payload(decode=True) or b""
            lines.append(f"--- {kind} {name or ''}: [{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}]")
    return "\n".join(lines).encode()
