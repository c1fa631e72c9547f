"""The files a mail carries: a fax as PDF or as TIFF (TIFF-F as fax machines write it: Group 4, 204x196 dpi, 1728
pixels across, WhiteIsZero), split by pages into files within a size limit. Run in a conversion worker
(emulator.documents.worker), within its budgets: the pages are the box's own copies, but their sender chose how large
they are."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from emulator.documents.errors import ConversionError, reraise_as_conversion_error
from emulator.documents.limits import Limits, TooManyPages

FAX_DPI = (204, 196)  # fine resolution of a fax (T.4)
FAX_WIDTH = 1728  # pixels across every page of a fax (T.4), whatever the page's own width
PHOTOMETRIC = 262  # the TIFF tag PhotometricInterpretation


def fax_files(src: Path, fmt: str, limit: int, prefix: Path, *, limits: Limits) -> list[tuple[Path, int, int]]:
    """The fax ``src`` (PDF) as ``fmt`` (pdf or tiff) in files ``prefix-N.pdf|tif``, each at most ``limit`` bytes
    (0: one file) unless it is one page larger than that: [(file, first page, last page)] (pages from 1)."""
    with src.open("rb") as handle, reraise_as_conversion_error("not a valid PDF"):
        reader = PdfReader(handle, strict=False)
        count = len(reader.pages)
        if count > limits.fax_pages:
            raise TooManyPages(limits.fax_pages)
        if fmt == "tiff":
            pages = [_tiff_page(src, index, limits) for index in range(count)]
            groups = _groups([len(page) for page in pages], limit)
            files = [(_tiff(pages[first:last], _name(prefix, n, "tif")), first, last) for n, (first, last) in groups]
        else:
            sizes = [len(_pdf(reader, [index])) for index in range(count)] if limit else [0] * count
            files = []
            for _number, (first, last) in _groups(sizes, limit):
                files += _pdf_files(reader, first, last, limit, prefix, len(files))
    return [(path, first + 1, last) for path, first, last in files]


def _name(prefix: Path, number: int, suffix: str) -> Path:
    return prefix.with_name(f"{prefix.name}-{number}.{suffix}")


def _groups(sizes: list[int], limit: int) -> list[tuple[int, tuple[int, int]]]:
    """Consecutive pages whose sizes add up to at most ``limit`` (a larger page alone): [(n, (first, end))]."""
    groups: list[tuple[int, int]] = []
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if limit and index > start and total + size > limit:
            groups.append((start, index))
            start, total = index, 0
        total += size
    groups.append((start, len(sizes)))
    return list(enumerate(groups))


def _pdf(reader: PdfReader, indexes: list[int]) -> bytes:
    writer = PdfWriter()
    for index in indexes:
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_files(
    reader: PdfReader, first: int, end: int, limit: int, prefix: Path, made: int
) -> list[tuple[Path, int, int]]:
    """Pages ``first``..``end`` as one PDF; halved until each part fits (pages share fonts and images, so a group
    is usually smaller than its pages alone, but not always)."""
    data = _pdf(reader, list(range(first, end)))
    if limit and len(data) > limit and end - first > 1:
        middle = (first + end) // 2
        head = _pdf_files(reader, first, middle, limit, prefix, made)
        return head + _pdf_files(reader, middle, end, limit, prefix, made + len(head))
    path = _name(prefix, made, "pdf")
    path.write_bytes(data)
    return [(path, first, end)]


def _tiff_page(src: Path, index: int, limits: Limits) -> bytes:
    """One page rendered as a bilevel Group 4 TIFF frame at fax resolution, 1728 pixels across."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageChops

    with reraise_as_conversion_error("not a valid PDF"):
        document = pdfium.PdfDocument(str(src))
        try:
            page = document[index]
            width, height = page.get_size()  # points
            size = (FAX_WIDTH, max(1, round(height * FAX_DPI[1] / 72)))
            if size[0] * size[1] > limits.page_pixels:
                raise ConversionError(f"page {index + 1} is too large (more than {limits.page_pixels:,} pixels)")
            bitmap = page.render(scale=FAX_WIDTH / width, grayscale=True)
            image = bitmap.to_pil()
        finally:
            document.close()
        image = image.resize(size)
        bilevel = image.convert("L").point(lambda v: 255 if v > 160 else 0).convert("1", dither=Image.Dither.NONE)
        # Saved as BlackIsZero with its pixels inverted, then labelled WhiteIsZero (_white_is_zero): Pillow's own
        # WhiteIsZero path inverts pixel by pixel in Python (half a second a page) and loses the page on the way.
        out = io.BytesIO()
        ImageChops.invert(bilevel).save(out, format="TIFF", compression="group4", dpi=FAX_DPI)
        return out.getvalue()


def _tiff(frames: list[bytes], target: Path) -> Path:
    from PIL import Image

    images = [Image.open(io.BytesIO(frame)) for frame in frames]
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:], compression="group4", dpi=FAX_DPI)
    target.write_bytes(_white_is_zero(out.getvalue()))
    return target


def _white_is_zero(data: bytes) -> bytes:
    """The TIFF ``data`` (little-endian, as Pillow writes it) with every frame's PhotometricInterpretation set to 0,
    WhiteIsZero, the value TIFF-F (RFC 3949's profile S) expects."""
    out = bytearray(data)
    if out[:4] != b"II*\x00":
        raise ConversionError("unexpected TIFF byte order")
    (offset,) = struct.unpack_from("<I", out, 4)
    while offset:
        (count,) = struct.unpack_from("<H", out, offset)
        for entry in range(offset + 2, offset + 2 + 12 * count, 12):
            tag, kind = struct.unpack_from("<HH", out, entry)
            if tag == PHOTOMETRIC and kind == 3:  # SHORT, its value held in the entry itself
                struct.pack_into("<H", out, entry + 8, 0)
        (offset,) = struct.unpack_from("<I", out, offset + 2 + 12 * count)
    return bytes(out)
