"""Document builders shared by tests/documents and tests/ffws. Generated, so no binary test data is committed."""

from __future__ import annotations

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


def write_big_pdf(path: Path, megabytes: int) -> Path:
    """``big_pdf_bytes(megabytes)`` written to ``path``."""
    path.write_bytes(big_pdf_bytes(megabytes))
    return path
