"""Forms are protected against cross-site requests; every asset comes from the box itself."""

from __future__ import annotations

import re

import pytest

from tests.conftest import box_state
from tests.ui.pages import Pages

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
PAGES = ["/fax-status", "/send", "/logs", "/users", "/users/admin/edit", "/phone-book", "/inbound-routing",
         "/fax-configuration", "/system", "/mail-queue", "/emulator", "/login"]  # fmt: skip


@pytest.fixture
def settings_overrides() -> dict:
    return {"allowed_hosts": "faxfinder.test"}  # (the tests' host name: a browser may use it here)


@pytest.fixture
def admin(client) -> Pages:  # noqa: ANN001
    pages = Pages(client)
    pages.log_in()
    return pages


@pytest.mark.parametrize(
    ("token", "headers"),
    [("", {}), ("forged", {}), (None, {"origin": "https://evil.example"}), (None, {"sec-fetch-site": "cross-site"})],
)
def test_a_form_from_elsewhere_is_refused_and_writes_nothing(client, admin, token, headers):
    before = box_state(client.box)
    response = admin.post("/phone-book", {"owner": "admin", "name": "Planted"}, csrf=token, headers=headers)
    assert response.status_code == 403
    assert "cross-site request refused" in response.text
    assert box_state(client.box) == before


def test_a_form_from_the_box_itself_passes_the_origin_check(client, admin):
    headers = {"origin": "https://faxfinder.test", "sec-fetch-site": "same-origin"}
    assert admin.post("/phone-book", {"owner": "admin", "name": "Fine"}, headers=headers).status_code == 303


def test_a_body_over_the_device_limit_is_refused_before_it_is_read(client, admin):
    headers = {"content-length": str(40 * 2**20), "content-type": "application/x-www-form-urlencoded"}
    response = client.request("POST", "/send", b"csrf=x", auth=None, headers=headers)
    assert response.status_code == 413


@pytest.mark.parametrize("prefix", ["", "/_emulator/ui"])
def test_no_page_loads_anything_from_another_host(client, admin, prefix):
    admin.prefix = prefix
    for path in PAGES:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert not EXTERNAL.search(response.text), (path, EXTERNAL.search(response.text))
        assert f'href="{prefix}/fax-status"' in response.text or path in ("/login", "/emulator")
        assert "default-src 'self'" in response.headers["content-security-policy"]


def test_swagger_ui_is_served_from_the_package(client):
    page = client.get("/_emulator/docs", auth=None)
    assert page.status_code == 200
    assert not re.search(r"https?://", page.text.replace("http://www.w3.org", "")), page.text
    for asset in re.findall(r"""(?:src|href)=["'](/[^"']+)""", page.text) + re.findall(
        r"""url: ?'(/[^']+)'""", page.text
    ):
        assert client.get(asset, auth=None).status_code == 200, asset
    assert "/_emulator/ui/static/swagger-ui/swagger-ui-bundle.js" in page.text
    script = client.get("/_emulator/ui/static/swagger-ui/swagger-ui-bundle.js", auth=None)
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert len(script.content) > 500_000


@pytest.mark.parametrize("settings_overrides", [{"control_token": "t0k"}])
def test_the_pages_and_their_assets_need_no_control_token_but_the_control_plane_does(client):
    assert client.get("/_emulator/ui/login", auth=None).status_code == 200
    assert client.get("/_emulator/ui/static/app.css", auth=None).status_code == 200
    assert client.get("/_emulator/docs", auth=None).status_code == 200
    assert client.get("/_emulator/clock", auth=None).status_code == 401
    panel = client.get("/_emulator/ui/emulator", auth=None).text
    assert 'data-token-required="yes"' in panel


@pytest.mark.parametrize(
    ("settings_overrides", "status"),
    [({"public_url": "https://fax.example.com"}, 303), ({"allowed_hosts": "fax.example.com"}, 403)],
)
def test_behind_a_tls_proxy_the_public_url_is_the_pages_origin(client, settings_overrides, status):
    """The proxy speaks HTTPS to the browser and HTTP to the box: the browser's Origin is https://…, the request the
    box sees is http://…"""
    admin = Pages(client)
    admin.log_in()
    cookie = {"cookie": f"ffemu_session={client._client.cookies['ffemu_session']}"}  # noqa: SLF001
    headers = {**cookie, "origin": "https://fax.example.com", "sec-fetch-site": "same-origin"}
    form = {"csrf": admin.csrf, "owner": "admin", "name": "Via proxy"}
    url = "http://fax.example.com/phone-book"
    response = client.request("POST", url, auth=None, data=form, headers={**headers, "host": "fax.example.com"})
    assert response.status_code == status
    assert status == 303 or "cross-site request refused" in response.text  # http://fax.example.com is not its origin
    panel = {"origin": "https://fax.example.com", "sec-fetch-site": "same-origin", "host": "fax.example.com"}
    advance = client.post(
        "http://fax.example.com/_emulator/clock/advance", json={"seconds": 1}, auth=None, headers=panel
    )
    assert advance.status_code == (200 if status == 303 else 403)
