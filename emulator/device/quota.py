"""The storage the box's documents may take (``--disk-quota``), and how a full disk is recognised.

What is counted: every file under the documents directory (attachments as received, their converted PDFs, received
faxes, cached previews and the cover pages rendered for them), by size, plus what is set aside for documents not
written yet: the converted PDFs of each fax not converted yet (``conversion_reserve``) and the files of requests
being stored (claims).

Counting is cheap: nothing is read when the box starts; the documents directory is walked once, the first time a
request needs the figure, and from then on the tally follows the writes and deletions the box makes. It is thrown
away (and walked again when next needed) when the state is replaced (a reset, an import: ``StateReplaced``), when
the documents directory is no longer the one walked (replaced by a rename), and when a unit of work that changed it
did not commit. Previews are a cache: the walk lists them, least recently used first, and making room evicts them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from emulator.device.models import PREPROCESSING, Attachment, Fax, FaxEntry
from emulator.documents.errors import DISK_FULL_ERRNOS

if TYPE_CHECKING:
    from emulator.db.work import UnitOfWork, Works

log = logging.getLogger("emulator.store")

KIB = 1024
# What a converted attachment is reckoned to take, before it is converted: a PDF is kept byte for byte; text grows
# by its page overhead (a few hundred bytes a page: the 16 KiB covers short texts; a page of 60 full lines is
# smaller as PDF than as text); a raster image is decoded and stored flate-compressed, which measured 0.04x (a white
# page) to 6x (a JPEG of noise) its file, typically 3-5x for photos and scans: 4x. Only an estimate: the real size
# is checked again when the converted file is installed.
IMAGE_GROWTH = 4
ATTACHMENT_OVERHEAD = 16 * KIB
# A preview is its fax's converted attachments merged (measured: within 1 KiB of their sum) after its cover page,
# which is also kept on its own; a cover page measured under 7 KiB with every field full.
COVER_ESTIMATE = 16 * KIB
PREVIEW_OVERHEAD = 4 * KIB
# A base64 body decodes to three quarters of its length; this much of it is reckoned as XML around the content.
ENVELOPE_ALLOWANCE = 64 * KIB

NO_STORAGE = "not enough storage"
CONVERSION_NO_STORAGE = "Conversion failed: not enough storage"


class NotEnoughStorage(Exception):
    """No room for a document even after evicting cached previews; ``message`` is what the device answers (503)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the disk is full: ENOSPC or EDQUOT, SQLite's "database or disk is
    full" (SQLITE_FULL), PostgreSQL's disk_full (53100), or the box's own NotEnoughStorage."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen or len(seen) > 32:
            continue
        seen.add(id(current))
        if isinstance(current, NotEnoughStorage):
            return True
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.Error) and (
            getattr(current, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(current)
        ):
            return True
        if getattr(current, "sqlstate", None) == "53100" or getattr(current, "pgcode", None) == "53100":
            return True
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
        if isinstance(current, BaseExceptionGroup):
            todo += list(current.exceptions)
    return False


def conversion_reserve(size: int, content_type: str) -> int:
    """What the converted PDF of an attachment of ``size`` bytes is reckoned to take (see IMAGE_GROWTH)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return size * (IMAGE_GROWTH if media.startswith("image/") else 1) + ATTACHMENT_OVERHEAD


def body_content(declared: int) -> int:
    """The least a schedule_fax body of ``declared`` bytes is reckoned to store: its base64 content decoded."""
    return max(0, declared - ENVELOPE_ALLOWANCE) * 3 // 4


def free_space(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the file system of ``path`` (or of its nearest parent)."""
    for candidate in (path, *path.parents):
        try:
            info = os.statvfs(candidate)
        except FileNotFoundError:
            continue
        except OSError:
            break
        return info.f_bavail * info.f_frsize
    return 1 << 62


def unconverted_reserves(works: Works) -> dict[int, int]:
    """{fax: bytes set aside for its converted PDFs}, for every fax that will still be converted: not converted
    yet, and with an entry still preprocessing (a fax aborted before its conversion never is)."""
    waiting = select(FaxEntry.fax_id).where(FaxEntry.state == PREPROCESSING)
    stmt = (
        select(Fax.id, Attachment.size, Attachment.content_type)
        .join(Attachment, Attachment.fax_id == Fax.id)
        .where(Fax.document_pages.is_(None), Fax.conversion_error == "", Fax.id.in_(waiting))
    )
    reserves: dict[int, int] = {}
    with works(write=False) as look:
        for fax_id, size, content_type in look.session.execute(stmt):
            reserves[fax_id] = reserves.get(fax_id, 0) + conversion_reserve(size or 0, content_type or "")
    return reserves


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass
class _Tally:
    identity: tuple[int, int] | None
    used: int = 0  # bytes of the files under the documents directory
    reserved: dict[int, int] = field(default_factory=dict)  # fax -> bytes set aside for its converted PDFs
    reserved_total: int = 0
    claimed: int = 0  # bytes set aside for requests storing their documents now
    cached: OrderedDict[str, int] = field(default_factory=OrderedDict)  # preview -> bytes, least recently used first
    cached_total: int = 0

    @property
    def total(self) -> int:
        return self.used + self.reserved_total + self.claimed

    def reserve(self, fax_id: int, nbytes: int) -> None:
        self.reserved_total += nbytes - self.reserved.get(fax_id, 0)
        self.reserved[fax_id] = nbytes

    def unreserve(self, fax_id: int) -> int:
        nbytes = self.reserved.pop(fax_id, 0)
        self.reserved_total -= nbytes
        return nbytes

    def cache(self, key: str, nbytes: int) -> None:
        """The cached preview ``key`` takes ``nbytes`` more (counted in ``used`` too); it is the most recent."""
        self.cached[key] = self.cached.get(key, 0) + nbytes
        self.cached.move_to_end(key)
        self.cached_total += nbytes

    def uncache(self, key: str) -> None:
        self.cached_total -= self.cached.pop(key, 0)


@dataclass(frozen=True)
class Usage:
    limit: int  # 0: no quota
    used: int
    reserved: int
    claimed: int
    cached: int  # of ``used``: cached previews, which make room when evicted

    @property
    def total(self) -> int:
        return self.used + self.reserved + self.claimed


class Claim:
    """Room set aside for files about to be written; ``commit`` replaces it by what was written, ``release`` gives
    it back. A claim made before the tally was thrown away (a reset) changes nothing."""

    def __init__(self, quota: DiskQuota, tally: _Tally | None, nbytes: int) -> None:
        self.quota, self.tally, self.nbytes = quota, tally, nbytes
        self._open = tally is not None

    def release(self) -> None:
        self.commit(0)

    def commit(
        self, used: int, *, fax_id: int | None = None, reserve: int = 0, cached: str | None = None, adds: bool = False
    ) -> None:
        """``used`` bytes written; ``reserve`` more set aside for fax ``fax_id``; ``cached``: the cached group
        written, whole (a preview), or with ``adds`` a file added to it (a thumbnail of the preview)."""
        with self.quota.lock:
            if not self._open:
                return
            self._open = False
            if self.tally is not self.quota.current:  # replaced meanwhile: what it counts is walked again
                self.quota.current = None
                return
            self.tally.claimed -= self.nbytes
            self.tally.used += used
            if fax_id is not None and reserve:
                self.tally.reserve(fax_id, reserve)
            if cached is not None:
                if not adds:
                    self.tally.uncache(cached)
                self.tally.cache(cached, used)


class DiskQuota:
    """The tally of the documents directory ``root`` against ``limit`` bytes (0: no quota, and no tally unless a
    full file system asks previews to make room). ``cache_key(folder, name)`` names the evictable group a file
    belongs to (a preview and the cover page rendered for it, by the preview's path), or None; ``cache_files(key)``
    the files of a group."""

    def __init__(
        self,
        root: Path,
        limit: int,
        reserves: Callable[[], dict[int, int]] | None = None,
        cache_key: Callable[[str, str], str | None] | None = None,
        cache_files: Callable[[str], Iterable[Path]] | None = None,
    ) -> None:
        self.root = root
        self.limit = limit
        self._reserves = reserves or dict
        self._cache_key = cache_key or (lambda _folder, _name: None)
        self._cache_files = cache_files or (lambda key: (Path(key),))
        self.lock = threading.RLock()
        self.current: _Tally | None = None
        self.walks = 0  # how many times the directory was walked (tests, logs)

    # -- the tally ----------------------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.limit > 0

    @property
    def known(self) -> bool:
        return self.current is not None

    def invalidate(self, _event: object = None) -> None:
        """Forget the tally: it is walked again when next needed (after a reset or an import, say)."""
        with self.lock:
            self.current = None

    def _tally(self) -> _Tally:
        """The tally, walked now if it is not known (call with the lock held)."""
        identity = _identity(self.root)
        if self.current is not None and self.current.identity in (identity, None):
            self.current.identity = identity  # (a directory made since the walk holds only what was counted)
            return self.current
        tally = _Tally(identity)
        found: list[tuple[int, str, int]] = []
        stack = [str(self.root)]
        cache_key = self._cache_key
        while stack:
            folder = stack.pop()
            try:
                entries = os.scandir(folder)
            except OSError:
                continue
            with entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        info = entry.stat(follow_symlinks=False)
                        tally.used += info.st_size
                        key = cache_key(folder, entry.name)
                        if key is not None:
                            found.append((info.st_mtime_ns, key, info.st_size))
        found.sort()  # least recently written first (the walk cannot know when each was last served)
        for _mtime, key, size in found:
            tally.cache(key, size)
        for fax_id, nbytes in self._reserves().items():
            tally.reserve(fax_id, nbytes)
        self.walks += 1
        self.current = tally
        return tally

    def usage(self) -> Usage:
        with self.lock:
            tally = self._tally()
            return Usage(self.limit, tally.used, tally.reserved_total, tally.claimed, tally.cached_total)

    def _room(self, tally: _Tally) -> int:
        return self.limit - tally.total if self.enabled else 1 << 62

    # -- faxes ---------------------------------------------------------------------------------------------------
    def could_store(self, nbytes: int) -> bool:
        """Whether ``nbytes`` more could fit, counting cached previews as room (they would be evicted). Walks the
        tally if it is not known yet: called before the queue's lock is taken, no writer waits for the walk."""
        if not self.enabled:
            return True
        with self.lock:
            tally = self._tally()
            return nbytes <= self._room(tally) + tally.cached_total

    def claim(self, nbytes: int, *, keep: str | None = None) -> Claim | None:
        """Set ``nbytes`` aside (evicting cached previews, least recently used first, but never ``keep``), or None
        if even that cannot make room."""
        if not self.enabled:
            return Claim(self, None, nbytes)
        with self.lock:
            tally = self._tally()
            if not self._make_room(tally, nbytes, keep):
                return None
            tally.claimed += nbytes
            return Claim(self, tally, nbytes)

    def admit_conversion(self, work: UnitOfWork, fax_id: int, outputs: Iterable[Path], error: str) -> str:
        """The converted PDFs ``outputs`` of fax ``fax_id`` are about to be installed in ``work``: the fax's error
        (``error``, or CONVERSION_NO_STORAGE when they do not fit). What was set aside for them is given back."""
        nbytes = sum(_file_size(path) for path in outputs) if not error else 0
        if not self.enabled:
            return error
        with self.lock:
            tally = self._tally()
            tally.unreserve(fax_id)
            if not error and not self._make_room(tally, nbytes, None):
                error = CONVERSION_NO_STORAGE
            if not error:
                tally.used += nbytes
        work.on_commit(lambda: self._unreserve(fax_id))  # (a walk between install and commit counted it again)
        work.on_abort(self.invalidate)
        return error

    def _unreserve(self, fax_id: int) -> None:
        with self.lock:
            if self.current is not None:
                self.current.unreserve(fax_id)

    def stored_file(self, work: UnitOfWork, path: Path) -> None:
        """``path`` was moved into the documents in ``work`` (a received fax): counted, not refused; removed again
        if ``work`` does not commit (no document without its row)."""
        work.on_abort(lambda: path.unlink(missing_ok=True))
        if not self.enabled:
            return
        nbytes = _file_size(path)
        with self.lock:
            if self.current is not None:
                self.current.used += nbytes
        work.on_abort(self.invalidate)

    # -- the cache -----------------------------------------------------------------------------------------------
    def touch(self, key: str) -> None:
        """A cached preview was served: it is evicted last."""
        with self.lock:
            if self.current is not None and key in self.current.cached:
                self.current.cached.move_to_end(key)

    def claim_cached(self, key: str, nbytes: int) -> Claim:
        """Room for the cached preview ``key`` about to be rendered, within the quota and on the file system,
        evicting other previews; NotEnoughStorage if that cannot make room."""
        short = free_space(self.root) < nbytes
        if not self.enabled and not short:
            return Claim(self, None, nbytes)
        with self.lock:
            tally = self._tally()
            if not self._make_room(tally, nbytes, key, disk=True):
                raise NotEnoughStorage(NO_STORAGE)
            tally.claimed += nbytes
            return Claim(self, tally, nbytes)

    def _make_room(self, tally: _Tally, nbytes: int, keep: str | None, *, disk: bool = False) -> bool:
        """Evict cached previews (least recently used first, never ``keep``) until ``nbytes`` fit within the quota
        and, with ``disk``, on the file system. False if they cannot (nothing is evicted then)."""
        free = free_space(self.root) if disk else 1 << 62
        evictable = tally.cached_total - tally.cached.get(keep, 0) if keep is not None else tally.cached_total
        if nbytes > self._room(tally) + evictable or nbytes > free + evictable:
            return False
        for key in [key for key in tally.cached if key != keep]:  # least recently served first
            if nbytes <= self._room(tally) and nbytes <= free:
                return True
            free += self._evict(tally, key)
        # (only if the files evicted freed less than the tally said: gone already, or smaller)
        return nbytes <= self._room(tally) and nbytes <= free

    def _evict(self, tally: _Tally, key: str) -> int:
        tally.uncache(key)
        freed = 0
        for path in self._cache_files(key):
            size = _file_size(path)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError:
                log.warning("could not evict the cached preview %s", path, exc_info=True)
                continue
            freed += size
        tally.used -= freed
        return freed
