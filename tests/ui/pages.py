"""A test's browser for the web pages over the ASGI app: it keeps the session cookie and sends each form's CSRF
token, as a browser that loaded the form would."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import FFClient

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Pages:
    def __init__(self, client: FFClient, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self.csrf = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(self.prefix + path, auth=None, **kwargs)

    def post(self, path: str, data: dict | None = None, *, csrf: str | None = None, **kwargs: Any) -> httpx.Response:
        form = {"csrf": self.csrf if csrf is None else csrf, **(data or {})}
        return self.client.request("POST", self.prefix + path, auth=None, data=form, **kwargs)

    def log_in(self, username: str = "admin", password: str = "admin") -> httpx.Response:
        self.client._client.cookies.clear()  # noqa: SLF001 - a new browser
        form = self.get("/login")
        response = self.post("/login", {"username": username, "password": password}, csrf=csrf_of(form.text))
        if response.status_code == 303:
            self.csrf = csrf_of(self.get("/fax-status").text)
        return response


def logged_in(base_url: str, username: str = "admin", password: str = "admin") -> httpx.Client:
    """A browser's cookies and CSRF token, logged in to the pages of a real server (``.csrf`` holds the token)."""
    browser = httpx.Client(base_url=base_url, timeout=30)
    token = csrf_of(browser.get("/login").text)
    response = browser.post("/login", data={"csrf": token, "username": username, "password": password})
    assert response.status_code == 303, response.text
    browser.csrf = csrf_of(browser.get("/fax-status").text)  # type: ignore[attr-defined]
    return browser
