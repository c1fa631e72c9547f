"""Where documents live on disk: ``<data-dir>/documents/faxes/FAXKEY/`` and ``…/incoming`` for uploads in flight."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def faxkey_text(fax_id: int) -> str:
    return f"{fax_id:08X}"


def entrykey_text(number: int) -> str:
    return f"{number:04X}"


def preview_name(fax_id: int, number: int) -> str:
    """``FAXKEY-ENTRYKEY.pdf``: the preview's name on disk and in its URL."""
    return f"{faxkey_text(fax_id)}-{entrykey_text(number)}.pdf"


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

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

    def incoming_file(self) -> Path:
        """A new empty file for an upload being received (moved into place once the fax is stored)."""
        folder = self.root / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, suffix=".part")
        os.close(handle)
        return Path(name)

    def clear_incoming(self) -> None:
        shutil.rmtree(self.root / "incoming", ignore_errors=True)

    def clear(self) -> None:
        """Every stored document gone, except uploads still in flight: a request that is receiving one when the
        state is reset or replaced stores its fax afterwards, with all its files."""
        if not self.root.is_dir():
            return
        for child in self.root.iterdir():
            if child.name == "incoming":
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
