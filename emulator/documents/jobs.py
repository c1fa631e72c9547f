"""What a conversion worker process may be asked to do, by name (emulator.documents.worker runs them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .convert import attachment_to_pdf, received_to_pdf
from .cover import CoverFields, render_cover_page
from .errors import ConversionError, reraise_as_conversion_error
from .limits import Limits
from .pages import merge_pdfs
from .pdf import atomic_output


def convert_attachment(content_type: str, src: Path, dst: Path, *, limits: Limits) -> int:
    return attachment_to_pdf(content_type, src, dst, limits)


def convert_received(src: Path, dst: Path, *, limits: Limits) -> int:
    return received_to_pdf(src, dst, limits, rewrite=True)


def render_preview(
    cover: tuple[Path, CoverFields, Path] | None, parts: list[Path], target: Path, *, limits: Limits
) -> int:
    """A fax as transmitted: its cover page (``(template, fields, where to write it)``), if any, then ``parts``."""
    if cover is not None:
        template, fields, cover_pdf = cover
        render_cover_page(template, fields, cover_pdf, font=limits.cover_font)
        parts = [cover_pdf, *parts]
    return merge_pdfs(parts, target)


def render_thumbnail(src: Path, index: int, dst: Path, width: int, max_height: int, *, limits: Limits) -> None:
    """Page ``index`` (0-based) of the PDF ``src`` as a greyscale PNG at most ``width`` x ``max_height`` pixels,
    whatever size the page says it has (PDFium, pypdfium2: a page's content stream is the sender's, and drawing it
    is what the worker's budgets are for)."""
    import pypdfium2 as pdfium

    with reraise_as_conversion_error("not a PDF the box can draw"):
        document = pdfium.PdfDocument(str(src))
        try:
            if not 0 <= index < len(document):
                raise ConversionError(f"no page {index + 1}")
            page = document[index]
            page_width, page_height = page.get_size()
            scale = min(width / max(page_width, 1), max_height / max(page_height, 1))
            image = page.render(scale=scale, grayscale=True).to_pil()
        finally:
            document.close()
        with atomic_output(dst) as scratch:
            image.save(scratch, format="PNG", optimize=True)


JOBS: dict[str, Callable[..., Any]] = {
    "convert_attachment": convert_attachment,
    "convert_received": convert_received,
    "render_preview": render_preview,
    "render_thumbnail": render_thumbnail,
}
