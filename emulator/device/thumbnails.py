"""Page thumbnails of the box's documents (a fax's preview, a received fax), for its web pages.

A page is drawn by PDFium, and what it draws is the sender's: a PDF attachment is kept byte for byte, so its content
stream reaches the renderer as it was sent (twenty million fill operations in 500 KB took 30 s and 6.5 GB in the
server's process). So a thumbnail is drawn in a conversion worker process, within the box's budgets (CPU seconds,
memory, a deadline), and kept on disk beside its document, counted in the disk quota as a cached preview is: a
preview's thumbnails belong to it and are evicted with it; a received fax's are evicted on their own. A page that
cannot be drawn within the budgets is remembered and refused at once when asked again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from emulator.device.quota import DiskQuota, NotEnoughStorage, _file_size
from emulator.documents import worker
from emulator.documents.errors import ConversionError
from emulator.documents.limits import Limits

WIDTH = 240  # pixels
MAX_HEIGHT = 480
ESTIMATE = 64 * 1024  # what one is reckoned to take before it is drawn (a greyscale page measured 5-40 KiB)
FAILED_KEPT = 256
LOCKS = 64  # pages that could not be drawn, remembered
THUMBNAIL_NO_STORAGE = "Thumbnail not available: not enough storage."


def thumbnail_path(document: Path, number: int) -> Path:
    """Where page ``number`` (1-based) of ``document`` is kept: ``preview.p3.png`` beside ``preview.pdf``."""
    return document.with_name(f"{document.stem}.p{number}.png")


def _signature(path: Path) -> tuple:
    try:
        info = path.stat()
    except OSError:
        return ()
    return (info.st_ino, info.st_mtime_ns, info.st_size)


class Thumbnails:
    def __init__(self, quota: DiskQuota, limits: Limits) -> None:
        self.quota = quota
        self.limits = limits
        self._guard = threading.Lock()
        # One drawing of a page at a time (a second request waits, then finds it drawn): a lock per page, of a few
        # shared by all pages (two that share one wait for each other, which costs little: few are drawn at once).
        self._drawing = [threading.Lock() for _ in range(LOCKS)]
        self._failed: OrderedDict[Path, tuple[tuple, str]] = OrderedDict()  # thumbnail -> (its source as it was, why)

    def page(self, document: Path, number: int, group: str | None = None) -> Path:
        """The PNG of page ``number`` of ``document`` (which has at least that many pages), drawn the first time.
        ``group``: the cached preview it belongs to (evicted with it); None: a group of its own. ConversionError when
        it cannot be drawn within the budgets, NotEnoughStorage when there is no room for it."""
        target = thumbnail_path(document, number)
        key = group if group is not None else str(target)
        with self._drawing[hash(target) % LOCKS]:
            if target.exists():
                self.quota.touch(key)
                return target
            sources = _signature(document)
            failed = self._failed.get(target)
            if failed is not None and failed[0] == sources:
                raise ConversionError(failed[1])
            try:
                claim = self.quota.claim_cached(key, ESTIMATE)
            except NotEnoughStorage:
                raise NotEnoughStorage(THUMBNAIL_NO_STORAGE) from None
            try:
                worker.run("render_thumbnail", (document, number - 1, target, WIDTH, MAX_HEIGHT), self.limits)
            except BaseException as exc:
                target.unlink(missing_ok=True)
                claim.release()
                if isinstance(exc, ConversionError) and exc.permanent:
                    self._remember(target, sources, str(exc))
                raise
            claim.commit(_file_size(target), cached=key, adds=True)
        return target

    def _remember(self, target: Path, sources: tuple, reason: str) -> None:
        with self._guard:
            self._failed[target] = (sources, reason)
            while len(self._failed) > FAILED_KEPT:
                self._failed.popitem(last=False)
