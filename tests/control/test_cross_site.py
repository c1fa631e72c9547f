"""The control plane refuses what another site makes a browser send, and the box answers browsers only by the names
it is known by (DNS rebinding); programs (the CLI, the plugin, curl) send no such header and pass."""

from __future__ import annotations

import pytest

from tests.conftest import box_state

CROSS_SITE = "cross-site request refused: the control plane answers only the box's own pages and non-browser clients"
OWN = {"origin": "https://faxfinder.test", "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors"}


@pytest.fixture
def settings_overrides() -> dict:
    return {"allowed_hosts": "faxfinder.test"}  # the tests' host name, as a box reached by its name would list it


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://faxfinder.test"},  # the box's name, but not its scheme
        {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors"},
        {"sec-fetch-site": "same-site", "sec-fetch-mode": "cors"},  # another port or subdomain of the same site
        {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"},  # a form posted from elsewhere
    ],
)
def test_a_request_another_site_made_is_refused_before_it_does_anything(client, headers):
    client.post("/_emulator/inbound", json={"remote_id": "KEPT", "pages": 1})
    before = box_state(client.box)
    response = client.post("/_emulator/reset", auth=None, headers=headers)
    assert response.status_code == 403 and response.json() == {"error": CROSS_SITE}
    assert box_state(client.box) == before
    if headers.get("sec-fetch-mode") != "navigate":  # (following a link is fine: the page cannot read the answer)
        assert client.get("/_emulator/journal", auth=None, headers=headers).status_code == 403


def test_the_boxs_own_pages_and_programs_are_answered(client):
    assert client.post("/_emulator/clock/advance", json={"seconds": 1}, auth=None, headers=OWN).status_code == 200
    assert client.post("/_emulator/clock/advance", json={"seconds": 1}, auth=None).status_code == 200  # no browser
    link = {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}  # a link to the docs from elsewhere
    assert client.get("/_emulator/docs", auth=None, headers=link).status_code == 200
    typed = {"sec-fetch-site": "none", "sec-fetch-mode": "navigate"}
    assert client.get("/_emulator/health", auth=None, headers=typed).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{}])
@pytest.mark.parametrize(
    ("host", "allowed"),
    [("faxfinder.test", False), ("evil.example:8080", False), ("127.0.0.1:8080", True), ("localhost:8080", True),
     ("[::1]:8080", True), ("app.localhost", True), ("10.1.2.3", True)],
)  # fmt: skip
def test_a_browser_may_use_the_box_only_by_a_name_it_answers_to(client, host, allowed):
    headers = {"host": host, "sec-fetch-site": "same-origin", "origin": f"https://{host}"}
    for path in ("/_emulator/journal", "/_emulator/ui/login", "/login"):
        response = client.get(path, auth=None, headers=headers)
        if allowed:
            assert response.status_code == 200, (path, response.text)
        else:
            assert response.status_code == 403, path
            assert response.json()["error"].startswith(f"host {host} is not one this box answers browsers by")
    assert client.get("/_emulator/journal", auth=None, headers={"host": host}).status_code == 200  # not a browser
    assert client.get("/ffws/v1/verify", headers=headers).status_code == 200  # the device's API: Basic auth


@pytest.mark.parametrize("settings_overrides", [{"allowed_hosts": "*"}, {"allowed_hosts": ".example.com"}])
def test_allowed_hosts_names_the_others(client, settings_overrides):
    headers = {"host": "fax.example.com", "sec-fetch-site": "same-origin"}
    assert client.get("/_emulator/journal", auth=None, headers=headers).status_code == 200
