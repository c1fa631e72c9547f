"""README's settings, endpoint and firmware tables are generated (emulator/docs.py): this fails when README lags."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from emulator import catalogue, docs
from emulator.cli import default_text, env_name
from emulator.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_tables_match_the_code() -> None:
    current = README.read_text(encoding="utf-8")
    generated = docs.render(current)
    if generated != current:
        diff = "".join(
            difflib.unified_diff(current.splitlines(True), generated.splitlines(True), "README.md", "generated")
        )
        pytest.fail(f"README's generated tables are out of date: run `make docs` and commit README.md\n{diff[:6000]}")


def test_settings_table_has_a_row_for_every_setting() -> None:
    rows = docs.settings_table().splitlines()[2:]
    assert len(rows) == len(Settings.model_fields)
    for row, (name, field) in zip(rows, Settings.model_fields.items(), strict=True):
        assert row.startswith(f"| `--{name.replace('_', '-')}`"), row
        assert f"| `{env_name(name)}` | `{default_text(field)}` |" in row
        assert (field.description or "") in row


def test_settings_table_lists_both_forms_of_a_switch() -> None:
    assert "| `--manual-clock` / `--no-manual-clock` | `FFEMU_MANUAL_CLOCK` | `false` |" in docs.settings_table()


def test_endpoint_table_is_the_catalogues() -> None:
    table = docs.endpoints_table()
    assert table == catalogue.markdown_table()
    assert "| GET | `/ffws/v1/verify` | all | attested |" in table


def test_render_replaces_only_between_the_markers() -> None:
    text = "# Title\n\n<!-- settings:start -->\nold\n<!-- settings:end -->\n\nmiddle\n\n<!-- endpoints:start -->\n"
    text += "<!-- endpoints:end -->\n<!-- firmware:start -->\n<!-- firmware:end -->\ntail\n"
    rendered = docs.render(text)
    assert rendered.startswith("# Title\n\n<!-- settings:start -->\n| Flag |")
    assert "\nold\n" not in rendered
    assert "<!-- settings:end -->\n\nmiddle\n\n<!-- endpoints:start -->\n| Method |" in rendered
    assert "<!-- firmware:start -->\n- `3.x`:" in rendered
    assert rendered.endswith("<!-- firmware:end -->\ntail\n")
    assert docs.render(rendered) == rendered


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(docs.MissingMarkers, match="settings:start"):
        docs.render("# no markers here\n")


def test_command_rewrites_a_stale_readme_and_check_reports_it(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(
        "intro\n<!-- settings:start -->\n<!-- settings:end -->\n<!-- endpoints:start -->\n<!-- endpoints:end -->\n"
        "<!-- firmware:start -->\n<!-- firmware:end -->\n"
    )
    before = stale.read_text()

    assert docs.main(["--check", str(stale)]) == 1
    assert "run `make docs`" in capsys.readouterr().err
    assert stale.read_text() == before

    assert docs.main([str(stale)]) == 0
    assert stale.read_text() == docs.render(before) != before
    assert docs.main(["--check", str(stale)]) == 0
    assert docs.main([str(tmp_path / "missing.md")]) == 2
