"""Builders for test inputs; everything is generated in tmp_path so no binary test data is committed."""

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from tests.documents_builders import write_big_pdf as write_big_pdf  # shared with tests/ffws, re-exported


def write_pdf(path: Path, pages: int, label: str = "Sample page") -> Path:
    canvas = Canvas(str(path), pagesize=LETTER, invariant=1)
    for number in range(1, pages + 1):
        canvas.setFont("Helvetica", 14)
        canvas.drawString(72, 700, f"{label} {number}")
        canvas.showPage()
    canvas.save()
    return path


def picture(size: tuple[int, int] = (120, 80), mode: str = "RGB", shade: int = 0) -> Image.Image:
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).rectangle((10, 10, size[0] - 10, size[1] - 10), outline="black", width=3)
    if shade:
        ImageDraw.Draw(image).line((0, 0, *size), fill="black", width=shade)
    return image


def image_bytes(fmt: str, size: tuple[int, int] = (120, 80), mode: str = "RGB", **save_args: object) -> bytes:
    buffer = io.BytesIO()
    picture(size, mode).save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


def tiff_bytes(frames: int, mode: str = "1", dpi: tuple[int, int] = (204, 196)) -> bytes:
    """A multi-page TIFF like a fax machine produces: bilevel, one frame per page."""
    images = [picture((1728, 2200), mode, shade=index + 1) for index in range(frames)]
    buffer = io.BytesIO()
    compression = "group4" if mode == "1" else "tiff_lzw"
    images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:], dpi=dpi, compression=compression)
    return buffer.getvalue()


def big_endian_tiff_bytes(frames: int) -> bytes:
    # Pillow picks the TIFF byte order from the image mode; 16-bit big-endian grey is written "MM".
    images = [picture((300, 200), "L", shade=index + 1).convert("I;16B") for index in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def make(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make
