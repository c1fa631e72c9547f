"""Device pages need a FaxFinder login (the API's users and passwords); the session cookie is signed, HttpOnly and
SameSite=Strict, and stops working when the password changes."""

from __future__ import annotations

import pytest

from tests.ffws.clients import create_user
from tests.ui.pages import Pages, csrf_of

PAGES = ["/", "/fax-status", "/send", "/logs", "/users", "/phone-book", "/inbound-routing", "/fax-configuration",
         "/system", "/mail-queue", "/fragments/lines", "/faxes/00000001/0000", "/inbound/1", "/users/admin/edit",
         "/inbound-routing/1/edit", "/phone-book/groups/admin/1/edit"]  # fmt: skip


@pytest.mark.parametrize("prefix", ["", "/_emulator/ui"])
@pytest.mark.parametrize("path", PAGES)
def test_every_device_page_asks_for_a_login(client, prefix, path):
    response = Pages(client, prefix).get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"{prefix}/login?next={prefix}{path}"


def test_a_login_opens_the_pages_with_a_strict_httponly_signed_cookie(client):
    pages = Pages(client)
    response = pages.log_in()
    assert response.status_code == 303 and response.headers["location"] == "/fax-status"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ffemu_session=")
    for flag in ("HttpOnly", "SameSite=strict", "Path=/", "Secure"):
        assert flag.lower() in cookie.lower()
    page = pages.get("/fax-status")
    assert page.status_code == 200 and "<h1>Fax Status</h1>" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_tampered_cookie_is_no_login(client):
    pages = Pages(client)
    pages.log_in()
    value = client._client.cookies["ffemu_session"]  # noqa: SLF001
    client._client.cookies.set(
        "ffemu_session", value[:-2] + ("A" if value[-1] != "A" else "B"), domain="faxfinder.test"
    )  # noqa: SLF001
    assert pages.get("/fax-status").status_code == 303


def test_a_wrong_password_is_refused_as_the_api_refuses_it(client):
    pages = Pages(client)
    response = pages.log_in("admin", "wrong")
    assert response.status_code == 401
    assert "Invalid username or password." in response.text
    assert "ffemu_session" not in response.headers.get("set-cookie", "")
    assert pages.log_in("nobody", "admin").status_code == 401


def test_a_login_form_needs_its_own_csrf_token(client):
    pages = Pages(client)
    pages.get("/login")
    response = pages.post("/login", {"username": "admin", "password": "admin"}, csrf="forged")
    assert response.status_code == 403
    assert "cross-site request refused" in response.text


def test_the_login_returns_to_the_page_asked_for_and_never_elsewhere(client):
    pages = Pages(client)
    form = csrf_of(pages.get("/login?next=/logs").text)
    response = pages.post("/login", {"username": "admin", "password": "admin", "next": "/logs"}, csrf=form)
    assert response.headers["location"] == "/logs"
    client._client.cookies.clear()  # noqa: SLF001
    form = csrf_of(pages.get("/login").text)
    response = pages.post("/login", {"username": "admin", "password": "admin", "next": "//evil.example/"}, csrf=form)
    assert response.headers["location"] == "/fax-status"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "/\t/evil.example", "/\n/evil.example", "/\\evil.example", "https://evil.example/x",
     "/ /evil.example", "http:/fax-status", "/\x7f/evil.example", "fax-status"],
)  # fmt: skip
def test_the_login_never_sends_the_browser_to_another_site(client, target):
    pages = Pages(client)
    form = csrf_of(pages.get("/login").text)
    response = pages.post("/login", {"username": "admin", "password": "admin", "next": target}, csrf=form)
    assert response.status_code == 303 and response.headers["location"] == "/fax-status"


def test_a_password_change_ends_the_session(client):
    create_user(client, "bob", "first")
    pages = Pages(client)
    assert pages.log_in("bob", "first").status_code == 303
    assert pages.get("/fax-status").status_code == 200
    client.put("/ffws/v1/users/bob", "<user><password>second</password></user>")
    response = pages.get("/fax-status")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert pages.log_in("bob", "second").status_code == 303


def test_logging_out_ends_the_session_even_for_a_saved_cookie(client):
    pages = Pages(client)
    pages.log_in()
    saved = client._client.cookies["ffemu_session"]  # noqa: SLF001 - as someone who copied it would
    other = Pages(client)
    response = pages.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert pages.get("/fax-status").status_code == 303
    client._client.cookies.set("ffemu_session", saved, domain="faxfinder.test")  # noqa: SLF001 - replayed
    response = pages.get("/fax-status")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/fax-status"
    assert other.log_in().status_code == 303 and other.get("/fax-status").status_code == 200  # a new one opens


def test_the_emulator_panel_shows_the_menu_and_log_out_to_whoever_is_logged_in(client):
    pages = Pages(client)
    anonymous = pages.get("/emulator").text
    assert 'aria-label="Main menu"' in anonymous and 'href="/fax-status"' not in anonymous
    assert "Log out" not in anonymous
    pages.log_in()
    panel = pages.get("/emulator").text
    assert 'href="/fax-status"' in panel and 'href="/inbound-routing"' in panel and "Log out" in panel
    assert pages.post("/logout", {"csrf": csrf_of(panel)}).status_code == 303


def test_a_link_cannot_make_a_page_say_anything(client):
    pages = Pages(client)
    pages.log_in()
    client._client.cookies.set("ffemu_done", "Your password expired: call 555-0100", domain="faxfinder.test")  # noqa: SLF001
    for path in ("/fax-status?done=Your+password+expired", "/users?done=x&error=Call+555-0100"):
        html = pages.get(path).text
        assert "Your password expired" not in html and "555-0100" not in html and 'role="status"' not in html


def test_the_pages_home_answers_with_or_without_its_slash(client):
    for path in ("/_emulator/ui", "/_emulator/ui/"):
        response = client.get(path, auth=None)
        assert response.status_code == 303 and response.headers["location"].startswith("/_emulator/ui/login"), path
