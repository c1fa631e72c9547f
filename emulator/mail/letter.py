"""A mail of fax by e-mail, read once: who it says it is from, its subject, the cover page's comments (the first
inline text part), its documents (every attachment, then further inline text parts), and what the journal keeps of
it (the headers and text, every other part by its size and SHA-256). One walk over its MIME parts gives them all.

Whatever a sender's mail program writes is read: a text in an unknown charset is read as UTF-8 (else Latin-1) and
said so in the warnings, as is an ignored HTML part. A mail that cannot be read at all is ``Unreadable``."""

from __future__ import annotations

import codecs
import email
import email.policy
import hashlib
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses

from emulator.documents.errors import ConversionError
from emulator.documents.text import decode_text
from emulator.mail.compose import content_type_of

TEXT_PAGE_TYPE = "text/plain; charset=utf-8"


class Unreadable(ValueError):
    """What keeps a mail from being read (its text is the reason)."""


@dataclass(frozen=True)
class Document:
    name: str
    content_type: str
    data: bytes
    sha256: str

    @classmethod
    def of(cls, name: str, content_type: str, data: bytes) -> Document:
        return cls(name, content_type, data, hashlib.sha256(data).hexdigest())

    def summary(self) -> dict[str, object]:
        return {"name": self.name, "content_type": self.content_type, "size": len(self.data), "sha256": self.sha256}


@dataclass
class Letter:
    senders: list[str]  # the addresses of its From: header (none: the envelope's sender says who)
    subject: str
    comments: str
    documents: list[Document]
    shown: bytes  # what the journal keeps of it
    warnings: list[str] = field(default_factory=list)


def read_letter(content: bytes) -> Letter:
    try:
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return _read(message, content)
    except Exception as exc:  # (the email package's header parser fails in its own ways on some malformed mail)
        raise Unreadable(f"the mail cannot be read ({type(exc).__name__}: {exc})") from None


def _read(message: EmailMessage, content: bytes) -> Letter:
    head, _, _ = content.partition(b"\r\n\r\n") if b"\r\n\r\n" in content else content.partition(b"\n\n")
    senders = [address for _name, address in getaddresses([str(v) for v in message.get_all("From", [])]) if address]
    letter = Letter(senders, _clean(str(message.get("Subject", ""))).strip(), "", [], b"")
    shown, inline = [head.decode("utf-8", "replace"), ""], []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind, name = part.get_content_type(), part.get_filename()
        attached = part.get_content_disposition() == "attachment" or name is not None
        if kind == "text/plain" and not attached:
            text = _text(part, letter.warnings)
            inline.append(text)
            shown += [f"--- {kind}", text]
            continue
        data = part.get_payload(decode=True) or b""
        shown.append(f"--- {kind} {name or ''}: [{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}]")
        if kind == "text/html" and not attached:
            letter.warnings.append("an HTML text part was ignored (only text/plain becomes comments)")
            continue
        letter.documents.append(Document.of(name or f"attachment{len(letter.documents) + 1}", _type(part, name), data))
    texts = [text for text in inline if text.strip()]
    if texts:
        letter.comments = texts[0].strip()
        for extra in texts[1:]:  # further inline text parts are pages, as attachments would be
            letter.documents.append(Document.of(f"message{len(letter.documents) + 1}.txt", TEXT_PAGE_TYPE,
                                                extra.encode()))  # fmt: skip
    letter.shown = "\n".join(shown).encode()
    return letter


def _type(part: Message, name: str | None) -> str:
    kind = content_type_of(name or "", part.get_content_type())
    charset = part.get_content_charset() if kind.startswith("text/") else None
    return f"{kind}; charset={charset}" if charset else kind


def _text(part: Message, warnings: list[str]) -> str:
    """An inline text part's text: in its charset, else (unknown, or not what it says) UTF-8 or Latin-1."""
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset()
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            warnings.append(f"a text part's charset {charset} is unknown: it was read as UTF-8 (else Latin-1)")
            charset = None
    try:
        return _clean(decode_text(data, charset))
    except ConversionError:  # (NUL characters: binary data sent as text)
        return _clean(data.decode("utf-8", "replace"))


def _clean(text: str) -> str:
    return text.replace("\x00", "")  # (no database keeps a NUL in text; nothing a fax shows is lost)
