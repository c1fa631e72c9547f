"""About the FaxFinder (12.5): model, firmware, identity, channels (FF240-IP) or modems (FFx40), uptime; any user."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conftest import assert_error, assert_golden, box_state
from tests.ffws.clients import advance, create_user

# model: (default line count, the element that counts them)
MODELS = {"FF240-IP": (2, "channels"), "FF240": (2, "modems"), "FF440": (4, "modems"), "FF840": (8, "modems")}


def about(client, auth=("admin", "admin")) -> dict[str, str]:
    response = client.get("/ffws/v1/about", auth=auth)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert [child.tag for child in root] == ["message", "about"]
    assert root.findtext("message") == "Success"
    return {child.tag: child.text or "" for child in root.find("about")}


@pytest.mark.parametrize("settings_overrides", [{"model": m} for m in MODELS], ids=list(MODELS))
def test_about_names_the_model_and_counts_its_lines(client):
    model = client.box.settings.model
    lines, tag = MODELS[model]
    found = about(client)
    assert list(found) == [
        "model", "firmware_version", "build_date", "serial_number", "mac_address", "hostname", tag, "uptime",
    ]  # fmt: skip
    assert (found["model"], found[tag], found["uptime"]) == (model, str(lines), "0 days, 00:00:00")
    assert found["firmware_version"] == "3.0.4"  # fax status needs 3.0.4 or higher (05-status)


@pytest.mark.parametrize("settings_overrides", [{"model": "FF440", "lines": 12}, {"model": "FF240-IP", "lines": 24}])
def test_about_counts_the_lines_the_box_was_started_with(client):
    _, tag = MODELS[client.box.settings.model]
    assert about(client)[tag] == str(client.box.settings.line_count)


def test_any_user_may_read_about_and_the_answer_is_the_same(client):
    alice = create_user(client, "alice")
    assert about(client, auth=alice) == about(client)


def test_uptime_follows_the_emulated_clock(client):
    advance(client, 2 * 86400 + 3 * 3600 + 4 * 60 + 5)
    assert about(client)["uptime"] == "2 days, 03:04:05"


def test_about_needs_credentials(client):
    before = box_state(client.box)
    assert_error(client.get("/ffws/v1/about", auth=None), 401, "Unauthorized")
    assert_error(client.get("/ffws/v1/about", auth=("admin", "wrong")), 401, "Unauthorized")
    assert box_state(client.box) == before


@pytest.mark.parametrize("settings_overrides", [{"model": "FF240-IP"}, {"model": "FF840"}], ids=["FF240-IP", "FF840"])
def test_about_golden(client):
    advance(client, 90)
    assert_golden("about_" + client.box.settings.model.replace("-", "").lower(), client.get("/ffws/v1/about"))


def test_uptime_counts_from_the_last_start_not_from_the_first(fresh_client, tmp_path):
    from tests.conftest import FFClient, restart_box

    fresh_client.post("/_emulator/clock/advance", json={"seconds": 86400})
    fresh_client.box.stop()
    restarted = FFClient(restart_box(fresh_client.box, tmp_path / "again"))
    try:
        about = restarted.get("/ffws/v1/about").text
        assert "<uptime>0 days, 00:00:00</uptime>" in about
        assert "2026-01-02T00:00:00" in restarted.get("/ffws/v1/status/system").text  # time itself was kept
    finally:
        restarted.close()
