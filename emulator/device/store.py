"""Where documents live on disk: ``<data-dir>/documents/faxes/FAXKEY/``, ``…/inbound/ID.pdf`` (received faxes),
``…/mail/ID.eml`` (the mail queue) and ``<data-dir>/incoming`` for uploads in flight.

A reset or a snapshot import replaces the whole ``documents`` directory at once. The new set is written into a
staging directory beside it (``documents.staging-GEN``), whose name ``GEN`` (also in its ``.generation`` file) the
database records in the same transaction as the new rows. Right after that commit the staging directory is renamed
into place and the old one removed. Whatever moment a process dies at, the database names the set of documents that
belongs to it, and ``recover`` (at start) puts that set in place and removes the others: a box never comes back with
the rows of one state and the files of another.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

log = logging.getLogger("emulator.store")

MARKER = ".generation"
# Every name the store gives a document (relative to its root), and no other: what a snapshot may hold.
DOCUMENT_NAME = re.compile(
    r"faxes/[0-9A-F]{8,16}/(?:attachment-[0-9]{1,6}\.(?:bin|pdf)|cover-[0-9A-F]{4,8}\.pdf"
    r"|(?:[0-9A-F]{8,16}-[0-9A-F]{4,8}|preview)(?:\.pdf|\.p[0-9]{1,7}\.png))"
    r"|inbound/[0-9]{1,19}(?:\.pdf|\.p[0-9]{1,7}\.png)|mail/[0-9]{1,19}\.eml"
)  # (a PNG is a page thumbnail: emulator.device.thumbnails)
STAGING = ".staging-"
RETIRED = ".retired-"


def faxkey_text(fax_id: int) -> str:
    return f"{fax_id:08X}"


def entrykey_text(number: int) -> str:
    return f"{number:04X}"


def preview_name(fax_id: int, number: int) -> str:
    """``FAXKEY-ENTRYKEY.pdf``: the preview's name on disk and in its URL."""
    return f"{faxkey_text(fax_id)}-{entrykey_text(number)}.pdf"


def _marker(folder: Path) -> str | None:
    try:
        return (folder / MARKER).read_text().strip() or None
    except OSError:
        return None


class DocumentStore:
    def __init__(self, root: Path, incoming: Path | None = None) -> None:
        self.root = root
        # Outside ``root``, so that an upload in flight survives its replacement; on the same file system, so that
        # moving it into place is a rename.
        self.incoming = incoming if incoming is not None else root.with_name("incoming")

    def fax_dir(self, fax_id: int) -> Path:
        return self.root / "faxes" / faxkey_text(fax_id)

    def attachment_raw(self, fax_id: int, position: int) -> Path:
        return self.fax_dir(fax_id) / f"attachment-{position}.bin"

    def attachment_pdf(self, fax_id: int, position: int) -> Path:
        return self.fax_dir(fax_id) / f"attachment-{position}.pdf"

    def cover(self, fax_id: int, number: int) -> Path:
        return self.fax_dir(fax_id) / f"cover-{entrykey_text(number)}.pdf"

    def preview(self, fax_id: int, number: int) -> Path:
        return self.fax_dir(fax_id) / preview_name(fax_id, number)

    def inbound(self, fax_id: int) -> Path:
        """A received fax."""
        return self.root / "inbound" / f"{fax_id}.pdf"

    def mail(self, mail_id: int) -> Path:
        """A mail of the mail queue, as sent (RFC 5322)."""
        return self.root / "mail" / f"{mail_id}.eml"

    def incoming_file(self) -> Path:
        """A new empty file for an upload being received (moved into place once the fax is stored)."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.incoming, suffix=".part")
        os.close(handle)
        return Path(name)

    def clear_incoming(self) -> None:
        shutil.rmtree(self.incoming, ignore_errors=True)
        shutil.rmtree(self.root / "incoming", ignore_errors=True)  # where data dirs of earlier versions kept them

    def files(self) -> list[Path]:
        """Every stored document, in a stable order (the generation marker is not one)."""
        if not self.root.is_dir():
            return []
        marker = self.root / MARKER
        return sorted(p for p in self.root.rglob("*") if p.is_file() and p != marker)

    # -- replacing the whole set ---------------------------------------------------------------------------------
    def stage(self) -> Staging:
        """A new, empty set of documents beside the current one, to be filled and then swapped in."""
        generation = uuid.uuid4().hex
        folder = self.root.with_name(self.root.name + STAGING + generation)
        folder.mkdir(parents=True)
        (folder / MARKER).write_text(generation + "\n")
        return Staging(generation, folder)

    def swap_in(self, staging: Staging) -> None:
        """Put a staged set in place of the current one (the database already names it), then remove the old."""
        retired = self._retire()
        try:
            staging.folder.replace(self.root)
        except OSError:
            if retired is not None:  # the old set back in place: a box always has its documents folder
                retired.replace(self.root)
            raise
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)

    def recover(self, generation: str | None) -> None:
        """At start: the set the database names in place (``None``: a fresh data dir, or one made before sets were
        replaced whole), every other set removed."""
        if _marker(self.root) != generation or not self.root.is_dir():
            staged = self.root.with_name(self.root.name + STAGING + generation) if generation else None
            if staged is not None and _marker(staged) == generation:  # died after the commit, before the swap
                self._retire()
                staged.replace(self.root)
            elif self.root.is_dir() or generation is not None:
                # Documents whose database was replaced by other means: they are all there is, and from now on
                # the set the database names.
                if self.root.is_dir():
                    log.warning("the documents in %s are not the set the database names; keeping them", self.root)
                self.mark(generation)
        for leftover in self.root.parent.glob(self.root.name + ".*-*"):
            if leftover.name.startswith((self.root.name + STAGING, self.root.name + RETIRED)):
                shutil.rmtree(leftover, ignore_errors=True)

    def mark(self, generation: str | None) -> None:
        marker = self.root / MARKER
        if generation is None:
            marker.unlink(missing_ok=True)
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            marker.write_text(generation + "\n")

    def _retire(self) -> Path | None:
        if not self.root.exists():
            return None
        retired = self.root.with_name(self.root.name + RETIRED + uuid.uuid4().hex)
        self.root.replace(retired)
        return retired


class Staging:
    """A set of documents being prepared (a snapshot's, or the empty set of a reset)."""

    def __init__(self, generation: str, folder: Path) -> None:
        self.generation = generation
        self.folder = folder

    def path(self, name: str) -> Path | None:
        """Where the document ``name`` (a path relative to the store) goes; None unless it is one of the names the
        store gives its documents (anything else could land outside, or take the place of a folder the box needs)."""
        if not isinstance(name, str) or not DOCUMENT_NAME.fullmatch(name):
            return None
        return self.folder / name

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
