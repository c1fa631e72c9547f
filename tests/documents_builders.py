"""Document builders shared by tests/documents and tests/ffws. Generated, so no binary test data is committed."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def big_pdf_bytes(megabytes: int) -> bytes:
    """A valid one-page PDF of about ``megabytes`` MB (an uncompressed RGB image), built by hand."""
    width, height = 1000, megabytes * 1_000_000 // 3000
    pixels = (bytes(range(256)) * (3 * width * height // 256 + 1))[: 3 * width * height]
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8"
        b" /Length %d >>\nstream\n%s\nendstream" % (width, height, len(pixels), pixels),
    ]
    return _pdf(objects)


def write_big_pdf(path: Path, megabytes: int) -> Path:
    """``big_pdf_bytes(megabytes)`` written to ``path``."""
    path.write_bytes(big_pdf_bytes(megabytes))
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png_bytes(width: int, height: int, rows_per_block: int = 250) -> bytes:
    """A valid RGBA PNG of ``width`` x ``height`` transparent pixels, which compresses to almost nothing (13,000 x
    13,000 is 676 MB of pixels in 657 kB). Made in a moment: all rows are zero bytes (filter 0, pixels 0), so a
    block of rows is compressed once, with a full flush (no block refers to another), and repeated; the Adler-32
    of zeros is known."""
    row = bytes(1 + 4 * width)
    compressor = zlib.compressobj(9)
    stream: list[bytes] = []

    def block(rows: int) -> bytes:
        return compressor.compress(row * rows) + compressor.flush(zlib.Z_FULL_FLUSH)

    blocks, rest = divmod(height, rows_per_block)
    if blocks:
        stream.append(block(rows_per_block))  # the first carries the zlib header
        stream += [block(rows_per_block)] * (blocks - 1)
    if rest:
        stream.append(block(rest))
    total = len(row) * height
    stream.append(b"\x03\x00" + struct.pack(">I", ((total % 65521) << 16) | 1))  # a last, empty block; Adler-32
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    chunks = [(b"IHDR", header), (b"IDAT", b"".join(stream)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(_png_chunk(kind, data) for kind, data in chunks)


def many_frames_tiff_bytes(frames: int) -> bytes:
    """A valid little-endian TIFF of ``frames`` 1 x 1 bilevel frames, one IFD each (100,000 frames: ~12 MB)."""
    entries = [  # tag, type (3 SHORT, 4 LONG), value; StripOffsets is filled in per frame
        (256, 3, 1),  # ImageWidth
        (257, 3, 1),  # ImageLength
        (258, 3, 1),  # BitsPerSample
        (259, 3, 1),  # Compression: none
        (262, 3, 0),  # PhotometricInterpretation: white is zero
        (273, 4, 0),  # StripOffsets
        (278, 3, 1),  # RowsPerStrip
        (279, 4, 1),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    pixel = 8  # one byte of pixel data right after the header
    first = 9 + 1  # IFDs start on an even offset
    out = bytearray(b"II*\x00" + struct.pack("<I", first) + b"\x00" + b"\x00")
    for index in range(frames):
        offset = first + index * ifd_size
        following = offset + ifd_size if index + 1 < frames else 0
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            value = pixel if tag == 273 else value
            packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
            out += struct.pack("<HHI", tag, kind, 1) + packed
        out += struct.pack("<I", following)
    return bytes(out)


def many_pages_pdf_bytes(pages: int) -> bytes:
    """A valid PDF of ``pages`` blank pages that share one empty content stream (20,000 pages: 2.4 MB)."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Length 0 >>\nstream\n\nendstream",
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * pages,
    ]
    return _pdf(objects)


def slow_page_pdf_bytes(operations: int) -> bytes:
    """A valid one-page PDF of a few dozen KB whose content stream fills ``operations`` rectangles: drawing it takes
    about a CPU second per million (and memory) in PDFium, whatever size the page is drawn at."""
    content = zlib.compress(b"0 0 1 1 re f\n" * operations, 6)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1, the first the catalog), with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
