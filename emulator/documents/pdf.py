"""Low-level PDF helpers shared by the converters: reproducible canvases, safe output, validated readers."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .errors import ConversionError, reraise_as_conversion_error
from .scratch import scratch_path

PAGE_WIDTH, PAGE_HEIGHT = LETTER


@contextmanager
def atomic_output(dst: Path) -> Iterator[Path]:
    """Yield a scratch path next to ``dst`` that replaces ``dst`` only if the block succeeds.

    A failed conversion must never leave a half-written file that a later step could mistake for fax pages.
    The scratch name is derived from ``dst`` (not random) so reruns behave identically.
    """
    tmp = scratch_path(dst)
    try:
        yield tmp
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def new_canvas(target: Path | BinaryIO, pagesize: tuple[float, float] = LETTER) -> Canvas:
    """A reportlab canvas whose output is byte-identical for identical drawing calls."""
    canvas = Canvas(
        str(target) if isinstance(target, Path) else target, pagesize=pagesize, invariant=1, pageCompression=1
    )
    canvas.setCreator("faxfinder-emulator")
    return canvas


@contextmanager
def open_pdf(path: Path) -> Iterator[PdfReader]:
    """Yield a reader for a PDF that is parsable, readable without a password and has at least one page.

    The reader works on the open file rather than on a path: given a path, pypdf slurps the whole file into
    memory, which matters for 30 MB attachments. Errors opening ``path`` itself are the caller's problem and
    propagate as OSError.
    """
    with path.open("rb") as fh:
        with reraise_as_conversion_error("not a valid PDF"):
            reader = PdfReader(fh, strict=False)
            encrypted = reader.is_encrypted
        if encrypted:
            with reraise_as_conversion_error("PDF is encrypted"):
                decrypted = reader.decrypt("")
            if not decrypted:
                raise ConversionError("PDF is encrypted")
        with reraise_as_conversion_error("not a valid PDF"):
            page_count = len(reader.pages)
        if page_count == 0:
            raise ConversionError("PDF has no pages")
        yield reader


def fit_text(text: str, font: str, size: float, width: float) -> str:
    """The longest prefix of ``text`` fitting in ``width`` points: text is cut off rather than overflow."""
    if stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low]
