import time

import pytest
from pypdf import PdfReader

from emulator.documents import (
    ConversionError,
    CoverFields,
    count_pages,
    image_or_pdf_to_pdf,
    merge_pdfs,
    placeholder_fax_pdf,
    render_cover_page,
)

from .conftest import big_endian_tiff_bytes, image_bytes, tiff_bytes, write_big_pdf, write_pdf
from .test_cover import FIXTURES


def test_merge_concatenates_in_order(tmp_path):
    parts = [write_pdf(tmp_path / f"part{n}.pdf", n, label=f"part {n} page") for n in (1, 3, 2)]
    assert merge_pdfs(parts, tmp_path / "merged.pdf") == 6
    texts = [page.extract_text().strip() for page in PdfReader(tmp_path / "merged.pdf").pages]
    assert texts == [
        "part 1 page 1",
        "part 3 page 1",
        "part 3 page 2",
        "part 3 page 3",
        "part 2 page 1",
        "part 2 page 2",
    ]


def test_merge_cover_with_big_pdf(tmp_path):
    render_cover_page(FIXTURES / "default.pdf", CoverFields(pages=2), tmp_path / "cover.pdf")
    big = write_big_pdf(tmp_path / "big.pdf", megabytes=30)
    started = time.perf_counter()
    assert merge_pdfs([tmp_path / "cover.pdf", big], tmp_path / "fax.pdf") == 2
    assert time.perf_counter() - started < 5
    assert count_pages(tmp_path / "fax.pdf") == 2


def test_merge_rejects_bad_parts(tmp_path):
    (tmp_path / "bad.pdf").write_bytes(b"garbage")
    with pytest.raises(ConversionError):
        merge_pdfs([write_pdf(tmp_path / "good.pdf", 1), tmp_path / "bad.pdf"], tmp_path / "merged.pdf")
    assert not (tmp_path / "merged.pdf").exists()
    with pytest.raises(ValueError):
        merge_pdfs([], tmp_path / "merged.pdf")


def test_count_pages(tmp_path):
    assert count_pages(write_pdf(tmp_path / "in.pdf", 5)) == 5
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7 nothing else")
    with pytest.raises(ConversionError):
        count_pages(tmp_path / "bad.pdf")


def test_placeholder_pages(tmp_path):
    assert placeholder_fax_pdf(3, "Fax from +1 555 0100", tmp_path / "fax.pdf") == 3
    pages = PdfReader(tmp_path / "fax.pdf").pages
    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert "Fax from +1 555 0100" in text
        assert f"Page {number} of 3" in text
        assert "FaxFinder emulator" in text


def test_placeholder_needs_a_page(tmp_path):
    with pytest.raises(ValueError):
        placeholder_fax_pdf(0, "nothing", tmp_path / "fax.pdf")


def test_received_pdf_bytes(tmp_path):
    data = write_pdf(tmp_path / "in.pdf", 4).read_bytes()
    assert image_or_pdf_to_pdf(data, tmp_path / "fax.pdf") == 4
    assert (tmp_path / "fax.pdf").read_bytes() == data
    assert sorted(path.name for path in tmp_path.iterdir()) == ["fax.pdf", "in.pdf"]


@pytest.mark.parametrize(("data", "magic"), [(tiff_bytes(3), b"II*\x00"), (big_endian_tiff_bytes(3), b"MM\x00*")])
def test_received_tiff_bytes(tmp_path, data, magic):
    assert data.startswith(magic)
    assert image_or_pdf_to_pdf(data, tmp_path / "fax.pdf") == 3
    assert count_pages(tmp_path / "fax.pdf") == 3
    assert list(tmp_path.iterdir()) == [tmp_path / "fax.pdf"]


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize(
    "data",
    [
        image_bytes("PNG"),
        image_bytes("JPEG"),
        b"random garbage that is neither",
        b"",
        b"II*\x00 but then nothing sensible",
        b"%PDF-1.4 and then nothing sensible",
    ],
)
def test_received_other_bytes_are_rejected(tmp_path, data):
    with pytest.raises(ConversionError):
        image_or_pdf_to_pdf(data, tmp_path / "fax.pdf")
    assert list(tmp_path.iterdir()) == []
