"""Entry points that turn attachments and received-fax payloads into PDFs of fax pages."""

import shutil
from pathlib import Path

from .errors import ConversionError
from .images import image_to_pdf
from .limits import DEFAULT_LIMITS, Limits, TooManyPages
from .pages import first_pages, merge_pdfs
from .pdf import atomic_output, open_pdf
from .text import text_to_pdf
from .types import SUPPORTED_CONTENT_TYPES

_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders
_PDF_MAGIC = b"%PDF-"
# Readers accept junk before the header within the first KiB, so sniffing does too.
_PDF_MAGIC_WINDOW = 1024


def attachment_to_pdf(content_type: str, src: Path, dst: Path, limits: Limits = DEFAULT_LIMITS) -> int:
    """Convert the attachment at ``src`` into a PDF of fax pages at ``dst``; return the page count.

    ``content_type`` may carry parameters; a text/plain charset is tried before UTF-8 and Latin-1. Images
    are accepted whichever of TIFF/PNG/JPEG they really are, since senders often mislabel them. Bad content, or
    content over the page, pixel or frame budgets of ``limits``, raises ConversionError; problems reading ``src``
    or writing ``dst`` raise OSError.
    """
    media_type, charset = _parse_content_type(content_type)
    if media_type not in SUPPORTED_CONTENT_TYPES:
        raise ConversionError(f"unsupported content type {content_type!r}")
    if media_type == "text/plain":
        return text_to_pdf(src.read_bytes(), dst, charset, limits.max_pages)
    if src.stat().st_size == 0:
        raise ConversionError("file is empty")
    if media_type == "application/pdf":
        return _pdf_to_pdf(src, dst, limits)
    with src.open("rb") as fh:
        return image_to_pdf(fh, dst, limits=limits)


def image_or_pdf_to_pdf(data: bytes, dst: Path, limits: Limits = DEFAULT_LIMITS) -> int:
    """Convert a received fax given as PDF or TIFF bytes into a PDF at ``dst``; return the page count."""
    scratch = dst.with_name(f".{dst.name}.in")
    try:
        scratch.write_bytes(data)
        return received_to_pdf(scratch, dst, limits)
    finally:
        scratch.unlink(missing_ok=True)


def received_to_pdf(src: Path, dst: Path, limits: Limits = DEFAULT_LIMITS, *, rewrite: bool = False) -> int:
    """Convert a received fax, the PDF or TIFF file at ``src``, into a PDF at ``dst``; return the page count.

    ``rewrite``: a PDF is written anew by pypdf rather than copied, so that whoever reads the result later (the
    box, cutting it to the pages received, in its own process) reads a plain file of known structure, not what
    the sender made."""
    with src.open("rb") as fh:
        head = fh.read(_PDF_MAGIC_WINDOW)
    if head.startswith(_TIFF_MAGICS):
        with src.open("rb") as fh:
            return image_to_pdf(fh, dst, formats=("TIFF",), limits=limits)
    if _PDF_MAGIC not in head:
        raise ConversionError("not a PDF or TIFF")
    if rewrite:
        pages = _pdf_pages(src, limits)
        return first_pages(src, pages, dst)
    return _pdf_to_pdf(src, dst, limits)


def _pdf_pages(src: Path, limits: Limits) -> int:
    with open_pdf(src) as reader:
        pages = len(reader.pages)
    if pages > limits.max_pages:
        raise TooManyPages(limits.max_pages)
    return pages


def _pdf_to_pdf(src: Path, dst: Path, limits: Limits) -> int:
    """Validate a PDF and copy it byte for byte, so big PDFs are never parsed in full or rewritten."""
    with open_pdf(src) as reader:
        pages = len(reader.pages)
        encrypted = reader.is_encrypted
    if pages > limits.max_pages:
        raise TooManyPages(limits.max_pages)
    if encrypted:
        # Opens with the empty password; rewritten decrypted so that later steps need no password either.
        return merge_pdfs([src], dst)
    with atomic_output(dst) as tmp:
        shutil.copyfile(src, tmp)
    return pages


def _parse_content_type(value: str) -> tuple[str, str | None]:
    media_type, *params = value.split(";")
    charset = None
    for param in params:
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = param_value.strip().strip('"') or None
    return media_type.strip().lower(), charset
