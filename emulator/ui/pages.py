"""Logging in and out, the pages' own event stream, and the Emulator panel."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emulator.control.errors import ControlError
from emulator.control.events import open_stream
from emulator.ffws.auth import Caller
from emulator.ffws.http import Work, get_box
from emulator.observe.live import Message, Visibility
from emulator.ui.render import page, prefix
from emulator.ui.routing import Answer, back_to, log, router
from emulator.ui.session import (
    COOKIE,
    LOGIN_COOKIE,
    MAX_AGE,
    Form,
    UiCaller,
    client_address,
    log_in,
    session_caller,
    session_of,
    sessions,
    set_cookie,
)
from emulator.wire import FFWSError

WRONG_LOGIN = "Invalid username or password."
PAGE_KINDS = frozenset({"entry", "line", "inbound", "reset"})


def _login_page(
    request: Request, status: int = 200, error: str = "", username: str = "", next_page: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", status, error=error, username=username, login_csrf=token, next=next_page)
    set_cookie(request, response, LOGIN_COOKIE, sessions(request).dump({"c": token}), max_age=3600)
    return response


def _safe_next(request: Request, target: str) -> str:
    """Only a path of these pages, never another site. A browser drops tabs and line breaks from a URL and reads a
    backslash as a slash (``/\\t/evil.example`` is ``//evil.example`` to it): a target with any of those, white
    space or another control character is not taken at all."""
    ui = prefix(request)
    fallback = ui + "/fax-status"
    if not target or "\\" in target or any(c.isspace() or not c.isprintable() for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(ui + "/") or parts.path.startswith("//"):
        return fallback
    return target


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:  # noqa: A002 - the query parameter's name
    return _login_page(request, next_page=next)


@router.post("/login")
async def login(request: Request, form: Form) -> Response:
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    try:
        caller = await log_in(request, username, password)
    except FFWSError as exc:
        if exc.status != 401:
            raise
        log.warning("web login refused for %s from %s", username or "-", client_address(request))
        raise Answer(_login_page(request, 401, WRONG_LOGIN, username, str(form.get("next") or ""))) from None
    response = Response(status_code=303, headers={"location": _safe_next(request, str(form.get("next") or ""))})
    set_cookie(request, response, COOKIE, sessions(request).dump(session_of(caller)))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    log.info("web login: %s from %s", caller.username, client_address(request))
    return response


@router.post("/logout")
def logout(request: Request, caller: UiCaller, form: Form) -> Response:
    """The session ends on the server too: its cookie, if someone kept it, opens nothing any more, and its live
    streams end."""
    until = time.time() + MAX_AGE  # (when its cookie would have expired)
    get_box(request).web_logout(request.state.session_id, caller.username, until)  # (its streams end too)
    response = back_to(request, "/login")
    response.delete_cookie(COOKIE, path="/")
    log.info("web logout: %s", caller.username)
    return response


def _visible_to(caller: Caller) -> Visibility:
    """What a user may see of the live events: its own faxes and the faxes routed to it; of the lines, that they
    are busy (whom they call is for administrators). An administrator sees everything."""

    def visible(message: Message) -> Message | None:
        if caller.is_admin or message.kind == "reset":
            return message
        if message.kind == "line":
            return Message("line", {**message.data, "fax_number": "", "remote_id": ""}, "", message.id)
        return message if caller.username in message.owner.split(",") else None

    return visible


@router.get("/events")
async def page_events(request: Request, caller: UiCaller, work: Work) -> Response:
    """The live stream of the pages, behind their login (the control plane's stream needs its token). The login must
    still hold when it opens (a password changed, a reset: 401, and the page is sent to log in), and the stream ends
    when it stops holding (see emulator.observe.live)."""
    box = get_box(request)
    await run_in_threadpool(lambda: box.auth.require_current(caller, work.session))  # (opening it is I/O)
    session = (caller.username, request.state.session_id)
    try:
        return open_stream(box.live, PAGE_KINDS, _visible_to(caller), session)
    except ControlError as exc:
        raise FFWSError(exc.status, exc.message) from None


@router.get("/emulator")
def emulator_panel(request: Request) -> Response:
    """Our own panel: it holds nothing itself and calls the control plane from the browser, with the control token
    when the box has one. Anyone may open it (the control plane has its own door); a logged-in user sees the menu
    and can log out here as on any page."""
    box = get_box(request)
    session_caller(request)
    return page(request, "emulator.html", token_required=box.settings.control_token is not None)
