"""Conversion budgets inside the converters: pages (counted lazily, never past the first page over), pixels a page
and an image (from the headers, before any pixel is decoded) and TIFF frames (counted by seeking, never through
all of them). Each refusal is a ConversionError and leaves no output."""

from __future__ import annotations

import io
import tracemalloc
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from emulator.documents import ConversionError, attachment_to_pdf, count_pages, image_or_pdf_to_pdf
from emulator.documents.images import image_to_pdf
from emulator.documents.limits import Limits, TooManyPages
from emulator.documents.text import COLUMNS, LINES_PER_PAGE, TAB_SIZE, paginate, text_to_pdf
from tests.documents_builders import blank_png_bytes, many_frames_tiff_bytes

from .conftest import image_bytes, tiff_bytes, write_pdf

MIB = 1024 * 1024


# -- the lazy pagination, against the plain eager one it replaced ------------------------------------------------
def eager_paginate(text: str) -> list[list[str]]:
    """The pagination as it was written before it became lazy: simple, and it makes every page at once."""
    invisible = dict.fromkeys([*(c for c in range(32) if chr(c) not in "\t\n\f"), 0x7F])
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(invisible)
    sheets = text.split("\f")
    if len(sheets) > 1 and not sheets[-1].strip("\n"):
        sheets.pop()
    pages: list[list[str]] = []
    for sheet in sheets:
        lines = sheet.split("\n")
        if sheet.endswith("\n"):
            lines.pop()
        rows = []
        for line in lines:
            line = line.expandtabs(TAB_SIZE)
            rows += [line[i : i + COLUMNS] for i in range(0, len(line), COLUMNS)] or [""]
        pages.extend([rows[i : i + LINES_PER_PAGE] for i in range(0, len(rows), LINES_PER_PAGE)])
    return pages


PIECES = st.sampled_from(["a", "é", "\t", "\n", "\r", "\r\n", "\f", "\x01", "\x7f", " ", "x" * 79, "y" * 81, "\t" * 9])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=300).map("".join))
def test_lazy_pagination_gives_the_pages_the_eager_one_gave(text):
    assert list(paginate(text)) == eager_paginate(text)


def test_many_lines_and_tabs_paginate_like_the_eager_one():
    text = ("\t" * 11 + "z" * 5 + "\n") * 70 + "\f\f" + "w" * 5000 + "\n\n\f\n"
    assert list(paginate(text)) == eager_paginate(text)


@pytest.mark.parametrize(
    "bomb",
    [
        "\f" * 36_000_000,  # the finding: millions of blank pages
        "\n" * 36_000_000,  # millions of empty lines
        "\t" * 36_000_000,  # one line that tabs would make 288 MB wide
        "x" * 36_000_000,  # one line of 450,000 rows
    ],
    ids=["form feeds", "newlines", "tabs", "one long line"],
)
def test_taking_the_first_pages_of_a_text_bomb_costs_only_those_pages(bomb):
    tracemalloc.start()
    try:
        pages = list(islice(paginate(bomb), 501))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(pages) == 501
    # Eagerly, 36 million form feeds were 36 million strings (gigabytes); lazily, the pages taken and a copy
    # of the text at most.
    assert peak < 3 * len(bomb) + 8 * MIB, f"{peak / MIB:.0f} MiB for the first 501 pages"


def test_text_over_its_page_budget_is_refused_at_the_first_page_over(tmp_path):
    assert text_to_pdf(b"\f" * 4, tmp_path / "ok.pdf", max_pages=4) == 4
    with pytest.raises(TooManyPages, match="^more than 4 pages$") as refused:
        text_to_pdf(b"\f" * 5, tmp_path / "out.pdf", max_pages=4)
    assert refused.value.limit == 4
    assert not (tmp_path / "out.pdf").exists()


def test_lines_count_towards_the_page_budget(tmp_path):
    src = tmp_path / "lines.txt"
    src.write_bytes(b"line\n" * (3 * LINES_PER_PAGE + 1))
    with pytest.raises(TooManyPages):
        attachment_to_pdf("text/plain", src, tmp_path / "out.pdf", Limits(max_pages=3))
    assert attachment_to_pdf("text/plain", src, tmp_path / "out.pdf", Limits(max_pages=4)) == 4


def test_a_pdf_over_its_page_budget_is_refused(tmp_path):
    src = write_pdf(tmp_path / "in.pdf", 6)
    with pytest.raises(TooManyPages, match="more than 5 pages"):
        attachment_to_pdf("application/pdf", src, tmp_path / "out.pdf", Limits(max_pages=5))
    assert not (tmp_path / "out.pdf").exists()
    assert attachment_to_pdf("application/pdf", src, tmp_path / "out.pdf", Limits(max_pages=6)) == 6


def test_a_received_fax_over_its_page_budget_is_refused(tmp_path):
    data = write_pdf(tmp_path / "in.pdf", 3).read_bytes()
    with pytest.raises(TooManyPages):
        image_or_pdf_to_pdf(data, tmp_path / "fax.pdf", Limits(max_pages=2))
    assert image_or_pdf_to_pdf(data, tmp_path / "fax.pdf", Limits(max_pages=3)) == 3


# -- pixels and frames -------------------------------------------------------------------------------------------
class CountingReader(io.BytesIO):
    """A file that remembers the furthest byte anyone read."""

    furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")  # as in the workers
def test_a_png_of_169_million_pixels_is_refused_from_its_header(tmp_path):
    data = blank_png_bytes(13_000, 13_000)
    assert len(data) < 1024 * 1024  # 676 MB of pixels in under a megabyte
    source = CountingReader(data)
    tracemalloc.start()
    try:
        with pytest.raises(ConversionError, match=r"^image is too large \(more than 50,000,000 pixels a page\)$"):
            image_to_pdf(source, tmp_path / "out.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.furthest < 64 * 1024  # the header, not the pixels
    assert peak < 16 * MIB
    assert not (tmp_path / "out.pdf").exists()


def test_pillows_own_bomb_check_is_the_same_refusal(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # past twice this, Pillow raises on opening
    src = tmp_path / "in.png"
    src.write_bytes(image_bytes("PNG", size=(100, 100)))
    with pytest.raises(ConversionError, match="image is too large"):
        attachment_to_pdf("image/png", src, tmp_path / "out.pdf", Limits(page_pixels=10**9))


def test_a_page_within_its_pixel_budget_converts(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(image_bytes("PNG", size=(120, 80)))
    assert attachment_to_pdf("image/png", src, tmp_path / "out.pdf", Limits(page_pixels=120 * 80)) == 1
    with pytest.raises(ConversionError, match="too large"):
        attachment_to_pdf("image/png", src, tmp_path / "out.pdf", Limits(page_pixels=120 * 80 - 1))


def test_every_frame_counts_towards_the_image_budget(tmp_path):
    src = tmp_path / "fax.tif"
    src.write_bytes(tiff_bytes(3))  # 1728 x 2200 frames
    frame = 1728 * 2200
    assert attachment_to_pdf("image/tiff", src, tmp_path / "out.pdf", Limits(image_pixels=3 * frame)) == 3
    with pytest.raises(ConversionError, match=r"^image is too large \(more than 11,404,799 pixels in all\)$"):
        attachment_to_pdf("image/tiff", src, tmp_path / "out.pdf", Limits(image_pixels=3 * frame - 1))


def test_a_tiff_of_100000_frames_is_refused_without_reading_them_all(tmp_path):
    data = many_frames_tiff_bytes(100_000)
    source = CountingReader(data)
    with pytest.raises(ConversionError, match="^TIFF has more than 500 frames$"):
        image_to_pdf(source, tmp_path / "out.pdf")
    assert source.furthest < len(data) / 100  # the first 501 frames' headers
    assert not (tmp_path / "out.pdf").exists()


def test_tiff_frames_are_pages_too(tmp_path):
    src = tmp_path / "fax.tif"
    src.write_bytes(many_frames_tiff_bytes(4))
    assert attachment_to_pdf("image/tiff", src, tmp_path / "out.pdf", Limits(tiff_frames=4, max_pages=4)) == 4
    assert count_pages(tmp_path / "out.pdf") == 4
    with pytest.raises(ConversionError, match="^TIFF has more than 3 frames$"):
        attachment_to_pdf("image/tiff", src, tmp_path / "out.pdf", Limits(tiff_frames=3))
    with pytest.raises(TooManyPages, match="^more than 3 pages$"):
        attachment_to_pdf("image/tiff", src, tmp_path / "out.pdf", Limits(max_pages=3))


def test_no_page_left_refuses_even_one(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(image_bytes("PNG"))
    with pytest.raises(TooManyPages, match="more than 0 pages"):
        attachment_to_pdf("image/png", src, tmp_path / "out.pdf", Limits(max_pages=0))


def test_limits_cross_a_pipe_intact():
    import pickle

    refusal = pickle.loads(pickle.dumps(TooManyPages(12)))
    assert (type(refusal), refusal.limit, str(refusal)) == (TooManyPages, 12, "more than 12 pages")
    assert pickle.loads(pickle.dumps(Limits(max_pages=3))) == Limits(max_pages=3)


def test_default_budgets_convert_a_600_dpi_letter_scan(tmp_path):
    """A 600 dpi Letter page (5100 x 6600, 33.7 million pixels) is within the default budgets."""
    buffer = io.BytesIO()
    Image.new("L", (5100, 6600), 255).save(buffer, format="PNG", dpi=(600, 600))
    src: Path = tmp_path / "scan.png"
    src.write_bytes(buffer.getvalue())
    assert attachment_to_pdf("image/png", src, tmp_path / "out.pdf") == 1
