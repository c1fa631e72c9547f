"""Entry points that turn attachments and received-fax payloads into PDFs of fax pages."""

import io
import shutil
from pathlib import Path

from .errors import ConversionError
from .images import image_to_pdf
from .pages import merge_pdfs
from .pdf import atomic_output, open_pdf
from .text import text_to_pdf
from .types import SUPPORTED_CONTENT_TYPES

_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders
_PDF_MAGIC = b"%PDF-"
# Readers accept junk before the header within the first KiB, so sniffing does too.
_PDF_MAGIC_WINDOW = 1024


def attachment_to_pdf(content_type: str, src: Path, dst: Path) -> int:
    """Convert the attachment at ``src`` into a PDF of fax pages at ``dst``; return the page count.

    ``content_type`` may carry parameters; a text/plain charset is tried before UTF-8 and Latin-1. Images
    are accepted whichever of TIFF/PNG/JPEG they really are, since senders often mislabel them. Bad content
    raises ConversionError; problems reading ``src`` or writing ``dst`` raise OSError.
    """
    media_type, charset = _parse_content_type(content_type)
    if media_type not in SUPPORTED_CONTENT_TYPES:
        raise ConversionError(f"unsupported content type {content_type!r}")
    if media_type == "text/plain":
        return text_to_pdf(src.read_bytes(), dst, charset)
    if src.stat().st_size == 0:
        raise ConversionError("file is empty")
    if media_type == "application/pdf":
        return _pdf_to_pdf(src, dst)
    with src.open("rb") as fh:
        return image_to_pdf(fh, dst)


def image_or_pdf_to_pdf(data: bytes, dst: Path) -> int:
    """Convert a received fax given as PDF or TIFF bytes into a PDF at ``dst``; return the page count."""
    if data.startswith(_TIFF_MAGICS):
        return image_to_pdf(io.BytesIO(data), dst, formats=("TIFF",))
    if _PDF_MAGIC not in data[:_PDF_MAGIC_WINDOW]:
        raise ConversionError("not a PDF or TIFF")
    scratch = dst.with_name(f".{dst.name}.in")
    try:
        scratch.write_bytes(data)
        return _pdf_to_pdf(scratch, dst)
    finally:
        scratch.unlink(missing_ok=True)


def _pdf_to_pdf(src: Path, dst: Path) -> int:
    """Validate a PDF and copy it byte for byte, so big PDFs are never parsed in full or rewritten."""
    with open_pdf(src) as reader:
        pages = len(reader.pages)
        encrypted = reader.is_encrypted
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
