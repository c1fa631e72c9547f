import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from emulator.documents import ConversionError, CoverFields, load_layouts, render_cover_page
from emulator.documents.cover import DEFAULT_LAYOUT, wrap_lines

from .conftest import write_pdf

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cover_pages"
TEMPLATES = ["default.pdf", "mts_template2.pdf", "mts_template3.pdf"]

FIELDS = CoverFields(
    sender_name="Alice Sender",
    sender_organization="Sending Corp",
    sender_phone_number="+1 555 0101",
    sender_fax_number="+1 555 0102",
    sender_email_address="alice@example.com",
    recipient_name="Bob Receiver",
    recipient_organization="Receiving Ltd",
    recipient_fax_number="+1 555 0201",
    recipient_phone_number="+1 555 0202",
    subject="Quarterly figures",
    comments="Please find the figures attached.\nCall me when you have read them.",
    pages=37,
    date="2026-01-01T00:00:00",
)


def cover_text(path: Path) -> str:
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.mark.parametrize("template", TEMPLATES)
def test_cover_page_carries_the_fields(tmp_path, template):
    assert render_cover_page(FIXTURES / template, FIELDS, tmp_path / "cover.pdf") == 1
    text = cover_text(tmp_path / "cover.pdf")
    for value in (
        "Alice Sender",
        "Bob Receiver",
        "Quarterly figures",
        "Call me when you have read them.",
        "alice@example.com",
        "2026-01-01T00:00:00",
        "Sending Corp",
        "Receiving Ltd",
        "+1 555 0102",
        "+1 555 0202",
        "37",
    ):
        assert value in text


def test_page_count_is_drawn_where_the_layout_says(tmp_path):
    layout = {"pages": {"x": 300, "y": 400, "size": 12}}
    render_cover_page(FIXTURES / "default.pdf", CoverFields(pages=17), tmp_path / "cover.pdf", layout)
    assert "17" in cover_text(tmp_path / "cover.pdf")


def test_empty_fields_are_not_drawn(tmp_path):
    render_cover_page(FIXTURES / "default.pdf", CoverFields(), tmp_path / "cover.pdf")
    template_text = PdfReader(FIXTURES / "default.pdf").pages[0].extract_text()
    assert cover_text(tmp_path / "cover.pdf").split() == template_text.split()


def test_long_comments_are_wrapped_and_cut_off_inside_the_box(tmp_path):
    comments = "\n".join(f"comment line {n}" for n in range(1, 201))
    long_word = "W" * 400
    fields = CoverFields(comments=f"{long_word}\n{comments}", subject="S" * 500, recipient_name="Bob")
    render_cover_page(FIXTURES / "default.pdf", fields, tmp_path / "cover.pdf")
    page = PdfReader(tmp_path / "cover.pdf").pages[0]
    positions: list[tuple[float, float, str]] = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: positions.append((tm[4], tm[5], text)))
    text = page.extract_text()
    assert "WWWW" in text and long_word not in text
    assert "comment line 1" in text
    assert "comment line 200" not in text
    assert "S" * 20 in text and "S" * 500 not in text
    box = DEFAULT_LAYOUT["comments"]
    for x, y, fragment in positions:
        if "comment line" in fragment:
            assert box["y"] - box["height"] <= y <= box["y"]
            assert box["x"] <= x
    assert all(0 <= x <= 612 and 0 <= y <= 792 for x, y, _ in positions)


def test_fields_never_leave_the_page_even_with_a_wide_layout(tmp_path):
    layout = {
        "subject": {"x": 500, "y": 100, "size": 12, "width": 5000},
        "comments": {"x": 500, "y": 90, "size": 12, "width": 5000, "height": 5000},
    }
    fields = CoverFields(subject="a fairly long subject line", comments="some words " * 50)
    render_cover_page(FIXTURES / "default.pdf", fields, tmp_path / "cover.pdf", layout)
    text = cover_text(tmp_path / "cover.pdf")
    assert "a fairly long subject line" not in text
    assert "a fairly" in text


def test_positions_off_the_page_are_not_drawn(tmp_path):
    layout = {
        "subject": {"x": -50, "y": 400},
        "sender_name": {"x": 100, "y": 900},
        "recipient_name": {"x": 72, "y": 72},
    }
    fields = CoverFields(subject="Hidden subject", sender_name="Hidden sender", recipient_name="Shown")
    render_cover_page(FIXTURES / "default.pdf", fields, tmp_path / "cover.pdf", layout)
    text = cover_text(tmp_path / "cover.pdf")
    assert "Shown" in text and "Hidden" not in text


def test_wrap_lines_keeps_newlines_and_breaks_long_words():
    lines = list(wrap_lines("one two three\n\n" + "x" * 50, "Helvetica", 10, 60))
    assert lines[0] == "one two"
    assert lines[1] == "three"
    assert lines[2] == ""
    assert "".join(lines[3:]) == "x" * 50
    assert all(len(line) < 50 for line in lines[3:])


def test_layout_falls_back_to_star_entry(tmp_path):
    write_pdf(tmp_path / "plain.pdf", 1)
    layout = {"subject": {"x": 72, "y": 500, "size": 14}}
    (tmp_path / "layouts.json").write_text(json.dumps({"*": layout}))
    render_cover_page(tmp_path / "plain.pdf", CoverFields(subject="Star layout"), tmp_path / "cover.pdf")
    page = PdfReader(tmp_path / "cover.pdf").pages[0]
    found = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: found.append((tm[5], text)))
    assert any(y == pytest.approx(500) and "Star layout" in text for y, text in found)


def test_template_without_layouts_file_uses_the_default_layout(tmp_path):
    write_pdf(tmp_path / "plain.pdf", 2)
    assert render_cover_page(tmp_path / "plain.pdf", FIELDS, tmp_path / "cover.pdf") == 1
    text = cover_text(tmp_path / "cover.pdf")
    assert "Sample page 1" in text and "Bob Receiver" in text


def test_load_layouts(tmp_path):
    assert load_layouts(tmp_path) == {}
    layouts = load_layouts(FIXTURES)
    assert {"*", *TEMPLATES} <= layouts.keys()
    assert layouts["*"] == DEFAULT_LAYOUT


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"*": {"no_such_field": {"x": 1, "y": 2}}}),
        json.dumps({"*": {"subject": {"x": 1}}}),
        json.dumps({"*": {"comments": {"x": 1, "y": 2, "size": 10}}}),
        json.dumps({"*": {"subject": {"x": "1", "y": 2}}}),
        json.dumps({"*": {"subject": {"x": 1, "y": 2, "size": 0}}}),
        json.dumps({"*": {"subject": {"x": 1, "y": True}}}),
        json.dumps({"*": ["subject"]}),
    ],
)
def test_malformed_layouts_are_rejected(tmp_path, content):
    (tmp_path / "layouts.json").write_text(content)
    with pytest.raises(ValueError):
        load_layouts(tmp_path)


def test_bad_template_raises_conversion_error(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf")
    with pytest.raises(ConversionError):
        render_cover_page(tmp_path / "broken.pdf", FIELDS, tmp_path / "cover.pdf")
    assert not (tmp_path / "cover.pdf").exists()
