import contextlib
import io
import re
import time
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from emulator.documents import SUPPORTED_CONTENT_TYPES, ConversionError, attachment_to_pdf, count_pages
from emulator.documents.text import COLUMNS, paginate

from .conftest import image_bytes, tiff_bytes, write_big_pdf, write_pdf


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_supported_content_types():
    assert {"application/pdf", "text/plain", "image/tiff", "image/png", "image/jpeg"} == SUPPORTED_CONTENT_TYPES


@pytest.mark.parametrize("pages", [1, 7])
def test_pdf_page_count_and_copy(tmp_path, pages):
    src = write_pdf(tmp_path / "in.pdf", pages)
    assert attachment_to_pdf("application/pdf", src, tmp_path / "out.pdf") == pages
    assert (tmp_path / "out.pdf").read_bytes() == src.read_bytes()


def test_pdf_with_many_pages(tmp_path):
    src = write_pdf(tmp_path / "in.pdf", 200)
    assert attachment_to_pdf("application/pdf", src, tmp_path / "out.pdf") == 200
    assert count_pages(tmp_path / "out.pdf") == 200


def test_pdf_encrypted_with_empty_password_is_decrypted(tmp_path):
    writer = PdfWriter(clone_from=write_pdf(tmp_path / "plain.pdf", 2))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    writer.write(tmp_path / "in.pdf")
    assert attachment_to_pdf("application/pdf", tmp_path / "in.pdf", tmp_path / "out.pdf") == 2
    reader = PdfReader(tmp_path / "out.pdf")
    assert not reader.is_encrypted
    assert "Sample page 2" in reader.pages[1].extract_text()


def test_big_pdf_is_copied_quickly_without_loading_it(tmp_path):
    src = write_big_pdf(tmp_path / "big.pdf", megabytes=30)
    started = time.perf_counter()
    tracemalloc.start()
    try:
        pages = attachment_to_pdf("application/pdf", src, tmp_path / "out.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert pages == 1
    assert (tmp_path / "out.pdf").stat().st_size == src.stat().st_size
    assert peak < 5_000_000
    assert elapsed < 1.0


def test_content_type_parameters_and_case_are_ignored(tmp_path):
    src = write_pdf(tmp_path / "in.pdf", 1)
    assert attachment_to_pdf("Application/PDF; name=in.pdf", src, tmp_path / "out.pdf") == 1


# --- text/plain


def convert_text(tmp_path: Path, text: str | bytes, content_type: str = "text/plain") -> int:
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode() if isinstance(text, str) else text)
    return attachment_to_pdf(content_type, src, tmp_path / "out.pdf")


def test_short_text_is_one_page(tmp_path):
    assert convert_text(tmp_path, "Hello fax world\nsecond line\n") == 1
    first = page_texts(tmp_path / "out.pdf")[0]
    assert "Hello fax world" in first
    assert "second line" in first


def test_text_paginates_at_60_lines(tmp_path):
    assert convert_text(tmp_path, "".join(f"line {n}\n" for n in range(1, 131))) == 3
    texts = page_texts(tmp_path / "out.pdf")
    assert "line 60" in texts[0] and "line 61" not in texts[0]
    assert "line 130" in texts[2]


def test_exactly_120_lines_make_two_pages(tmp_path):
    assert convert_text(tmp_path, "x\n" * 120) == 2


def test_form_feed_starts_a_new_page(tmp_path):
    assert convert_text(tmp_path, "first page\n\fsecond page\n") == 2
    texts = page_texts(tmp_path / "out.pdf")
    assert "second page" in texts[1] and "second page" not in texts[0]


def test_trailing_form_feed_adds_no_blank_page(tmp_path):
    assert convert_text(tmp_path, "only page\n\f\n") == 1


def test_consecutive_form_feeds_give_a_blank_page(tmp_path):
    assert convert_text(tmp_path, "one\f\fthree") == 3


def test_empty_text_is_one_blank_page(tmp_path):
    assert convert_text(tmp_path, "") == 1


def test_long_lines_wrap_at_80_columns():
    (page,) = paginate("a" * 200)
    assert [len(line) for line in page] == [COLUMNS, COLUMNS, 40]


def test_tabs_expand_to_8_and_line_endings_normalise():
    (page,) = paginate("a\tb\r\nc\rd")
    assert page == ["a       b", "c", "d"]


def test_wrapped_lines_count_towards_the_page(tmp_path):
    assert convert_text(tmp_path, ("y" * 160 + "\n") * 31) == 2


def test_latin1_text_is_accepted(tmp_path):
    assert convert_text(tmp_path, "Caf\xe9 cr\xe8me\n".encode("latin-1")) == 1
    assert "Café crème" in page_texts(tmp_path / "out.pdf")[0]


def test_declared_charset_is_used(tmp_path):
    assert convert_text(tmp_path, "Grüße\n".encode("utf-16"), "text/plain; charset=UTF-16") == 1
    assert "Grüße" in page_texts(tmp_path / "out.pdf")[0]


def test_utf16_with_byte_order_mark_is_detected(tmp_path):
    assert convert_text(tmp_path, "Notepad Unicode \u20ac\n".encode("utf-16")) == 1
    assert "Notepad Unicode €" in page_texts(tmp_path / "out.pdf")[0]


def test_windows_1252_punctuation_is_kept(tmp_path):
    assert convert_text(tmp_path, b"\x93quoted\x94 costs \x80 5\n") == 1
    assert "\u201cquoted\u201d costs \u20ac 5" in page_texts(tmp_path / "out.pdf")[0]


def test_binary_data_labelled_as_text_is_rejected(tmp_path):
    with pytest.raises(ConversionError, match="not valid UTF-8 or Latin-1"):
        convert_text(tmp_path, b"\x00\x01\x02binary\x00")


def test_unencodable_characters_do_not_fail(tmp_path):
    assert convert_text(tmp_path, "emoji \U0001f600 and \u65e5\u672c and \x07bell\n") == 1


# --- images


@pytest.mark.parametrize(
    ("content_type", "fmt", "mode"),
    [
        ("image/png", "PNG", "RGB"),
        ("image/png", "PNG", "RGBA"),
        ("image/png", "PNG", "P"),
        ("image/png", "PNG", "1"),
        ("image/jpeg", "JPEG", "RGB"),
        ("image/jpeg", "JPEG", "L"),
        ("image/jpeg", "JPEG", "CMYK"),
        ("image/tiff", "TIFF", "RGB"),
    ],
)
def test_single_images_make_one_page(tmp_path, make_file, content_type, fmt, mode):
    src = make_file("in.img", image_bytes(fmt, mode=mode))
    assert attachment_to_pdf(content_type, src, tmp_path / "out.pdf") == 1
    assert count_pages(tmp_path / "out.pdf") == 1


def test_multi_frame_tiff_makes_one_page_per_frame(tmp_path, make_file):
    src = make_file("fax.tif", tiff_bytes(3))
    assert attachment_to_pdf("image/tiff", src, tmp_path / "out.pdf") == 3
    assert count_pages(tmp_path / "out.pdf") == 3


def test_mislabelled_image_is_still_converted(tmp_path, make_file):
    src = make_file("photo.png", image_bytes("JPEG"))
    assert attachment_to_pdf("image/png", src, tmp_path / "out.pdf") == 1


def test_image_fits_the_page_keeping_physical_aspect_ratio(tmp_path, make_file):
    # 1728 x 1100 pixels at 204 x 98 dpi is a Letter-shaped "normal resolution" fax page, taller than wide.
    buffer = io.BytesIO()
    Image.new("1", (1728, 1100), 1).save(buffer, format="TIFF", dpi=(204, 98))
    src = make_file("normal.tif", buffer.getvalue())
    attachment_to_pdf("image/tiff", src, tmp_path / "out.pdf")
    page = PdfReader(tmp_path / "out.pdf").pages[0]
    (image,) = page.images
    placement = re.search(rb"([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm\s*/FormXob", page.get_contents().get_data())
    drawn_width, drawn_height = float(placement[1]), float(placement[2])
    assert drawn_height > drawn_width
    assert drawn_width <= 612 - 72 and drawn_height <= 792 - 72
    assert drawn_width / drawn_height == pytest.approx((1728 / 204) / (1100 / 98), rel=0.01)
    assert image.image.size == (1728, 1100)


def test_exif_rotation_is_applied(tmp_path, make_file):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    Image.new("RGB", (400, 100), "white").save(buffer, format="JPEG", exif=exif)
    attachment_to_pdf("image/jpeg", make_file("photo.jpg", buffer.getvalue()), tmp_path / "out.pdf")
    (image,) = PdfReader(tmp_path / "out.pdf").pages[0].images
    assert image.image.size == (100, 400)


def test_huge_images_are_downsampled(tmp_path, make_file):
    src = make_file("huge.png", image_bytes("PNG", size=(3000, 2000)))
    attachment_to_pdf("image/png", src, tmp_path / "out.pdf")
    (image,) = PdfReader(tmp_path / "out.pdf").pages[0].images
    # 540 pt of printable width at 300 dpi
    assert image.image.size == (2250, 1500)


# --- bad input


def truncated_png() -> bytes:
    data = image_bytes("PNG", size=(400, 300), mode="RGB")
    return data[: len(data) // 2]


BAD_INPUTS = [
    ("application/pdf", b"this is not a pdf at all", "not a valid PDF"),
    ("application/pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50, "PDF"),
    ("application/pdf", b"", "empty"),
    ("image/png", truncated_png(), "unreadable image"),
    ("image/png", b"", "empty"),
    ("image/tiff", b"plain words, no picture", "unreadable image"),
    ("image/tiff", b"II*\x00" + b"\xff" * 64, "unreadable image"),
    ("image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 40, "unreadable image"),
    ("image/png", b"%PDF-1.4 a pdf is not an image", "unreadable image"),
    ("application/msword", b"whatever", "unsupported content type"),
    ("text/html", b"<p>hi</p>", "unsupported content type"),
]


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize(("content_type", "data", "reason"), BAD_INPUTS)
def test_bad_input_raises_conversion_error_and_leaves_no_output(tmp_path, make_file, content_type, data, reason):
    src = make_file("in.bin", data)
    with pytest.raises(ConversionError, match=reason):
        attachment_to_pdf(content_type, src, tmp_path / "out.pdf")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.bin"]


def test_pdf_without_pages_is_rejected(tmp_path):
    PdfWriter().write(tmp_path / "empty.pdf")
    with pytest.raises(ConversionError, match="no pages"):
        attachment_to_pdf("application/pdf", tmp_path / "empty.pdf", tmp_path / "out.pdf")


def test_pdf_with_a_user_password_is_rejected(tmp_path):
    writer = PdfWriter(clone_from=write_pdf(tmp_path / "plain.pdf", 1))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(tmp_path / "locked.pdf")
    with pytest.raises(ConversionError, match="encrypted"):
        attachment_to_pdf("application/pdf", tmp_path / "locked.pdf", tmp_path / "out.pdf")


def test_truncated_pdf_raises_only_conversion_error_if_unrecoverable(tmp_path, make_file):
    """pypdf may recover a cut-off PDF; when it cannot, the failure must still be a ConversionError."""
    data = write_pdf(tmp_path / "whole.pdf", 3).read_bytes()
    for cut in range(0, len(data), 97):
        src = make_file("cut.pdf", data[:cut])
        with contextlib.suppress(ConversionError):
            attachment_to_pdf("application/pdf", src, tmp_path / "out.pdf")


def test_missing_source_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        attachment_to_pdf("application/pdf", tmp_path / "absent.pdf", tmp_path / "out.pdf")
