"""Logging in to the web pages: a signed session cookie (HttpOnly, SameSite=Strict) naming the caller as the API's
authentication would, and a CSRF token that every form must send back.

The cookie holds the caller's identity and the credentials it was verified against (the credential cache's epoch and
stamp, a digest of the stored hash), so every page's unit of work checks, as every API request's does, that the
password has not changed since (emulator.ffws.auth.require_current). A box of one process has a new signing key when
it starts: its users log in again. The workers of a box on PostgreSQL share one key and the sessions ended by logging
out (emulator.cluster), so a browser is logged in, or out, through every worker alike.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.responses import Response

from emulator.control.gate import own_origins
from emulator.ffws.auth import Caller
from emulator.ffws.http import get_box, verified
from emulator.wire import FFWSError

COOKIE = "ffemu_session"
LOGIN_COOKIE = "ffemu_login"  # the CSRF token of the login form, before anyone is logged in
FLASH_AGE = 60  # seconds a form's message waits for the page it leads to
MAX_AGE = 12 * 3600
CROSS_SITE = "This form was not sent from the box's own pages (cross-site request refused)."


class LoginRequired(Exception):
    """No (valid) session: the page sends the browser to the login form."""


class Sessions:
    """Signed cookies, and the sessions ended by logging out: a cookie saved before is refused afterwards, for as long
    as its signature would have held (the ended ones are forgotten when their cookie would have expired anyway)."""

    def __init__(self, key: bytes | None = None, ended: Iterable[tuple[str, float]] = ()) -> None:
        """``ended``: sessions ended before (by another worker of the box), with when their cookies expire (wall
        time)."""
        key = key or secrets.token_bytes(32)
        self._signer = URLSafeTimedSerializer(key, salt="faxfinder-emulator ui")
        self._flashes = URLSafeTimedSerializer(key, salt="faxfinder-emulator ui flash")
        self._ended: OrderedDict[str, float] = OrderedDict()  # session id -> when its cookie expires (monotonic)
        self._lock = threading.Lock()
        wall, now = time.time(), time.monotonic()
        for session_id, until in sorted(ended, key=lambda item: item[1]):
            self._ended[session_id] = now + (until - wall)

    def dump(self, value: dict[str, Any]) -> str:
        return self._signer.dumps(value)

    def load(self, text: str | None) -> dict[str, Any] | None:
        if not text:
            return None
        try:
            value = self._signer.loads(text, max_age=MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(value, dict) or self.ended(value.get("i")):
            return None
        return value

    def flash(self, message: str) -> str:
        return self._flashes.dumps(message)

    def flashed(self, text: str | None) -> str:
        """The message of a flash cookie, "" when there is none (or it is not the box's, or too old)."""
        if not text:
            return ""
        try:
            message = self._flashes.loads(text, max_age=FLASH_AGE)
        except BadSignature:
            return ""
        return message if isinstance(message, str) else ""

    def end(self, session_id: str) -> None:
        now = time.monotonic()  # wall time, as the cookie's own expiry is (not the emulated clock)
        with self._lock:
            while self._ended and next(iter(self._ended.values())) < now:
                self._ended.popitem(last=False)
            self._ended[session_id] = now + MAX_AGE

    def ended(self, session_id: object) -> bool:
        with self._lock:
            return isinstance(session_id, str) and session_id in self._ended


def sessions(request: Request) -> Sessions:
    return request.app.state.ui_sessions  # (the pages' own app: emulator.ui.app)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = MAX_AGE) -> None:
    public = get_box(request).settings.public_url or ""
    secure = request.url.scheme == "https" or public.startswith("https:")  # (a proxy may have spoken HTTPS)
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure)


async def log_in(request: Request, username: str, password: str) -> Caller:
    """Check a username and password exactly as the API checks Basic credentials (the same users, the same cache,
    the same limit on Argon2 verifications at once); 401 FFWSError when they are wrong."""
    header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    return await verified(get_box(request).auth, header)


def client_address(request: Request) -> str:
    """Where a request came from, for a log line."""
    return request.client.host if request.client else "-"


def session_of(caller: Caller) -> dict[str, Any]:
    """A new session of ``caller``: who it is, the credentials it was verified against, its CSRF token (c) and its
    id (i, which logging out ends)."""
    return {
        "u": caller.id, "n": caller.username, "a": caller.is_admin, "e": caller.epoch, "s": caller.stamp,
        "p": caller.proof.hex(), "c": secrets.token_urlsafe(24), "i": secrets.token_urlsafe(16),
    }  # fmt: skip


def session_caller(request: Request) -> Caller | None:
    """The caller of the request's session cookie, if it has a valid one (its credentials are checked later, by the
    request's unit of work); None otherwise."""
    value = sessions(request).load(request.cookies.get(COOKIE))
    if value is None:
        return None
    try:
        caller = Caller(value["u"], value["n"], value["a"], value["e"], value["s"], bytes.fromhex(value["p"]))
        csrf, session_id = str(value["c"]), str(value["i"])
    except (KeyError, TypeError, ValueError):
        return None
    request.state.username = caller.username
    request.state.caller = caller
    request.state.csrf = csrf
    request.state.session_id = session_id
    return caller


async def ui_caller(request: Request) -> Caller:
    """The logged-in caller (LoginRequired otherwise); also what the request's unit of work checks."""
    caller = session_caller(request)
    if caller is None:
        raise LoginRequired
    return caller


def _same_origin(request: Request) -> bool:
    """A browser names where a form came from: it must be this box (Origin; behind a TLS-terminating proxy, the
    origin of --public-url), or at least not another site."""
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() not in own_origins(request.scope, get_box(request).settings):
        return False
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's (or the login form's) and it came from here. Its
    size is known before it is read (browsers always say it) and capped at the device's own request limit."""
    declared = request.headers.get("content-length", "")
    limit = get_box(request).profile.max_request_bytes
    if not declared.isdigit():
        raise FFWSError(411, "Length Required")
    if int(declared) > limit:
        raise FFWSError(413, f"Request Entity Too Large: the limit is {limit} bytes")
    form = await request.form(max_files=20, max_fields=200)
    expected = getattr(request.state, "csrf", None)
    if expected is None:
        expected = (sessions(request).load(request.cookies.get(LOGIN_COOKIE)) or {}).get("c")
    given = form.get("csrf")
    if not isinstance(expected, str) or not isinstance(given, str) or not _same_origin(request):
        raise FFWSError(403, CROSS_SITE)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise FFWSError(403, CROSS_SITE)
    return form


UiCaller = Annotated[Caller, Depends(ui_caller)]
Form = Annotated[FormData, Depends(checked_form)]
