"""The request journal: the last N exchanges on /ffws/v1, as a client sent them and as the box answered.

Secrets never enter it: the Authorization header is not recorded, a request body is redacted before it is kept
(``without_passwords``), and the base64 content of attachments is shown as its decoded size and SHA-256.

Reads are paged: a list holds at most ``LIST_LIMIT`` entries, with each body cut at ``LIST_BODY`` characters; one
entry asked for by its id shows its bodies whole (as kept: the first ``KEEP_BODY`` bytes of each).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import fnmatch
import hashlib
import re
import threading
from collections import deque
from typing import Any
from zoneinfo import ZoneInfo

from emulator.wire.parse import HARDENED, has_dtd
from emulator.wire.times import format_time

KEEP_BODY = 256 * 1024  # bytes of a request or response body kept in an entry
LIST_LIMIT = 500  # entries in one list answer (the default journal size: an unpaged read still gets them all)
LIST_BODY = 4096  # characters of each body in a list answer: 500 entries stay within a few megabytes
REDACTED = "[redacted]"

_CONTENT = re.compile(r"(<content(?:\s[^>]*)?>)(.*?)(</content\s*>|\Z)", re.S)
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_EBCDIC = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC, as libxml2 detects it
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFFED = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


# -- redaction: on the document as the box parses it, whatever its encoding, namespaces or CDATA ----------------
def without_passwords(body: bytes) -> bytes:
    """The request body as the journal keeps it, redacted as soon as the exchange ends: no password is ever held in
    the journal, not even in memory.

    The body is parsed as the box parses it (any encoding libxml2 reads, namespaces, CDATA, a body cut at
    ``KEEP_BODY``) and every element or attribute whose local name is ``password`` is emptied; such a body is kept as
    that document written back (UTF-8, no declaration, comments dropped). What is kept is therefore either the body
    as sent, when it holds no password; or what the strict parser built before it stopped (at the end, at the cut,
    or at the first error), with the passwords emptied; or, when nothing could be parsed of a body that mentions a
    password, a note instead of the body.
    """
    if not _mentions_password(body):
        return body  # an element named password cannot be written without these letters in the document's text
    try:
        root, whole = _parsed(body)
        if root is None:
            return f"[{len(body)} bytes not shown: not well-formed XML, and they mention a password]".encode()
        if not _empty_passwords(root) and whole:
            return body  # well-formed, no DTD, no password in it: nothing to hide
        from lxml import etree

        return etree.tostring(root, encoding="unicode").encode()
    except Exception:  # recording must never fail the exchange, nor fall back to the body as sent
        return f"[{len(body)} bytes not shown: they mention a password and could not be read]".encode()


def _mentions_password(body: bytes) -> bool:
    """Whether the document's text may contain the word, in whichever encoding it is read: any ASCII-compatible
    one, UTF-16/UTF-32 (the letters with NUL bytes between them), or one its declaration names."""
    if b"password" in body.lower():  # (a case-insensitive regex is ten times slower on a 256 KiB body)
        return True
    compact = body.replace(b"\x00", b"") if b"\x00" in body else body
    if (compact is not body and b"password" in compact.lower()) or body.lstrip().startswith(_EBCDIC):
        return True
    declared = _DECLARED.match(compact[:512])
    if declared is None:
        return False
    try:
        codec = codecs.lookup(declared.group(1).decode("ascii")).name
    except (LookupError, ValueError):
        return True  # an encoding Python cannot read (libxml2 may): assume the worst
    if codec in ("utf-8", "ascii") or codec.startswith(("iso8859-", "cp125")):
        return False  # ASCII letters are their own bytes, one each: the search above was exact
    return "password" in body.decode(codec, errors="replace").casefold()


def _parsed(body: bytes) -> tuple[Any, bool]:
    """The root element the strict parser built (None if none) and whether the whole body parsed, with no DTD.

    The parser is the box's (no entities resolved, no DTD loaded, no network) fed the body at once; on an error or at
    the end of a cut body it stops, and the tree holds what came before: the rest is never shown."""
    from lxml import etree

    parser = etree.XMLPullParser(events=("start",), huge_tree=False, **HARDENED)
    whole = True
    try:
        parser.feed(body.lstrip())  # the box skips leading white space too
    except etree.LxmlError:
        whole = False
    root = next((element for _event, element in parser.read_events()), None)
    if whole:
        try:
            parser.close()
        except etree.LxmlError:
            whole = False
    if root is not None:
        whole = whole and not has_dtd(root)
    return root, whole


def _empty_passwords(root: Any) -> bool:
    """Empty every element named password (text, children, attributes) and every password attribute; any found?"""
    found = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if _local_name(element.tag) == "password":
            element.clear(keep_tail=True)
            element.text = REDACTED
            found = True
            continue
        for name in element.attrib:
            if _local_name(name) == "password":
                element.attrib[name] = REDACTED
                found = True
    return found


def _local_name(name: str) -> str:
    """As the box reads names: without namespace or prefix (and here in any case, to be safe)."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].casefold()


# -- showing a body --------------------------------------------------------------------------------------------
def _text(body: bytes) -> str:
    """A body as text, read in its own encoding: byte order mark, UTF-16/32 without one, declared, else UTF-8."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    head = body.lstrip(b" \t\r\n")
    for start, codec in _SNIFFED:
        if head.startswith(start):
            return body.decode(codec, errors="replace")
    declared = _DECLARED.match(head[:512])
    if declared is not None:
        try:
            return body.decode(declared.group(1).decode("ascii"), errors="replace")
        except (LookupError, ValueError):
            pass
    return body.decode("utf-8", errors="replace")


def _summarise_content(match: re.Match[str]) -> str:
    start, text, end = match.group(1), match.group(2), match.group(3)
    if not end:
        return f"{start}[content truncated in the journal]"
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
        summary = f"[{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}]"
    except (binascii.Error, ValueError):
        summary = f"[{len(text)} characters of invalid base64]"
    return f"{start}{summary}{end}"


def redact(body: bytes) -> str:
    """The request body as the journal shows it (its passwords were emptied when it was kept): attachment content
    summarised."""
    return _CONTENT.sub(_summarise_content, _text(body))


class Journal:
    def __init__(self, size: int, zone: ZoneInfo) -> None:
        self._zone = zone
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._next_id = 1

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["id"] = self._next_id
            self._next_id += 1
            self._entries.append(entry)

    def entries(
        self,
        limit: int | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        *,
        warned: bool | None = None,
    ) -> list[dict[str, Any]]:
        """The last ``limit`` matching entries (oldest first), bodies whole."""
        found = self._matching(method, path, status, None, warned)
        return [self._shown(e) for e in self._loaded(found[-limit:] if limit else found)]

    def page(
        self,
        limit: int | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        before: int | None = None,
        *,
        warned: bool | None = None,
    ) -> dict[str, Any]:
        """One page of the list: the last ``limit`` (at most LIST_LIMIT) matching entries older than the entry
        ``before``, oldest first, bodies cut at LIST_BODY characters. When older ones match too, ``next_before``
        continues to them; without it the answer is the one an unpaged journal gave (``{"entries": [...]}``)."""
        limit = min(limit or LIST_LIMIT, LIST_LIMIT)
        found = self._matching(method, path, status, before, warned)
        shown = found[-limit:]
        answer: dict[str, Any] = {"entries": [self._listed(e) for e in self._loaded(shown)]}
        if len(found) > len(shown):
            answer["next_before"] = shown[0]["id"]
        return answer

    def entry(self, entry_id: int) -> dict[str, Any] | None:
        """One entry, bodies whole; None when it was never recorded, cleared or pushed out of the ring."""
        found = next((e for e in self._snapshot() if e["id"] == entry_id), None)
        return None if found is None else self._shown(self._loaded([found])[0])

    def _matching(
        self, method: str | None, path: str | None, status: int | None, before: int | None, warned: bool | None
    ) -> list[dict[str, Any]]:
        return [
            e
            for e in self._snapshot()
            if (method is None or e["method"] == method.upper())
            and (path is None or fnmatch.fnmatchcase(e["path"], path))
            and (status is None or e["status"] == status)
            and (before is None or e["id"] < before)
            and (warned is None or bool(e.get("warnings")) == warned)
        ]

    def _snapshot(self) -> list[dict[str, Any]]:
        """Every kept entry, oldest first (the bodies may be left out: ``_loaded`` adds them)."""
        with self._lock:
            return list(self._entries)

    def _loaded(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return entries  # kept whole in memory

    def _shown(self, entry: dict[str, Any]) -> dict[str, Any]:
        """An entry as the control plane shows it; the costly parts are done here, not while serving requests."""
        shown = dict(entry)
        shown["time"] = format_time(entry["time"], self._zone)
        shown["request_body"] = redact(entry["request_body"])
        shown["response_body"] = _text(entry["response_body"])
        return shown

    def _listed(self, entry: dict[str, Any]) -> dict[str, Any]:
        shown = self._shown(entry)
        for key in ("request_body", "response_body"):
            body = shown[key]
            shown[f"{key}_cut"] = len(body) > LIST_BODY
            shown[key] = body[:LIST_BODY]
        return shown

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._next_id = 1
