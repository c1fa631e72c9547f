"""Firmware profiles: every switch of the table, pinned by a golden fragment in every profile, and the table as
the control plane and README show it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from emulator.device.firmware import NAMES, PROFILES, SWITCHES, firmware
from emulator.settings import Settings
from tests.conftest import GOLDEN
from tests.ffws.clients import OFAX, advance, attachment, cover, element, schedule_body

FRAGMENTS = GOLDEN / "firmware"
README = Path(__file__).parents[2] / "README.md"

SENDER = element(
    "sender",
    [element("name", "Sender Name"), element("fax_number", "218-555-3334"), element("email_address", "s@example.com")],
)
RECIPIENT = element("recipient", [element("name", "Rcpt 1 Name"), element("fax_number", "-218-555-3335")])


def _block(text: str, tag: str) -> str:
    """The first ``<tag>…</tag>`` of an answer, with its indentation: a switch's part of the bytes."""
    found = re.search(rf"( *)<{tag}>.*?</{tag}>\n", text, re.S)
    assert found, f"no <{tag}> in {text}"
    return found.group(0)


def _fragments(client) -> dict[str, str]:  # noqa: ANN001
    body = schedule_body(SENDER, cover_page=cover(subject="S"), recipients=[RECIPIENT], attachments=[attachment()])
    created = client.post(OFAX, body)
    assert created.status_code == 201, created.text
    advance(client, 10)  # preprocessed: pages known
    listed = client.get(OFAX + "/00000001/0000")
    assert listed.status_code == 200, listed.text
    error = client.get(OFAX + "/00000001/0000", params={"include_modem_info": "maybe"})
    assert error.status_code == 400, error.text
    plain = client.post("http://faxfinder.test:8080" + OFAX, body)  # a client on the box's plain HTTP port
    assert plain.status_code == 201, plain.text
    answer, listing = created.text, listed.text
    return {
        "time_separator": _block(answer, "created"),
        "cover_page_url_first": _block(answer, "cover_page"),
        "sender_email_address": _block(answer, "sender"),
        "pages_count_cover": _block(listing, "pages"),
        "listing_approval": listing[listing.index("</pages>") + len("</pages>\n") :],
        "recipient_dash_dropped": _block(answer, "recipient"),
        "key_separator": _block(answer, "fax_entry_url"),
        "links": _block(plain.text, "preview"),
        "error_blank_line": error.text,
    }


@pytest.fixture(params=NAMES)
def settings_overrides(request: pytest.FixtureRequest) -> dict:
    return {"firmware": request.param}


def test_every_switch_has_its_golden_fragment_in_this_profile(client, settings_overrides):
    profile = settings_overrides["firmware"]
    fragments = _fragments(client)
    assert set(fragments) == {s.name for s in SWITCHES}
    for name, fragment in fragments.items():
        path = FRAGMENTS / profile / f"{name}.xml"
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(fragment)
        assert path.exists(), f"missing golden file {path} (run with UPDATE_GOLDEN=1 once and review it)"
        assert fragment == path.read_text(), f"{profile}: switch {name}"


def test_each_switch_changes_its_fragment_where_profiles_disagree():
    """A switch whose value differs between two profiles has different golden bytes there (no inert switch)."""
    for switch in SWITCHES:
        for a in NAMES:
            for b in NAMES:
                same = switch.values[a] == switch.values[b]
                bytes_a = (FRAGMENTS / a / f"{switch.name}.xml").read_text()
                bytes_b = (FRAGMENTS / b / f"{switch.name}.xml").read_text()
                assert (bytes_a == bytes_b) == same, f"{switch.name}: {a} vs {b}"


def test_the_profile_is_a_setting_and_the_control_plane_lists_the_table(client, settings_overrides):
    described = client.get("/_emulator/profile").json()
    assert described["firmware"] == settings_overrides["firmware"]
    assert [p["name"] for p in described["profiles"]] == list(NAMES)
    assert [s["name"] for s in described["switches"]] == [s.name for s in SWITCHES]
    for switch in described["switches"]:
        assert set(switch["values"]) == set(switch["sources"]) == set(NAMES)
    assert firmware(Settings(firmware="guide-1.1").firmware).time_separator == " "


def test_readme_lists_every_profile_and_switch_with_its_source():
    text = README.read_text()
    section = text[text.index("## Firmware profiles") :]
    section = section[: section.index("\n## ", 4)]
    for name in NAMES:
        assert f"`{name}`" in section and PROFILES[name] in section
    for switch in SWITCHES:
        row = next((line for line in section.splitlines() if line.startswith(f"| `{switch.name}`")), None)
        assert row is not None, f"README lacks the switch {switch.name}"
        for profile in NAMES:
            assert f"{switch.values[profile]!r}" in row or str(switch.values[profile]).lower() in row.lower()
