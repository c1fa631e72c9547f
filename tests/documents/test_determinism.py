"""Identical inputs must give byte-identical files: outputs are compared and cached by content."""

from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.documents import (
    CoverFields,
    attachment_to_pdf,
    image_or_pdf_to_pdf,
    merge_pdfs,
    placeholder_fax_pdf,
    render_cover_page,
)

from .conftest import image_bytes, tiff_bytes, write_pdf
from .test_cover import FIELDS, FIXTURES, TEMPLATES


def twice(tmp_path: Path, produce: Callable[[Path], object]) -> tuple[bytes, bytes]:
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    produce(first)
    produce(second)
    return first.read_bytes(), second.read_bytes()


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", b"Line one\n\tindented\fnext page\n"),
        ("image/png", image_bytes("PNG", mode="RGBA")),
        ("image/jpeg", image_bytes("JPEG")),
        ("image/tiff", tiff_bytes(2)),
    ],
    ids=["text", "png", "jpeg", "tiff"],
)
def test_attachment_conversion_is_deterministic(tmp_path, make_file, content_type, data):
    src = make_file("in.bin", data)
    first, second = twice(tmp_path, lambda dst: attachment_to_pdf(content_type, src, dst))
    assert first == second


def test_pdf_attachment_is_deterministic(tmp_path):
    src = write_pdf(tmp_path / "in.pdf", 3)
    first, second = twice(tmp_path, lambda dst: attachment_to_pdf("application/pdf", src, dst))
    assert first == second == src.read_bytes()


@pytest.mark.parametrize("template", TEMPLATES)
def test_cover_page_is_deterministic(tmp_path, template):
    first, second = twice(tmp_path, lambda dst: render_cover_page(FIXTURES / template, FIELDS, dst))
    assert first == second


def test_merge_is_deterministic(tmp_path):
    cover = tmp_path / "cover.pdf"
    render_cover_page(FIXTURES / "default.pdf", CoverFields(subject="merge", pages=3), cover)
    body = write_pdf(tmp_path / "body.pdf", 2)
    first, second = twice(tmp_path, lambda dst: merge_pdfs([cover, body], dst))
    assert first == second
    assert b"/ID" not in first and b"CreationDate" not in first


def test_placeholder_is_deterministic(tmp_path):
    first, second = twice(tmp_path, lambda dst: placeholder_fax_pdf(2, "Simulated fax", dst))
    assert first == second


def test_received_tiff_is_deterministic(tmp_path):
    data = tiff_bytes(2)
    first, second = twice(tmp_path, lambda dst: image_or_pdf_to_pdf(data, dst))
    assert first == second
