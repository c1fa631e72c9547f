"""The web interface in a real browser (Debian's Chromium, headless, through Playwright) against a real server on
127.0.0.1 with the manual clock: a person logs in, sends a fax and watches it go out while advancing the clock from
the Emulator panel, aborts another, sees a fax arrive, adds a contact; a user sees only its own faxes; a phone-sized
screen works. No page may ask for anything from another host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from emulator.testing.server import EmulatorHandle, EmulatorServer
from tests.conftest import real_server
from tests.ffws.clients import create_user, fax_to, pdf_bytes
from tests.ui.browser import keep_screenshot, launch

TIMEOUT = 15_000  # ms a live update may take to show (it takes a fraction of a second)


@pytest.fixture(autouse=True, scope="module")
def _patient_expectations() -> None:
    try:
        from playwright.sync_api import expect
    except ImportError:
        return
    expect.set_options(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright, chromium = launch()
    yield chromium
    chromium.close()
    playwright.stop()


class Admin:
    """httpx with the admin's Basic credentials, for what the test arranges through the API."""

    def __init__(self, box: EmulatorHandle) -> None:
        self.box = box

    def schedule(self, number: str, auth: tuple[str, str] = ("admin", "admin"), pages: int = 1) -> None:
        response = httpx.post(self.box.url + "/ofax", content=fax_to(number, pages=pages), auth=auth)
        assert response.status_code == 201, response.text


@contextmanager
def only_the_box(browser: Any, base_url: str, **options: Any) -> Iterator[Any]:
    """A fresh browser profile that refuses, and remembers, any request to another host than the box; on leaving,
    the test fails if a page asked for one."""
    outside: list[str] = []
    ctx = browser.new_context(base_url=base_url, **options)
    ctx.set_default_timeout(TIMEOUT)

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    try:
        yield ctx
    finally:
        ctx.close()
    assert outside == [], f"pages asked for other hosts: {outside}"


@pytest.fixture
def context(browser: Any, server: EmulatorServer) -> Iterator[Any]:
    with only_the_box(browser, server.base_url, viewport={"width": 1280, "height": 900}) as ctx:
        yield ctx


def log_in(page: Any, username: str = "admin", password: str = "admin") -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/fax-status$"))


def _entry_state(page: Any, key: str) -> Any:
    return page.locator(f'[data-entry="{key}"] .badge')


def test_send_a_fax_and_watch_it_go_out_as_the_clock_advances(context, box):
    from playwright.sync_api import expect

    status = context.new_page()
    log_in(status)
    status.get_by_role("link", name="Send Fax").click()
    status.get_by_label("Recipients").fill("Accounts, 218-555-1234")
    status.get_by_label("Document").set_input_files(
        [{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}]
    )
    status.get_by_label("Include a cover page").check()
    status.get_by_label("Subject").fill("Invoice 42")
    keep_screenshot(status, "send-fax", full_page=True)
    status.get_by_role("button", name="Send Fax").click()
    status.wait_for_url(re.compile(r"/fax-status$"))
    expect(status.get_by_role("status")).to_contain_text("Fax 00000001 scheduled")
    expect(_entry_state(status, "00000001/0000")).to_have_text("preprocessing")
    status.evaluate("window.notReloaded = true")  # gone if the page were loaded again

    panel = context.new_page()
    panel.goto("/emulator")
    expect(panel.locator("[data-clock-now]")).to_have_text("2026-01-01T00:00:00")
    panel.get_by_role("button", name="+10 s").click()
    expect(panel.locator("[data-clock-now]")).to_have_text("2026-01-01T00:00:10")
    tile = status.locator('[data-line="1"]')
    expect(tile).to_have_class(re.compile(r"\bbusy\b"))
    expect(tile).to_contain_text("Dialing")
    expect(_entry_state(status, "00000001/0000")).to_have_text("sending")
    panel.get_by_role("button", name="+10 s").click()
    expect(tile).to_contain_text("Sending Page")
    expect(tile).to_contain_text("1 of 3")  # the cover page and two pages
    expect(tile).to_contain_text("14400")
    keep_screenshot(status, "fax-status", full_page=True)
    panel.get_by_role("button", name="+5 min").click()
    expect(_entry_state(status, "00000001/0000")).to_have_text("sent")
    expect(tile).not_to_have_class(re.compile(r"\bbusy\b"))
    assert status.evaluate("window.notReloaded") is True
    expect(panel.locator("[data-journal] li").first).to_be_visible()

    status.get_by_role("link", name="00000001/0000").click()
    expect(status.get_by_role("img", name="Page 3 of 3")).to_be_visible()
    status.wait_for_function("() => [...document.images].every(image => image.complete && image.naturalWidth > 0)")
    assert status.locator("img[alt='Page 1 of 3']").evaluate("img => img.naturalWidth") == 240
    keep_screenshot(status, "fax-pages", full_page=True)
    entry = httpx.get(box.url + "/ofax/00000001/0000", auth=box.auth).text
    assert "<agent>WebClient</agent>" in entry and "<state>sent</state>" in entry


def test_abort_a_fax_and_see_an_inbound_fax_arrive(context, box):
    from playwright.sync_api import expect

    Admin(box).schedule("218-555-0001")  # busy on every try
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page)
    row = page.locator('[data-entry="00000001/0000"]')
    row.get_by_role("button", name="Abort").click()
    expect(_entry_state(page, "00000001/0000")).to_have_text("aborted")
    expect(page.get_by_role("status")).to_contain_text("aborted")

    expect(page.locator("body")).to_have_attribute("data-live-connected", "yes")
    box.inbound(remote_id="SUPPLIER", pages=2)  # from outside the page: it shows up by itself
    expect(page.locator("[data-inbound]")).to_contain_text("SUPPLIER")
    expect(page.locator('[data-line="1"]')).to_contain_text("Negotiating")
    box.advance(120)
    expect(page.get_by_role("link", name="Fax 1")).to_be_visible()
    page.get_by_role("link", name="Fax 1").click()
    expect(page.get_by_role("img", name="Page 2 of 2")).to_be_visible()


def test_simulate_an_inbound_fax_and_add_a_fault_from_the_emulator_panel(context, box):
    from playwright.sync_api import expect

    panel = context.new_page()
    panel.goto("/emulator")
    panel.get_by_label("Remote ID").fill("PANEL-FAX")
    panel.get_by_role("button", name="Receive").click()
    expect(panel.locator("[data-panel-status]")).to_have_text("Fax 1 arriving on line 1.")
    panel.get_by_role("button", name="Add fault").click()
    expect(panel.locator("[data-faults]")).to_contain_text("fax * → busy")
    expect(panel.locator("[data-journal]")).to_contain_text("No requests yet.")
    keep_screenshot(panel, "emulator", full_page=True)
    assert httpx.get(box.base_url + "/_emulator/faults").json()["faults"][0]["outcome"] == "busy"


def test_add_a_contact_from_the_phone_book(context, box):
    from playwright.sync_api import expect

    page = context.new_page()
    log_in(page)
    page.get_by_role("link", name="Phone book").click()
    page.get_by_label("Name", exact=True).fill("Supplier Ltd")
    page.get_by_label("Fax number").fill("218-555-9999")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("status")).to_have_text("Contact Supplier Ltd added.")
    expect(page.get_by_role("cell", name="Supplier Ltd")).to_be_visible()
    contacts = httpx.get(box.url + "/contacts/admin", auth=box.auth).text
    assert "<name>Supplier Ltd</name>" in contacts and "<fax_number>218-555-9999</fax_number>" in contacts


def test_a_user_sees_only_its_own_faxes(context, box):
    from playwright.sync_api import expect

    create_user(_ApiClient(box), "bob", "pw")
    Admin(box).schedule("218-555-7777")
    Admin(box).schedule("218-555-8888", auth=("bob", "pw"))
    page = context.new_page()
    log_in(page, "bob", "pw")
    expect(page.locator("[data-entry]")).to_have_count(1)
    expect(page.locator('[data-entry="00000002/0000"]')).to_contain_text("218-555-8888")
    expect(page.get_by_role("link", name="Inbound Routing")).to_have_count(0)
    box.advance(20)  # both dial: bob's tile shows a busy line, but not whom the admin calls
    expect(page.locator(".tile.busy")).to_have_count(2)
    expect(page.locator(".tiles")).not_to_contain_text("218-555-7777")
    page.goto("/inbound-routing")
    expect(page.locator("[data-message]")).to_have_text("Authenticated user does not have permission to view data.")


def test_on_a_phone_sized_screen_with_the_keyboard(browser, server, box):
    from playwright.sync_api import expect

    with only_the_box(browser, server.base_url, viewport={"width": 390, "height": 844}, is_mobile=True) as phone:
        Admin(box).schedule("218-555-1234", pages=2)
        box.advance(20)
        page = phone.new_page()
        page.goto("/login")
        expect(page.get_by_label("Username")).to_be_focused()  # the form is ready to type into
        page.keyboard.type("admin")
        page.keyboard.press("Tab")
        page.keyboard.type("admin")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/fax-status$"))
        page.keyboard.press("Tab")  # the first stop of every page is the skip link
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        expect(page.locator('[data-line="1"]')).to_contain_text("Sending Page")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
        menu = page.get_by_role("navigation", name="Main menu")
        expect(menu.get_by_role("link", name="Send Fax")).to_be_visible()
        keep_screenshot(page, "phone", full_page=True)


def test_the_emulator_panel_follows_the_control_token(browser, tmp_path):
    from playwright.sync_api import expect

    emulator = real_server(tmp_path / "data", control_token="s3cret")
    emulator.start()
    try:
        with only_the_box(browser, emulator.base_url) as ctx:
            page = ctx.new_page()
            page.goto("/emulator")
            token = page.get_by_label("Token")
            expect(token).to_be_visible()
            token.fill("wrong")
            page.get_by_role("button", name="Use token").click()
            expect(page.locator("[data-token-error]")).to_be_visible()
            token.fill("s3cret")
            page.get_by_role("button", name="Use token").click()
            expect(page.locator("[data-clock-now]")).to_have_text("2026-01-01T00:00:00")
            page.get_by_role("button", name="+1 min").click()
            expect(page.locator("[data-clock-now]")).to_have_text("2026-01-01T00:01:00")
            assert page.evaluate("sessionStorage.getItem('ffemu-control-token')") == "s3cret"
            assert page.evaluate("document.cookie") == ""  # nor in a cookie
    finally:
        emulator.stop()


class _ApiClient:
    """The little that tests.ffws.clients.create_user needs of a client, over real HTTP."""

    def __init__(self, box: EmulatorHandle) -> None:
        self.box = box

    def post(self, path: str, body: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.box.base_url + path, content=body, auth=self.box.auth, **kwargs)
