"""The request journal: the last N exchanges on /ffws/v1, as a client sent them and as the box answered.

Secrets never enter it: the Authorization header is not recorded, ``<password>`` values are replaced, and the base64
content of attachments is replaced by its decoded size and SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import re
import threading
from collections import deque
from typing import Any
from zoneinfo import ZoneInfo

from emulator.wire.times import format_time

KEEP_BODY = 256 * 1024  # bytes of a request or response body kept in an entry
# A body cut at KEEP_BODY may end inside a <password>: up to the end of the text is the secret then.
_PASSWORD = re.compile(r"(<password(?:\s[^>]*)?>)(.*?)(</password\s*>|\Z)", re.S | re.I)
_PASSWORD_HINT = re.compile(rb"<password", re.I)
_CONTENT = re.compile(r"(<content(?:\s[^>]*)?>)(.*?)(</content\s*>|\Z)", re.S)


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


def without_passwords(body: bytes) -> bytes:
    """Recorded as soon as the exchange ends: no password is ever held in the journal, not even in memory."""
    if not _PASSWORD_HINT.search(body):
        return body
    text = body.decode("utf-8", errors="replace")
    return _PASSWORD.sub(lambda m: f"{m.group(1)}[redacted]{m.group(3)}", text).encode()


def redact(body: bytes) -> str:
    """The request body as the journal shows it: passwords replaced, attachment content summarised."""
    text = without_passwords(body).decode("utf-8", errors="replace")
    return _CONTENT.sub(_summarise_content, text)


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
        self, limit: int | None = None, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            found = [
                e
                for e in self._entries
                if (method is None or e["method"] == method.upper())
                and (path is None or fnmatch.fnmatchcase(e["path"], path))
                and (status is None or e["status"] == status)
            ]
        return [self._shown(e) for e in (found[-limit:] if limit else found)]

    def _shown(self, entry: dict[str, Any]) -> dict[str, Any]:
        """An entry as the control plane shows it; the costly parts are done here, not while serving requests."""
        shown = dict(entry)
        shown["time"] = format_time(entry["time"], self._zone)
        shown["request_body"] = redact(entry["request_body"])
        shown["response_body"] = entry["response_body"].decode("utf-8", errors="replace")
        return shown

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._next_id = 1
