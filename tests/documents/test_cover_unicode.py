"""Cover pages in every script: Latin with accents, Greek, Cyrillic and CJK come back out of the PDF (not as boxes),
drawn in the Unicode TrueType font the box found (Debian fonts-wqy-zenhei) or was given with --cover-font; a
character no font has (an emoji) is a box, not an error; an unusable --cover-font is refused at start."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import reportlab
from pypdf import PdfReader
from pypdf._page import PageObject
from reportlab.pdfbase.ttfonts import TTFont

import emulator.server
from emulator.cli import main
from emulator.documents import CoverFields, fonts, render_cover_page, worker
from emulator.documents.limits import Limits
from emulator.settings import Settings
from tests.conftest import TEST_SETTINGS
from tests.ffws.clients import advance, attachment, cover, party, recipient, schedule, schedule_body

from .test_cover import FIXTURES, TEMPLATES

SCRIPTS = "Ελληνικά Кириллица 漢字かなカナ 한국어"
FIELDS = CoverFields(
    sender_name="Zoë Ångström-Ελένη",
    sender_organization="ООО «Ромашка»",
    recipient_name="山田太郎 김민준",
    recipient_organization="Société Générale",
    subject=SCRIPTS,
    comments="Crème brûlée, façade, naïve, Straße.\nΚαλημέρα κόσμε\nПривет, мир\n你好世界 こんにちは 안녕하세요",
    pages=2,
    date="2026-01-01T00:00:00",
)
EXPECTED = (
    "Zoë Ångström-Ελένη",
    "ООО «Ромашка»",
    "山田太郎 김민준",
    "Société Générale",
    SCRIPTS,
    "Crème brûlée, façade, naïve, Straße.",
    "Καλημέρα κόσμε",
    "Привет, мир",
    "你好世界 こんにちは 안녕하세요",
)
VERA = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # shipped with reportlab: here on every machine
NO_FONT = (
    "no Unicode TrueType font is installed (apt-get install fonts-wqy-zenhei; .ci/run does when it can): "
    "cover pages fall back to Helvetica"
)


@pytest.fixture
def font() -> Path:
    found = fonts.installed_font()
    if found is None:
        pytest.skip(NO_FONT)
    return found


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FFEMU_COVER_FONT", raising=False)


def embedded_fonts(page: PageObject) -> set[str]:
    """The BaseFont of every font the page uses, without the subset prefix (AAAAAA+WenQuanYiZenHei-0 -> …)."""
    names = (str(font.get_object()["/BaseFont"]).lstrip("/") for font in page["/Resources"]["/Font"].values())
    return {name.rpartition("+")[2] for name in names}


def face_name(path: Path) -> str:
    """The PostScript name a font is embedded under (WenQuanYiZenHei for wqy-zenhei.ttc's first face)."""
    return TTFont("probe", str(path)).face.name.decode()


def assert_drawn_in(page: PageObject, path: Path) -> None:
    name = face_name(path)
    used = embedded_fonts(page)
    assert any(font.startswith(name) for font in used), f"{name} not among the page's fonts {sorted(used)}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_script_comes_back_from_the_cover_page(tmp_path, font, template):
    assert render_cover_page(FIXTURES / template, FIELDS, tmp_path / "cover.pdf", font=font) == 1
    page = PdfReader(tmp_path / "cover.pdf").pages[0]
    text = page.extract_text()
    for value in EXPECTED:
        assert value in text, f"{value!r} missing from {text!r}"
    assert_drawn_in(page, font)


def test_long_cjk_comments_wrap_inside_the_box(tmp_path, font):
    # No spaces to break at: lines break between characters, and what does not fit the box is cut off.
    fields = CoverFields(comments="漢字かなカナ" * 400, subject="件名" * 200)
    render_cover_page(FIXTURES / "default.pdf", fields, tmp_path / "cover.pdf", font=font)
    lines = PdfReader(tmp_path / "cover.pdf").pages[0].extract_text().splitlines()
    wrapped = [line for line in lines if "漢字" in line]
    assert len(wrapped) > 5
    assert sum(len(line) for line in wrapped) < 6 * 400
    assert any("件名件名" in line for line in lines)
    assert "件名" * 200 not in "".join(lines)


def test_characters_the_font_lacks_are_boxes_not_errors(tmp_path, font):
    fields = CoverFields(subject="Fax 📠 sent ✅ 😀 done", comments="🙂" * 50, sender_name="Ελένη 🦉")
    assert render_cover_page(FIXTURES / "default.pdf", fields, tmp_path / "cover.pdf", font=font) == 1
    text = PdfReader(tmp_path / "cover.pdf").pages[0].extract_text()
    assert "Fax" in text and "sent" in text and "done" in text and "Ελένη" in text


def test_helvetica_without_a_font_still_draws_latin_and_never_fails(tmp_path):
    fields = CoverFields(subject=f"Crème brûlée {SCRIPTS} 😀", sender_name="Zoë")
    assert render_cover_page(FIXTURES / "default.pdf", fields, tmp_path / "cover.pdf", font=None) == 1
    page = PdfReader(tmp_path / "cover.pdf").pages[0]
    assert "Crème brûlée" in page.extract_text() and "Zoë" in page.extract_text()
    subtypes = {str(font.get_object()["/Subtype"]) for font in page["/Resources"]["/Font"].values()}
    assert "Helvetica" in embedded_fonts(page) and subtypes == {"/Type1"}  # (reportlab adds Symbol for Greek)


def test_the_font_travels_with_the_job_to_the_conversion_worker(tmp_path, font):
    cover_pdf, target = tmp_path / "cover.pdf", tmp_path / "preview.pdf"
    job = ((FIXTURES / "default.pdf", FIELDS, cover_pdf), [], target)
    assert worker.run("render_preview", job, Limits(cover_font=font)) == 1
    page = PdfReader(target).pages[0]
    assert SCRIPTS in page.extract_text()
    assert_drawn_in(page, font)


def test_a_box_draws_its_cover_pages_in_the_font_it_found(client, font):
    assert client.box.settings.conversion_limits.cover_font == font
    body = schedule_body(
        cover_page=cover(subject=SCRIPTS, comments="Привет, мир\n你好世界 こんにちは 안녕하세요"),
        recipients=[recipient("218-555-3335", name="山田太郎 김민준")],
        attachments=[attachment(b"hello\n")],
        sender=party(name="Zoë Ångström-Ελένη", organization="ООО «Ромашка»"),
    )
    schedule(client, body)
    advance(client, 30)
    response = client.get("/ffws/v1/data/preview/00000001-0000.pdf")
    assert response.status_code == 200, response.text
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    text = page.extract_text()
    for value in (
        SCRIPTS,
        "山田太郎 김민준",
        "Zoë Ångström-Ελένη",
        "ООО «Ромашка»",
        "Привет, мир",
        "你好世界 こんにちは",
    ):
        assert value in text, f"{value!r} missing from {text!r}"
    assert_drawn_in(page, font)


def test_a_given_font_is_used_and_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "Vera.ttf").write_bytes(VERA.read_bytes())
    monkeypatch.chdir(tmp_path)
    settings = Settings(cover_font="fonts/Vera.ttf", data_dir=tmp_path / "data", **TEST_SETTINGS)
    given = tmp_path / "fonts" / "Vera.ttf"
    assert settings.cover_font == settings.conversion_limits.cover_font == given
    render_cover_page(FIXTURES / "default.pdf", FIELDS, tmp_path / "cover.pdf", font=settings.cover_font)
    page = PdfReader(tmp_path / "cover.pdf").pages[0]
    assert "Société Générale" in page.extract_text()
    assert_drawn_in(page, given)


def test_without_a_unicode_font_one_warning_names_the_package(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(fonts, "KNOWN_FONTS", (tmp_path / "not-installed.ttc",))
    settings = Settings(data_dir=tmp_path, **TEST_SETTINGS)
    assert settings.cover_font is None and settings.conversion_limits.cover_font is None  # Helvetica, as before
    with caplog.at_level(logging.WARNING, logger="emulator.documents"):
        assert fonts.warn_if_no_unicode_font(settings.cover_font)
        assert not fonts.warn_if_no_unicode_font(VERA)  # a font given: nothing to say
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "fonts-wqy-zenhei" in warnings[0].getMessage() and "--cover-font" in warnings[0].getMessage()


def _not_a_font(path: Path) -> Path:
    path.write_text("not a font")
    return path


def _truncated_font(path: Path) -> Path:
    path.write_bytes(VERA.read_bytes()[:2000])
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "missing.ttc", "no such font file: {path}"),
        (lambda tmp: tmp, "no such font file: {path}"),  # a directory
        (lambda tmp: _not_a_font(tmp / "notes.ttf"), "not a TrueType font"),
        (lambda tmp: _truncated_font(tmp / "cut.ttf"), "not a TrueType font"),
    ],
    ids=["missing", "directory", "not-a-font", "truncated"],
)
@pytest.mark.parametrize("given_as", ["flag", "env"])
def test_an_unusable_cover_font_is_refused_at_start(tmp_path, monkeypatch, capsys, make, reason, given_as):
    path = make(tmp_path)
    monkeypatch.setattr(emulator.server, "serve", lambda settings: pytest.fail("served with an unusable font"))
    if given_as == "flag":
        status, where = main(["serve", "--data-dir", str(tmp_path), "--cover-font", str(path)]), "--cover-font"
    else:
        monkeypatch.setenv("FFEMU_COVER_FONT", str(path))
        status, where = main(["serve", "--data-dir", str(tmp_path)]), "FFEMU_COVER_FONT"
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"faxfinder-emulator: {where}: ")
    assert reason.format(path=path) in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
