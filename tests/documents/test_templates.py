import json

import pytest
from pypdf import PdfReader

from emulator.documents.cover import validate_layout
from emulator.documents.templates import FIELD_LABELS, TEMPLATES, main, write_templates

from .test_cover import FIXTURES


def test_committed_fixtures_match_the_generator(tmp_path):
    written = write_templates(tmp_path)
    assert [path.name for path in written] == [*TEMPLATES, "layouts.json"]
    for path in written:
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), f"regenerate {path.name}"


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_templates_are_small_one_page_letter_with_labels(name):
    path = FIXTURES / name
    assert path.stat().st_size < 8_000
    (page,) = PdfReader(path).pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (612, 792)
    text = page.extract_text()
    for label in {*FIELD_LABELS.values(), "Comments:"}:
        assert label in text
    assert text.count("Organization:") == 2


def test_templates_look_different():
    texts = {name: PdfReader(FIXTURES / name).pages[0].extract_text() for name in TEMPLATES}
    assert "FAX" in texts["default.pdf"]
    assert "YOUR COMPANY NAME" in texts["mts_template2.pdf"]
    assert "FAX TRANSMITTAL" in texts["mts_template3.pdf"]
    assert len(set(texts.values())) == 3


def test_layouts_cover_every_field_of_every_template():
    layouts = json.loads((FIXTURES / "layouts.json").read_text())
    assert layouts.keys() == {"*", *TEMPLATES}
    for name, layout in layouts.items():
        validate_layout(layout, name)
        assert layout.keys() == {*FIELD_LABELS, "comments"}


def test_command_line_writes_into_the_given_folder(tmp_path, capsys):
    main([str(tmp_path / "out")])
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted([*TEMPLATES, "layouts.json"])
    assert "layouts.json" in capsys.readouterr().out
