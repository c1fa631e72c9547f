"""Page thumbnails of a fax (its preview, or a received fax), rendered server-side with PDFium (pypdfium2).

The documents are the box's own (previews and received faxes are written by its conversion workers, within their
budgets), so rendering one small page costs little; still, a page is never drawn larger than a thumbnail, whatever
its stated size. PDFium is not thread-safe: one page is rendered at a time. The last few hundred are kept in memory.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

WIDTH = 240  # pixels
MAX_HEIGHT = 480
KEPT = 256

_lock = threading.Lock()
_kept: OrderedDict[tuple, bytes] = OrderedDict()


class NoSuchPage(LookupError):
    pass


def _signature(path: Path) -> tuple:
    info = path.stat()
    return (str(path), info.st_ino, info.st_mtime_ns, info.st_size)


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    with _lock:
        document = pdfium.PdfDocument(str(path))
        try:
            return len(document)
        finally:
            document.close()


def thumbnail(path: Path, index: int) -> bytes:
    """Page ``index`` (0-based) of the PDF at ``path`` as a PNG at most WIDTH x MAX_HEIGHT pixels."""
    import pypdfium2 as pdfium

    key = (*_signature(path), index)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
        document = pdfium.PdfDocument(str(path))
        try:
            if not 0 <= index < len(document):
                raise NoSuchPage(index)
            page = document[index]
            width, height = page.get_size()
            scale = min(WIDTH / max(width, 1), MAX_HEIGHT / max(height, 1))
            image = page.render(scale=scale, grayscale=True).to_pil()
        finally:
            document.close()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        data = out.getvalue()
        _kept[key] = data
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
        return data
