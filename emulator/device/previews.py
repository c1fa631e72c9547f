"""Previews as a cache within the disk quota: where each is kept, what it is reckoned to take, eviction.

An entry's preview is its cover page, then its fax's converted attachments. Without a cover page every entry of a
fax has the same preview, so the fax keeps one file for all of them (``preview.pdf`` in its folder); with one,
each entry has its own (``FAXKEY-ENTRYKEY.pdf``, beside the cover page rendered for it, ``cover-ENTRYKEY.pdf``).
The URL of a preview names the entry either way. A preview that would pass the quota, or not fit on the file
system, first evicts the previews least recently served; when that cannot make room, NotEnoughStorage (503).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.device.quota import (
    COVER_ESTIMATE,
    PREVIEW_OVERHEAD,
    DiskQuota,
    NotEnoughStorage,
    _file_size,
    disk_full,
    free_space,
    unconverted_reserves,
)
from emulator.device.store import DocumentStore

if TYPE_CHECKING:
    import threading

    from emulator.db.work import Works
    from emulator.device.models import FaxEntry

SHARED = "preview.pdf"
PREVIEW_NO_STORAGE = "Preview not available: not enough storage."
_FAX_DIR = re.compile(r"[0-9A-F]{8}")
_ENTRY_PREVIEW = re.compile(r"([0-9A-F]{8})-([0-9A-F]{4})\.pdf")
_COVER = re.compile(r"cover-([0-9A-F]{4})\.pdf")
_THUMBNAIL = re.compile(r"([0-9A-Za-z-]+)\.p[0-9]+\.png")  # page N of the document beside it (device.thumbnails)


def cache_key(folder: str, name: str) -> str | None:
    """The cached group the file ``name`` in ``folder`` belongs to: a preview (itself, the cover page rendered for
    it, its page thumbnails), or a received fax's thumbnail (a group of its own); None for a file that is no cache.
    (Strings, not paths: the walk asks for every file.)"""
    if name.endswith(".png"):
        return _thumbnail_key(folder, name)
    if not name.endswith(".pdf") or name.startswith("attachment-"):
        return None
    parent, faxkey = os.path.split(folder)
    if not _FAX_DIR.fullmatch(faxkey) or os.path.basename(parent) != "faxes":
        return None
    if name == SHARED:
        return os.path.join(folder, name)
    entry = _ENTRY_PREVIEW.fullmatch(name)
    if entry is not None and entry.group(1) == faxkey:
        return os.path.join(folder, name)
    cover = _COVER.fullmatch(name)
    if cover is not None:
        return os.path.join(folder, f"{faxkey}-{cover.group(1)}.pdf")
    return None


def _thumbnail_key(folder: str, name: str) -> str | None:
    thumbnail = _THUMBNAIL.fullmatch(name)
    if thumbnail is None:
        return None
    if os.path.basename(folder) == "inbound" and thumbnail.group(1).isdigit():
        return os.path.join(folder, name)  # a received fax's page: a group of its own
    return cache_key(folder, thumbnail.group(1) + ".pdf")  # the preview it was drawn from


def cache_files(key: str) -> list[Path]:
    """The files of the cached group ``key``: a preview, the cover page rendered for it and its thumbnails; or a
    thumbnail on its own."""
    path = Path(key)
    if path.suffix == ".png":
        return [path]
    entry = _ENTRY_PREVIEW.fullmatch(path.name)
    files = [path, path.with_name(f"cover-{entry.group(2)}.pdf")] if entry else [path]
    try:
        return files + sorted(path.parent.glob(f"{path.stem}.p*.png"))
    except OSError:
        return files


class Previews:
    def __init__(self, store: DocumentStore, quota: DiskQuota) -> None:
        self.store = store
        self.quota = quota

    def path(self, entry: FaxEntry) -> Path:
        fax = entry.fax
        if fax.cover_enabled:
            return self.store.preview(fax.id, entry.number)
        return self.store.fax_dir(fax.id) / SHARED

    def estimate(self, entry: FaxEntry) -> int:
        fax = entry.fax
        parts = sum(_file_size(self.store.attachment_pdf(fax.id, a.position)) for a in fax.attachments)
        return parts + PREVIEW_OVERHEAD + (2 * COVER_ESTIMATE if fax.cover_enabled else 0)

    def get(self, entry: FaxEntry, lock: threading.Lock, render: Callable[[FaxEntry, Path], None]) -> Path:
        """The entry's preview, rendered by ``render(entry, target)`` (under ``lock``) if it is not kept yet."""
        target = self.path(entry)
        with lock:
            if target.exists():
                self.quota.touch(str(target))
                return target
            need = self.estimate(entry)
            try:
                claim = self.quota.claim_cached(str(target), need)
            except NotEnoughStorage:
                raise NotEnoughStorage(PREVIEW_NO_STORAGE) from None
            try:
                render(entry, target)
            except BaseException as exc:
                for path in cache_files(str(target)):  # a cover page rendered before the merge failed
                    path.unlink(missing_ok=True)
                claim.release()
                if isinstance(exc, Exception) and not disk_full(exc) and free_space(self.store.root) < need:
                    raise NotEnoughStorage(PREVIEW_NO_STORAGE) from exc  # the disk filled up while it rendered
                raise
            claim.commit(sum(_file_size(path) for path in cache_files(str(target))), cached=str(target))
        return target


def documents_quota(store: DocumentStore, limit: int, works: Works) -> DiskQuota:
    """The quota of the box's documents, its previews evictable."""
    return DiskQuota(store.root, limit, lambda: unconverted_reserves(works), cache_key, cache_files)
